package tracking

import (
	"bufio"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"time"
)

// ReplayResult says what Replay wrote.
type ReplayResult struct {
	File    string   // the file replayed, renamed to Kept afterwards
	Kept    string   // where the replayed file now is (so that it is not replayed twice)
	Lines   int      // lines written
	Runs    []string // the runs they went to
	Created []string // of them, runs the tracker had never heard of (it could not be opened)
}

// Replay writes what dir's UnrecordedFile kept — metric points, params, tags, artifacts and
// the run's end, each with its own time — into the tracker, once the tracker can take it
// again (the disk full that made the run keep them has been freed). A run that ended while
// the tracker refused its end (and so reads as killed once its heartbeat went stale) gets the
// status it really ended with. Lines without a run id (a run the tracker could not even
// begin) become a new run. The file is then renamed, so that a second replay adds nothing.
func (s *Store) Replay(dir string) (*ReplayResult, error) {
	path := filepath.Join(dir, UnrecordedFile)
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("replay: %w", err)
	}
	var lines []unrecorded
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 64<<20)
	for n := 1; sc.Scan(); n++ {
		var l unrecorded
		if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
			f.Close()
			return nil, fmt.Errorf("replay: %s:%d: %v", path, n, err)
		}
		lines = append(lines, l)
	}
	f.Close()
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("replay: %s: %w", path, err)
	}
	res := &ReplayResult{File: path}
	if slices.ContainsFunc(lines, func(l unrecorded) bool { return l.Run == "" }) {
		// Begun before the transaction below, which holds the database's write lock.
		id, err := s.replayNewRun(dir, lines)
		if err != nil {
			return nil, err
		}
		res.Created = append(res.Created, id)
	}
	rids := map[string]int64{}
	tx, err := s.db.Begin()
	if err != nil {
		return nil, fmt.Errorf("replay: %w", err)
	}
	defer tx.Rollback()
	for _, l := range lines {
		rid, ok := rids[l.Run]
		if !ok {
			if err := tx.QueryRow(`SELECT rid FROM runs WHERE id = ?`, l.Run).Scan(&rid); err != nil {
				if errors.Is(err, sql.ErrNoRows) {
					return nil, fmt.Errorf("replay: %s names run %s, which this tracker (%s) does not hold: replay it into the tracker the run was begun in (--tracking)", path, l.Run, s.path)
				}
				return nil, fmt.Errorf("replay: %w", err)
			}
			rids[l.Run] = rid
			res.Runs = append(res.Runs, l.Run)
		}
		if err := replayLine(tx, rid, l); err != nil {
			return nil, fmt.Errorf("replay: %s: %w", path, err)
		}
		res.Lines++
	}
	if err := tx.Commit(); err != nil {
		return nil, fmt.Errorf("replay: %w", err)
	}
	res.Kept = fmt.Sprintf("%s.replayed-%s", path, time.Now().UTC().Format("20060102T150405"))
	if err := os.Rename(path, res.Kept); err != nil {
		return res, fmt.Errorf("replay: written, but %s could not be renamed (a second replay would add its points again): %w", path, err)
	}
	return res, nil
}

// replayNewRun begins the run that lines without a run id describe (FileRun kept them when
// the tracker could not be opened), once, and returns its id.
func (s *Store) replayNewRun(dir string, lines []unrecorded) (string, error) {
	opts := RunOptions{Experiment: "unrecorded", Dir: dir}
	for _, l := range lines {
		if l.Run == "" && l.Kind == "params" {
			opts.Params, opts.Name = l.Params, l.Text
			if c := l.Params["command"]; c != "" {
				opts.Experiment = c
			}
			break
		}
	}
	r, err := s.StartRun(opts)
	if err != nil {
		return "", fmt.Errorf("replay: %w", err)
	}
	// The run ends by its replayed end line; stop its heartbeat now without recording one.
	r.mu.Lock()
	r.ended = true
	r.mu.Unlock()
	close(r.stop)
	<-r.done
	for i := range lines {
		if lines[i].Run == "" {
			lines[i].Run = r.id
		}
	}
	return r.id, nil
}

// replayLine writes one kept line into run rid.
func replayLine(tx *sql.Tx, rid int64, l unrecorded) error {
	switch l.Kind {
	case "metric":
		if l.Value == nil {
			return fmt.Errorf("metric %q at step %d has no value", l.Key, l.Step)
		}
		if _, err := tx.Exec(`INSERT INTO metrics(rid, key, step, value, ts_ms) VALUES (?,?,?,?,?)
			ON CONFLICT(rid, key, step) DO UPDATE SET value = excluded.value, ts_ms = excluded.ts_ms`, rid, l.Key, l.Step, *l.Value, l.TS); err != nil {
			return err
		}
		_, err := tx.Exec(`INSERT INTO latest_metrics(rid, key, step, value, ts_ms) VALUES (?,?,?,?,?)
			ON CONFLICT(rid, key) DO UPDATE SET step = excluded.step, value = excluded.value, ts_ms = excluded.ts_ms
			WHERE excluded.step >= latest_metrics.step`, rid, l.Key, l.Step, *l.Value, l.TS)
		return err
	case "params":
		return upsertKV(tx, "params", rid, l.Params)
	case "tag":
		return upsertKV(tx, "tags", rid, map[string]string{l.Key: l.Text})
	case "artifact":
		_, err := tx.Exec(`INSERT INTO artifacts(rid, path, kind, ts_ms) VALUES (?,?,?,?)
			ON CONFLICT(rid, path) DO UPDATE SET kind = excluded.kind, ts_ms = excluded.ts_ms`, rid, l.Text, l.Key, l.TS)
		return err
	case "end":
		switch l.Text {
		case StatusFinished, StatusFailed, StatusKilled:
		default:
			return fmt.Errorf("end status %q is not finished, failed or killed", l.Text)
		}
		_, err := tx.Exec(`UPDATE runs SET status = ?, end_ms = ?, end_reason = ?, heartbeat_ms = ? WHERE rid = ?`, l.Text, l.TS, l.Reason, l.TS, rid)
		return err
	}
	return fmt.Errorf("unknown kind %q", l.Kind)
}
