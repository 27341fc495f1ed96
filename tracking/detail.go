package tracking

import (
	"database/sql"
	"fmt"
	"time"
)

// Artifact is a file or directory a run produced.
type Artifact struct {
	Path string    `json:"path"`
	Kind string    `json:"kind"`
	Time time.Time `json:"time"`
}

// RunDetail is everything about one run.
type RunDetail struct {
	RunInfo
	Tags      map[string]string `json:"tags"`
	Artifacts []Artifact        `json:"artifacts"`
	Children  []RunInfo         `json:"children"`
	// MetricPoints is the number of recorded points per metric key.
	MetricPoints map[string]int `json:"metric_points"`
}

// GetRun returns one run (ID or unique prefix) with its tags, artifacts and children.
func (s *Store) GetRun(id string) (*RunDetail, error) {
	id, err := s.ResolveID(id)
	if err != nil {
		return nil, err
	}
	runs, err := s.queryRuns("SELECT "+runColumns+runFrom+" WHERE r.id = ?", id)
	if err != nil {
		return nil, err
	}
	if len(runs) != 1 {
		return nil, fmt.Errorf("tracking: no run %q", id)
	}
	d := &RunDetail{RunInfo: runs[0], Tags: map[string]string{}, MetricPoints: map[string]int{}}
	rid := d.rid
	if err := s.scanKV(`SELECT key, value FROM params WHERE rid = ?`, rid, d.Params); err != nil {
		return nil, err
	}
	if err := s.scanKV(`SELECT key, value FROM tags WHERE rid = ?`, rid, d.Tags); err != nil {
		return nil, err
	}
	rows, err := s.db.Query(`SELECT key, value, step FROM latest_metrics WHERE rid = ?`, rid)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var k string
		var v sql.NullFloat64
		var step int64
		if err := rows.Scan(&k, &v, &step); err != nil {
			rows.Close()
			return nil, err
		}
		d.Metrics[k] = nullFloat(v)
		d.MetricStep[k] = step
	}
	rows.Close()
	for k := range d.Metrics {
		var n int
		if err := s.db.QueryRow(`SELECT COUNT(*) FROM metrics WHERE rid = ? AND key = ?`, rid, k).Scan(&n); err != nil {
			return nil, err
		}
		d.MetricPoints[k] = n
	}
	rows, err = s.db.Query(`SELECT path, kind, ts_ms FROM artifacts WHERE rid = ? ORDER BY ts_ms, path`, rid)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var a Artifact
		var ts int64
		if err := rows.Scan(&a.Path, &a.Kind, &ts); err != nil {
			rows.Close()
			return nil, err
		}
		a.Time = time.UnixMilli(ts)
		d.Artifacts = append(d.Artifacts, a)
	}
	rows.Close()
	d.Children, err = s.ListRuns(Filter{ParentID: id})
	if err != nil {
		return nil, err
	}
	return d, nil
}

func (s *Store) scanKV(q string, rid int64, into map[string]string) error {
	rows, err := s.db.Query(q, rid)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var k, v string
		if err := rows.Scan(&k, &v); err != nil {
			return err
		}
		into[k] = v
	}
	return rows.Err()
}

// Point is one recorded metric value.
type Point struct {
	Step  int64     `json:"step"`
	Value float64   `json:"value"`
	Time  time.Time `json:"time"`
}

// MetricHistory returns every point of one metric of one run, by step. A run that resumed
// another (RunInfo.ResumedFrom) reads as one logical run: the earlier run's points before
// the first step of the later one, then the later one's — the steps an interrupted run made
// after its last checkpoint, and that the resumed run made again, appear once.
func (s *Store) MetricHistory(runID, key string) ([]Point, error) {
	id, err := s.ResolveID(runID)
	if err != nil {
		return nil, err
	}
	var pts []Point
	for seen := map[string]bool{}; id != "" && !seen[id]; {
		seen[id] = true
		own, err := s.ownHistory(id, key)
		if err != nil {
			return nil, err
		}
		if len(pts) > 0 {
			first := pts[0].Step
			n := 0
			for n < len(own) && own[n].Step < first {
				n++
			}
			own = own[:n]
		}
		pts = append(own, pts...)
		var from sql.NullString
		err = s.db.QueryRow(`SELECT rf.id FROM runs r LEFT JOIN runs rf ON rf.rid = r.resumed_from_rid WHERE r.id = ?`, id).Scan(&from)
		if err != nil {
			return nil, err
		}
		id = from.String
	}
	return pts, nil
}

// ownHistory is the points recorded by the run itself.
func (s *Store) ownHistory(id, key string) ([]Point, error) {
	rows, err := s.db.Query(`SELECT m.step, m.value, m.ts_ms FROM metrics m JOIN runs r ON r.rid = m.rid
		WHERE r.id = ? AND m.key = ? ORDER BY m.step`, id, key)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var pts []Point
	for rows.Next() {
		var p Point
		var v sql.NullFloat64
		var ts int64
		if err := rows.Scan(&p.Step, &v, &ts); err != nil {
			return nil, err
		}
		p.Value = nullFloat(v)
		p.Time = time.UnixMilli(ts)
		pts = append(pts, p)
	}
	return pts, rows.Err()
}
