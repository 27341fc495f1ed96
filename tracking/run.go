package tracking

import (
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"
)

// RunOptions describes a run being started. Only Experiment is needed; the rest is recorded
// when given.
type RunOptions struct {
	Experiment string // created on first use; "" means "default"
	Name       string
	Engine     string // e.g. "xla:cpu"
	GitCommit  string // see GitCommit
	Seed       *int64 // nil: no seed
	ParentID   string // the run this one belongs to (a reproduction, a pretraining run)
	Dir        string // run directory holding checkpoints and artifacts
	Command    string // the command line, for the record; default os.Args joined
	Params     map[string]string
	Tags       map[string]string
	// Resumes says that this run continues from a checkpoint in Dir: it is linked to the
	// latest run recorded with the same Dir, and the two read as one metric history.
	Resumes bool
	// Upstream is the run directory this run builds on (a finetuning run's pretrained
	// encoder): the runs recorded with that Dir lend their params, prefixed with
	// UpstreamPrefix (the latest run's value of each), and the latest its ID (tag
	// UpstreamTag). Params given in Params win.
	Upstream string

	// HeartbeatInterval is how often the run proves it is alive (default 5 s). Readers take a
	// running run whose heartbeat is StaleFactor intervals old for killed.
	HeartbeatInterval time.Duration
	// FlushEvery and FlushInterval batch metric writes: buffered points are written in one
	// transaction once FlushEvery are waiting (default 1000) or FlushInterval after the
	// previous write (default 1 s), and at End.
	FlushEvery    int
	FlushInterval time.Duration

	// Warnings receives the one message a run prints when the tracker fails to record it
	// (default os.Stderr).
	Warnings io.Writer
}

// Seed returns a pointer to s, for RunOptions.Seed.
func Seed(s int64) *int64 { return &s }

// StoreRun is a run recorded in a Store. It implements Run. LogMetric only appends to a
// buffer; a background goroutine writes the buffer and the heartbeat.
type StoreRun struct {
	store     *Store
	ownsStore bool
	rid       int64
	id        string
	dir       string
	opts      RunOptions

	mu    sync.Mutex
	buf   []metricPoint
	ended bool
	kept  int // metric points kept in the run directory because the database refused them
	warn  *warnOnce

	kick chan struct{}
	stop chan struct{}
	done chan struct{}
}

// ErrEnded is returned by writes to a run that has already ended.
var ErrEnded = errors.New("tracking: run already ended")

var _ Run = (*StoreRun)(nil)

// Begin opens the database at path and starts a run in it; ending the run closes the
// database. It is the one call a command needs.
func Begin(path string, opts RunOptions) (*StoreRun, error) {
	s, err := Open(path)
	if err != nil {
		return nil, err
	}
	r, err := s.StartRun(opts)
	if err != nil {
		s.Close()
		return nil, err
	}
	r.ownsStore = true
	return r, nil
}

// StartRun records a new running run and starts its heartbeat.
func (s *Store) StartRun(opts RunOptions) (*StoreRun, error) {
	if opts.Experiment == "" {
		opts.Experiment = "default"
	}
	if opts.HeartbeatInterval <= 0 {
		opts.HeartbeatInterval = 5 * time.Second
	}
	if opts.FlushEvery <= 0 {
		opts.FlushEvery = 1000
	}
	if opts.FlushInterval <= 0 {
		opts.FlushInterval = time.Second
	}
	if opts.Command == "" {
		opts.Command = strings.Join(os.Args, " ")
	}
	id, err := newID()
	if err != nil {
		return nil, err
	}
	now := nowMS()
	tx, err := s.db.Begin()
	if err != nil {
		return nil, fmt.Errorf("tracking: starting run: %w", err)
	}
	defer tx.Rollback()
	expID, err := experimentID(tx, opts.Experiment, now)
	if err != nil {
		return nil, err
	}
	var parent sql.NullInt64
	if opts.ParentID != "" {
		if err := tx.QueryRow(`SELECT rid FROM runs WHERE id = ?`, opts.ParentID).Scan(&parent); err != nil {
			return nil, fmt.Errorf("tracking: parent run %q: %w", opts.ParentID, notFound(err))
		}
	}
	var resumed sql.NullInt64
	if opts.Resumes && opts.Dir != "" {
		err := tx.QueryRow(`SELECT rid FROM runs WHERE dir = ? ORDER BY start_ms DESC, rid DESC LIMIT 1`, opts.Dir).Scan(&resumed)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return nil, fmt.Errorf("tracking: the run %s resumes: %w", opts.Dir, err)
		}
	}
	var seed sql.NullInt64
	if opts.Seed != nil {
		seed = sql.NullInt64{Int64: *opts.Seed, Valid: true}
	} else if v, err := strconv.ParseInt(opts.Params["seed"], 10, 64); err == nil {
		seed = sql.NullInt64{Int64: v, Valid: true} // the "seed" param convention fills the column
	}
	res, err := tx.Exec(`INSERT INTO runs (id, name, experiment_id, status, start_ms, engine, git_commit, seed,
		parent_rid, dir, command, heartbeat_ms, heartbeat_interval_ms, resumed_from_rid) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)`,
		id, opts.Name, expID, StatusRunning, now, opts.Engine, opts.GitCommit, seed, parent, opts.Dir,
		opts.Command, now, opts.HeartbeatInterval.Milliseconds(), resumed)
	if err != nil {
		return nil, fmt.Errorf("tracking: starting run: %w", err)
	}
	rid, _ := res.LastInsertId()
	if err := recordUpstream(tx, rid, opts.Upstream); err != nil {
		return nil, err
	}
	if err := upsertKV(tx, "params", rid, opts.Params); err != nil {
		return nil, err
	}
	if err := upsertKV(tx, "tags", rid, opts.Tags); err != nil {
		return nil, err
	}
	if err := tx.Commit(); err != nil {
		return nil, fmt.Errorf("tracking: starting run: %w", err)
	}
	r := &StoreRun{store: s, rid: rid, id: id, dir: opts.Dir, opts: opts, warn: &warnOnce{w: opts.Warnings},
		kick: make(chan struct{}, 1), stop: make(chan struct{}), done: make(chan struct{})}
	go r.background()
	return r, nil
}

func experimentID(tx *sql.Tx, name string, now int64) (int64, error) {
	if _, err := tx.Exec(`INSERT OR IGNORE INTO experiments(name, created_ms) VALUES (?, ?)`, name, now); err != nil {
		return 0, fmt.Errorf("tracking: experiment %q: %w", name, err)
	}
	var id int64
	err := tx.QueryRow(`SELECT id FROM experiments WHERE name = ?`, name).Scan(&id)
	return id, err
}

func upsertKV(tx *sql.Tx, table string, rid int64, kv map[string]string) error {
	if len(kv) == 0 {
		return nil
	}
	st, err := tx.Prepare(`INSERT INTO ` + table + `(rid, key, value) VALUES (?,?,?)
		ON CONFLICT(rid, key) DO UPDATE SET value = excluded.value`)
	if err != nil {
		return err
	}
	defer st.Close()
	for k, v := range kv {
		if _, err := st.Exec(rid, k, v); err != nil {
			return fmt.Errorf("tracking: %s %q: %w", table, k, err)
		}
	}
	return nil
}

// newID returns 12 hex digits: short enough to type, and 48 random bits never collide in a
// tracker's lifetime (the UNIQUE constraint would say so if they did).
func newID() (string, error) {
	b := make([]byte, 6)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return hex.EncodeToString(b), nil
}

func (r *StoreRun) ID() string    { return r.id }
func (r *StoreRun) Dir() string   { return r.dir }
func (r *StoreRun) Store() *Store { return r.store }

// LogParams records (or overwrites) params. Params are strings; by convention commands log
// "method", "data", "task", "seed" and "scale" so that runs can be filtered and grouped.
func (r *StoreRun) LogParams(params map[string]string) error {
	return r.write(func(tx *sql.Tx) error { return upsertKV(tx, "params", r.rid, params) },
		unrecorded{Kind: "params", Params: params})
}

// SetTag records a free-form label.
func (r *StoreRun) SetTag(key, value string) error {
	return r.write(func(tx *sql.Tx) error { return upsertKV(tx, "tags", r.rid, map[string]string{key: value}) },
		unrecorded{Kind: "tag", Key: key, Text: value})
}

// LogArtifact records a file or directory the run produced (kind: Artifact* constants).
func (r *StoreRun) LogArtifact(path, kind string) error {
	return r.write(func(tx *sql.Tx) error {
		_, err := tx.Exec(`INSERT INTO artifacts(rid, path, kind, ts_ms) VALUES (?,?,?,?)
			ON CONFLICT(rid, path) DO UPDATE SET kind = excluded.kind, ts_ms = excluded.ts_ms`, r.rid, path, kind, nowMS())
		return err
	}, unrecorded{Kind: "artifact", Key: kind, Text: path})
}

// write runs f in a transaction. A failure is reported once and the record kept in the run
// directory (as keep describes it), never returned: params, tags and artifacts are logged by
// long work that must not stop over them.
func (r *StoreRun) write(f func(tx *sql.Tx) error, keep unrecorded) error {
	r.mu.Lock()
	ended := r.ended
	r.mu.Unlock()
	if ended {
		return ErrEnded
	}
	if err := r.tryWrite(f); err != nil {
		r.failed(err)
		keep.Run, keep.TS = r.id, nowMS()
		if kerr := keepUnrecorded(r.dir, []unrecorded{keep}); kerr != nil {
			return fmt.Errorf("%w (and it could not be kept: %v)", err, kerr)
		}
	}
	return nil
}

func (r *StoreRun) tryWrite(f func(tx *sql.Tx) error) error {
	tx, err := r.store.db.Begin()
	if err != nil {
		return fmt.Errorf("tracking: %w", err)
	}
	defer tx.Rollback()
	if err := f(tx); err != nil {
		return fmt.Errorf("tracking: %w", err)
	}
	// Any write is a sign of life, and lets readers polling Fingerprint see the change.
	if _, err := tx.Exec(`UPDATE runs SET heartbeat_ms = ? WHERE rid = ?`, nowMS(), r.rid); err != nil {
		return fmt.Errorf("tracking: %w", err)
	}
	return tx.Commit()
}

// End flushes the metrics, stops the heartbeat and records the final status (StatusFinished,
// StatusFailed or StatusKilled) with the reason. Calling End again does nothing.
func (r *StoreRun) End(status, reason string) error {
	switch status {
	case StatusFinished, StatusFailed, StatusKilled:
	default:
		return fmt.Errorf("tracking: End: status %q is not finished, failed or killed", status)
	}
	r.mu.Lock()
	if r.ended {
		r.mu.Unlock()
		return nil
	}
	r.ended = true
	r.mu.Unlock()
	close(r.stop)
	<-r.done
	// A last try for buffered points; what the database still refuses is kept in the run
	// directory, with the run's end, and End reports it rather than failing the work.
	var err error
	if errFlush := r.Flush(); errFlush != nil {
		r.failed(errFlush)
		r.keepBuffered(errFlush)
	}
	if _, errEnd := r.store.db.Exec(`UPDATE runs SET status = ?, end_ms = ?, end_reason = ?, heartbeat_ms = ? WHERE rid = ?`,
		status, nowMS(), reason, nowMS(), r.rid); errEnd != nil {
		r.failed(errEnd)
		if kerr := keepUnrecorded(r.dir, []unrecorded{{Run: r.id, Kind: "end", Text: status, Reason: reason, TS: nowMS()}}); kerr != nil {
			err = errEnd
		}
	}
	if r.kept > 0 {
		// A second, final message: it says how much is kept and where.
		fmt.Fprintf(stderrOr(r.opts.Warnings), "byb: %d metric points of run %s are kept in %s (the tracker refused them); once it can take them again: byb runs replay %s\n",
			r.kept, r.id, filepath.Join(r.dir, UnrecordedFile), r.dir)
	}
	if r.ownsStore {
		if cerr := r.store.Close(); err == nil {
			err = cerr
		}
	}
	if err != nil {
		return fmt.Errorf("tracking: ending run %s: %w", r.id, err)
	}
	return nil
}

// EndWithError ends the run as finished when err is nil, as killed when err says the user
// stopped it (a Killed() method returning true), and as failed with err's text otherwise;
// convenient as `defer func() { run.EndWithError(err) }()`.
func EndWithError(r Run, err error) error {
	if err == nil {
		return r.End(StatusFinished, "")
	}
	var k interface{ Killed() bool }
	if errors.As(err, &k) && k.Killed() {
		return r.End(StatusKilled, err.Error())
	}
	return r.End(StatusFailed, err.Error())
}

func stderrOr(w io.Writer) io.Writer {
	if w == nil {
		return os.Stderr
	}
	return w
}

func notFound(err error) error {
	if errors.Is(err, sql.ErrNoRows) {
		return errors.New("no such run")
	}
	return err
}
