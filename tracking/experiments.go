package tracking

import (
	"database/sql"
	"fmt"
	"sort"
	"time"
)

// ExperimentInfo summarises one experiment.
type ExperimentInfo struct {
	Name      string         `json:"name"`
	Runs      int            `json:"runs"`
	ByStatus  map[string]int `json:"by_status"`
	LastStart time.Time      `json:"last_start,omitzero"`
}

// Experiments lists experiments with their run counts by effective status, most recently
// active first.
func (s *Store) Experiments() ([]ExperimentInfo, error) {
	rows, err := s.db.Query(`SELECT e.name, r.status, r.start_ms, r.heartbeat_ms, r.heartbeat_interval_ms
		FROM experiments e LEFT JOIN runs r ON r.experiment_id = e.id`)
	if err != nil {
		return nil, fmt.Errorf("tracking: listing experiments: %w", err)
	}
	defer rows.Close()
	now := nowMS()
	byName := map[string]*ExperimentInfo{}
	var order []string
	for rows.Next() {
		var name string
		var status sql.NullString
		var start, hb, iv sql.NullInt64
		if err := rows.Scan(&name, &status, &start, &hb, &iv); err != nil {
			return nil, err
		}
		e := byName[name]
		if e == nil {
			e = &ExperimentInfo{Name: name, ByStatus: map[string]int{}}
			byName[name] = e
			order = append(order, name)
		}
		if !status.Valid {
			continue
		}
		e.Runs++
		e.ByStatus[effectiveStatus(status.String, hb.Int64, iv.Int64, now)]++
		if t := time.UnixMilli(start.Int64); t.After(e.LastStart) {
			e.LastStart = t
		}
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	out := make([]ExperimentInfo, 0, len(order))
	for _, n := range order {
		out = append(out, *byName[n])
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].LastStart.After(out[j].LastStart) })
	return out, nil
}

// DeleteRuns deletes runs (IDs or unique prefixes) with their params, metrics, tags and
// artifact records — not the files, which live in the run directories. Children are kept and
// lose their parent link. Experiments left without runs are deleted too.
func (s *Store) DeleteRuns(ids []string) ([]string, error) {
	ids, err := s.ResolveIDs(ids)
	if err != nil {
		return nil, err
	}
	tx, err := s.db.Begin()
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	for _, id := range ids {
		if _, err := tx.Exec(`DELETE FROM runs WHERE id = ?`, id); err != nil {
			return nil, fmt.Errorf("tracking: deleting run %s: %w", id, err)
		}
	}
	if _, err := tx.Exec(`DELETE FROM experiments WHERE id NOT IN (SELECT experiment_id FROM runs)`); err != nil {
		return nil, err
	}
	return ids, tx.Commit()
}

// Fingerprint is a cheap summary of the runs table that changes whenever a run starts, ends,
// beats or flushes metrics (flushes update the heartbeat): the TUI polls it and reloads only
// when it changes.
func (s *Store) Fingerprint() (string, error) {
	// The count of runs whose heartbeat has gone stale changes with the clock alone, when a
	// process is SIGKILLed: with it, a live view turns "running" into "killed" by itself.
	var n, maxRID, hb, end, stale sql.NullInt64
	err := s.db.QueryRow(`SELECT COUNT(*), MAX(rid), MAX(heartbeat_ms), MAX(COALESCE(end_ms, 0)),
		SUM(status = 'running' AND heartbeat_ms < ? - ? * heartbeat_interval_ms) FROM runs`, nowMS(), StaleFactor).
		Scan(&n, &maxRID, &hb, &end, &stale)
	if err != nil {
		return "", err
	}
	return fmt.Sprint(n.Int64, maxRID.Int64, hb.Int64, end.Int64, stale.Int64), nil
}
