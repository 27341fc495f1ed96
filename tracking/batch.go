package tracking

import (
	"fmt"
	"path/filepath"
	"time"
)

// Metric points are the one thing a trainer logs every step, so they do not touch the
// database on the caller's goroutine: LogMetric appends to a buffer, and the run's background
// goroutine writes the buffer in one transaction (see RunOptions.FlushEvery/FlushInterval).

type metricPoint struct {
	key   string
	value float64
	step  int64
	ts    int64
}

// LogMetric buffers one point; it costs an append under a mutex. Logging a key again at the
// same step replaces the value. Points reach the database
// within FlushInterval, or sooner once FlushEvery are waiting. A write that fails is retried
// at the next flush; the first failure is reported once (RunOptions.Warnings) and never
// returned, so that a tracker in trouble never stops the training that logs to it.
func (r *StoreRun) LogMetric(key string, value float64, step int64) error {
	r.mu.Lock()
	if r.ended {
		r.mu.Unlock()
		return ErrEnded
	}
	r.buf = append(r.buf, metricPoint{key, value, step, nowMS()})
	n := len(r.buf)
	r.mu.Unlock()
	if n >= r.opts.FlushEvery {
		select {
		case r.kick <- struct{}{}:
		default:
		}
	}
	// Back-pressure: if the writer falls far behind (a slow disk), write here rather than
	// let the buffer grow without bound; if the database refuses, keep the points in the run
	// directory.
	if n >= 16*r.opts.FlushEvery {
		if err := r.Flush(); err != nil {
			r.keepBuffered(err)
		}
	}
	return nil
}

// keepBuffered moves the buffered points to the run directory's UnrecordedFile.
func (r *StoreRun) keepBuffered(cause error) {
	r.mu.Lock()
	pts := r.buf
	r.buf = nil
	r.mu.Unlock()
	if len(pts) == 0 {
		return
	}
	if err := keepUnrecorded(r.dir, pointsUnrecorded(r.id, pts)); err != nil {
		r.warn.warn("the tracker could not record %d metric points of run %s (%v), nor could they be kept (%v): they are lost", len(pts), r.id, cause, err)
		return
	}
	r.kept += len(pts)
}

// Flush writes the buffered metric points now, in one transaction.
func (r *StoreRun) Flush() error {
	r.mu.Lock()
	pts := r.buf
	r.buf = nil
	r.mu.Unlock()
	if len(pts) == 0 {
		return nil
	}
	if err := r.writePoints(pts); err != nil {
		// Put them back so that End can retry them.
		r.mu.Lock()
		r.buf = append(pts, r.buf...)
		r.mu.Unlock()
		return err
	}
	return nil
}

func (r *StoreRun) writePoints(pts []metricPoint) error {
	tx, err := r.store.db.Begin()
	if err != nil {
		return fmt.Errorf("tracking: writing metrics: %w", err)
	}
	defer tx.Rollback()
	ins, err := tx.Prepare(`INSERT INTO metrics(rid, key, step, value, ts_ms) VALUES (?,?,?,?,?)
		ON CONFLICT(rid, key, step) DO UPDATE SET value = excluded.value, ts_ms = excluded.ts_ms`)
	if err != nil {
		return fmt.Errorf("tracking: writing metrics: %w", err)
	}
	defer ins.Close()
	last := map[string]metricPoint{}
	for _, p := range pts {
		if _, err := ins.Exec(r.rid, p.key, p.step, p.value, p.ts); err != nil {
			return fmt.Errorf("tracking: writing metric %q: %w", p.key, err)
		}
		if q, ok := last[p.key]; !ok || p.step >= q.step {
			last[p.key] = p
		}
	}
	// The latest value is the one at the highest step (ties: the last logged), as in MLflow.
	up, err := tx.Prepare(`INSERT INTO latest_metrics(rid, key, step, value, ts_ms) VALUES (?,?,?,?,?)
		ON CONFLICT(rid, key) DO UPDATE SET step = excluded.step, value = excluded.value, ts_ms = excluded.ts_ms
		WHERE excluded.step >= latest_metrics.step`)
	if err != nil {
		return fmt.Errorf("tracking: writing metrics: %w", err)
	}
	defer up.Close()
	for k, p := range last {
		if _, err := up.Exec(r.rid, k, p.step, p.value, p.ts); err != nil {
			return fmt.Errorf("tracking: writing metric %q: %w", k, err)
		}
	}
	if _, err := tx.Exec(`UPDATE runs SET heartbeat_ms = ? WHERE rid = ?`, nowMS(), r.rid); err != nil {
		return err
	}
	return tx.Commit()
}

// background flushes metrics and beats the heartbeat until End.
func (r *StoreRun) background() {
	defer close(r.done)
	flush := time.NewTicker(r.opts.FlushInterval)
	defer flush.Stop()
	beat := time.NewTicker(r.opts.HeartbeatInterval)
	defer beat.Stop()
	for {
		select {
		case <-r.stop:
			return
		case <-r.kick:
			r.backgroundFlush()
		case <-flush.C:
			r.backgroundFlush()
		case <-beat.C:
			if _, err := r.store.db.Exec(`UPDATE runs SET heartbeat_ms = ? WHERE rid = ? AND status = 'running'`, nowMS(), r.rid); err != nil {
				r.failed(err)
			}
		}
	}
}

func (r *StoreRun) backgroundFlush() {
	if err := r.Flush(); err != nil {
		r.failed(err) // the points stay buffered for the next flush
	}
}

// failed reports the run's first tracker write failure; the run goes on.
func (r *StoreRun) failed(err error) {
	kept := "kept in " + filepath.Join(r.dir, UnrecordedFile)
	if r.dir == "" {
		kept = "lost (the run has no directory to keep it in)"
	}
	r.warn.warn("the tracker %s failed to record run %s (%v); training goes on, writes are retried, and what cannot be written is %s",
		r.store.path, r.id, err, kept)
}
