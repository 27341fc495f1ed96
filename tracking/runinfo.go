package tracking

import (
	"database/sql"
	"encoding/json"
	"math"
	"path"
	"strings"
	"time"
)

// RunInfo is one run as readers see it: its columns, params and the latest value of each
// metric.
type RunInfo struct {
	ID         string    `json:"id"`
	Name       string    `json:"name,omitempty"`
	Experiment string    `json:"experiment"`
	Status     string    `json:"status"` // effective: a running run with a stale heartbeat is "killed"
	Start      time.Time `json:"start"`
	End        time.Time `json:"end,omitzero"`
	Engine     string    `json:"engine,omitempty"`
	GitCommit  string    `json:"git_commit,omitempty"`
	Seed       *int64    `json:"seed,omitempty"`
	ParentID   string    `json:"parent_id,omitempty"`
	// ResumedFrom is the run whose checkpoint this one resumed (same run directory).
	ResumedFrom string            `json:"resumed_from,omitempty"`
	Dir         string            `json:"dir,omitempty"`
	Command     string            `json:"command,omitempty"`
	Heartbeat   time.Time         `json:"heartbeat"`
	EndReason   string            `json:"end_reason,omitempty"`
	Params      map[string]string `json:"params"`
	Metrics     Metrics           `json:"metrics"` // latest value per key
	MetricStep  map[string]int64  `json:"-"`       // step of that latest value

	rid int64
}

// Duration is how long the run ran (until now for a running run, until its last heartbeat
// for a dead one).
func (r RunInfo) Duration() time.Duration {
	end := r.End
	if end.IsZero() {
		if r.Status == StatusRunning {
			end = time.Now()
		} else {
			end = r.Heartbeat
		}
	}
	return end.Sub(r.Start)
}

// effectiveStatus: a run that says "running" but has not beaten for StaleFactor intervals
// died without a word (SIGKILL, power loss): show it as killed.
func effectiveStatus(status string, heartbeat, interval, now int64) string {
	if status == StatusRunning && heartbeat < now-StaleFactor*interval {
		return StatusKilled
	}
	return status
}

const runColumns = `r.rid, r.id, r.name, e.name, r.status, r.start_ms, r.end_ms, r.engine, r.git_commit, r.seed,
	p.id, r.dir, r.command, r.heartbeat_ms, r.heartbeat_interval_ms, r.end_reason, rf.id`

const runFrom = ` FROM runs r JOIN experiments e ON e.id = r.experiment_id LEFT JOIN runs p ON p.rid = r.parent_rid
	LEFT JOIN runs rf ON rf.rid = r.resumed_from_rid`

func scanRun(rows interface{ Scan(...any) error }, now int64) (RunInfo, error) {
	var (
		ri       RunInfo
		status   string
		start    int64
		end      sql.NullInt64
		seed     sql.NullInt64
		parent   sql.NullString
		resumed  sql.NullString
		hb, hbIv int64
	)
	err := rows.Scan(&ri.rid, &ri.ID, &ri.Name, &ri.Experiment, &status, &start, &end, &ri.Engine, &ri.GitCommit,
		&seed, &parent, &ri.Dir, &ri.Command, &hb, &hbIv, &ri.EndReason, &resumed)
	if err != nil {
		return ri, err
	}
	ri.Status = effectiveStatus(status, hb, hbIv, now)
	if ri.Status != status && ri.EndReason == "" {
		ri.EndReason = "heartbeat lost (process died without ending the run)"
	}
	ri.Start = time.UnixMilli(start)
	if end.Valid {
		ri.End = time.UnixMilli(end.Int64)
	}
	if seed.Valid {
		s := seed.Int64
		ri.Seed = &s
	}
	ri.ParentID = parent.String
	ri.ResumedFrom = resumed.String
	ri.Heartbeat = time.UnixMilli(hb)
	ri.Params = map[string]string{}
	ri.Metrics = Metrics{}
	ri.MetricStep = map[string]int64{}
	return ri, nil
}

func nullFloat(v sql.NullFloat64) float64 {
	if !v.Valid {
		return nan
	}
	return v.Float64
}

// DataName is the short name of a "data" param: the last element of a dataset path.
func DataName(data string) string {
	if data == "" {
		return ""
	}
	return path.Base(strings.TrimRight(data, "/"))
}

var nan = math.NaN()

// Metrics maps metric keys to values. A diverged loss is NaN, which JSON cannot carry: it is
// written as null.
type Metrics map[string]float64

// MarshalJSON writes NaN and ±Inf as null.
func (m Metrics) MarshalJSON() ([]byte, error) {
	out := make(map[string]*float64, len(m))
	for k, v := range m {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			out[k] = nil
			continue
		}
		v := v
		out[k] = &v
	}
	return json.Marshal(out)
}
