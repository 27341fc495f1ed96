package tracking

import (
	"database/sql"
	"fmt"
	"sort"
	"strings"
)

// Filter selects runs. Empty fields match everything.
type Filter struct {
	Experiment string
	Method     string            // param "method"
	Data       string            // param "data": the whole value or its last path element
	Status     string            // effective status
	Params     map[string]string // param key = value, all must hold
	ParentID   string
	IDs        []string // exact IDs or unique prefixes
}

// ListRuns returns the runs that match f, newest first, with their params and latest metrics.
func (s *Store) ListRuns(f Filter) ([]RunInfo, error) {
	var where []string
	var args []any
	if f.Experiment != "" {
		where = append(where, "e.name = ?")
		args = append(args, f.Experiment)
	}
	if f.ParentID != "" {
		where = append(where, "p.id = ?")
		args = append(args, f.ParentID)
	}
	params := map[string]string{}
	for k, v := range f.Params {
		params[k] = v
	}
	if f.Method != "" {
		params["method"] = f.Method
	}
	keys := make([]string, 0, len(params))
	for k := range params {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		where = append(where, "EXISTS (SELECT 1 FROM params q WHERE q.rid = r.rid AND q.key = ? AND q.value = ?)")
		args = append(args, k, params[k])
	}
	if f.Data != "" {
		// A dataset is named by its directory; match the whole path or its last element.
		where = append(where, `EXISTS (SELECT 1 FROM params q WHERE q.rid = r.rid AND q.key = 'data'
			AND (q.value = ? OR q.value LIKE ? ESCAPE '\' OR q.value LIKE ? ESCAPE '\'))`)
		esc := likeEscape(f.Data)
		args = append(args, f.Data, "%/"+esc, "%/"+esc+"/")
	}
	if len(f.IDs) > 0 {
		ids, err := s.ResolveIDs(f.IDs)
		if err != nil {
			return nil, err
		}
		where = append(where, "r.id IN ("+strings.TrimSuffix(strings.Repeat("?,", len(ids)), ",")+")")
		for _, id := range ids {
			args = append(args, id)
		}
	}
	q := "SELECT " + runColumns + runFrom
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	q += " ORDER BY r.start_ms DESC, r.rid DESC"
	runs, err := s.queryRuns(q, args...)
	if err != nil {
		return nil, err
	}
	if f.Status != "" {
		kept := runs[:0]
		for _, r := range runs {
			if r.Status == f.Status {
				kept = append(kept, r)
			}
		}
		runs = kept
	}
	if err := s.fillParamsMetrics(runs); err != nil {
		return nil, err
	}
	return runs, nil
}

func likeEscape(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)
	return r.Replace(s)
}

func (s *Store) queryRuns(q string, args ...any) ([]RunInfo, error) {
	rows, err := s.db.Query(q, args...)
	if err != nil {
		return nil, fmt.Errorf("tracking: listing runs: %w", err)
	}
	defer rows.Close()
	now := nowMS()
	var runs []RunInfo
	for rows.Next() {
		ri, err := scanRun(rows, now)
		if err != nil {
			return nil, fmt.Errorf("tracking: listing runs: %w", err)
		}
		runs = append(runs, ri)
	}
	return runs, rows.Err()
}

// fillParamsMetrics loads params and latest metrics for runs with two queries in all, not
// two per run: a table of a thousand runs must open in well under a second.
func (s *Store) fillParamsMetrics(runs []RunInfo) error {
	if len(runs) == 0 {
		return nil
	}
	byRID := make(map[int64]*RunInfo, len(runs))
	for i := range runs {
		byRID[runs[i].rid] = &runs[i]
	}
	// Reading whole tables and dropping other runs beats an IN list of a thousand ids.
	rows, err := s.db.Query(`SELECT rid, key, value FROM params`)
	if err != nil {
		return fmt.Errorf("tracking: reading params: %w", err)
	}
	for rows.Next() {
		var rid int64
		var k, v string
		if err := rows.Scan(&rid, &k, &v); err != nil {
			rows.Close()
			return err
		}
		if r := byRID[rid]; r != nil {
			r.Params[k] = v
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	rows, err = s.db.Query(`SELECT rid, key, value, step FROM latest_metrics`)
	if err != nil {
		return fmt.Errorf("tracking: reading metrics: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var rid, step int64
		var k string
		var v sql.NullFloat64
		if err := rows.Scan(&rid, &k, &v, &step); err != nil {
			return err
		}
		if r := byRID[rid]; r != nil {
			r.Metrics[k] = nullFloat(v)
			r.MetricStep[k] = step
		}
	}
	return rows.Err()
}

// ResolveID turns an exact run ID or a unique prefix of one into the run ID.
func (s *Store) ResolveID(prefix string) (string, error) {
	if prefix == "" {
		return "", fmt.Errorf("tracking: empty run ID")
	}
	rows, err := s.db.Query(`SELECT id FROM runs WHERE id = ? OR substr(id, 1, ?) = ? ORDER BY id LIMIT 3`,
		prefix, len(prefix), prefix)
	if err != nil {
		return "", err
	}
	defer rows.Close()
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return "", err
		}
		if id == prefix {
			return id, nil
		}
		ids = append(ids, id)
	}
	switch len(ids) {
	case 0:
		return "", fmt.Errorf("tracking: no run %q", prefix)
	case 1:
		return ids[0], nil
	}
	return "", fmt.Errorf("tracking: run ID %q is ambiguous (%s, ...)", prefix, strings.Join(ids, ", "))
}

// ResolveIDs resolves each of ids (see ResolveID).
func (s *Store) ResolveIDs(ids []string) ([]string, error) {
	out := make([]string, len(ids))
	for i, p := range ids {
		id, err := s.ResolveID(p)
		if err != nil {
			return nil, err
		}
		out[i] = id
	}
	return out, nil
}
