package tracking

import (
	"bytes"
	"database/sql"
	"errors"
	"fmt"
	"io"
	mathrand "math/rand/v2"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/mattn/go-sqlite3" // also registers the "sqlite3" driver (cgo)
)

// DefaultPath is the tracker database used when neither --tracking nor $BYB_TRACKING is set.
const DefaultPath = "byb.db"

// PathFromEnv returns $BYB_TRACKING, else DefaultPath.
func PathFromEnv() string {
	if p := os.Getenv("BYB_TRACKING"); p != "" {
		return p
	}
	return DefaultPath
}

// Store is an open tracker database. It is safe for concurrent use by many goroutines, and
// many processes may open the same file at once (WAL mode: readers never block the writer).
type Store struct {
	db   *sql.DB
	path string
}

// sqliteMagic opens every SQLite 3 database file.
var sqliteMagic = []byte("SQLite format 3\x00")

// quickCheckLimit bounds the size of databases Open checks page by page: the check costs time
// proportional to the file, and opening must stay fast on big trackers.
const quickCheckLimit = 64 << 20

// Open opens (or creates) the tracker database at path and migrates its schema forward.
//
// A file that is not a SQLite database, a SQLite database that is not a byb tracker, or a
// damaged one is refused with an error that says so, and is never written to: the checks run
// on a read-only connection before the read-write one is opened.
func Open(path string) (*Store, error) {
	if path == "" {
		return nil, errors.New("tracking: empty database path")
	}
	// Switching a new database to WAL takes an exclusive lock, and SQLite reports a clash
	// there as SQLITE_BUSY without waiting on busy_timeout: processes opening the same fresh
	// file at once retry instead of failing.
	var db *sql.DB
	var err error
	for deadline := time.Now().Add(openRetryFor); ; {
		if err = probe(path); err == nil {
			db, err = openRW(path)
		}
		if err == nil || !isBusy(err) || time.Now().After(deadline) {
			break
		}
		time.Sleep(time.Duration(10+mathrand.IntN(40)) * time.Millisecond)
	}
	if err != nil {
		return nil, err
	}
	s := &Store{db: db, path: path}
	// Best effort: a read-only location still lets readers see stale runs as killed.
	_, _ = s.ReapStale()
	return s, nil
}

// openRetryFor is how long Open retries a database another process is setting up.
const openRetryFor = 10 * time.Second

func openRW(path string) (*sql.DB, error) {
	db, err := sql.Open("sqlite3", dsn(path, false))
	if err != nil {
		return nil, fmt.Errorf("tracking: opening %s: %w", path, err)
	}
	if err := db.Ping(); err != nil {
		db.Close()
		return nil, fmt.Errorf("tracking: opening %s: %w", path, err)
	}
	if err := migrate(db); err != nil {
		db.Close()
		return nil, fmt.Errorf("tracking: %s: %w", path, err)
	}
	return db, nil
}

func isBusy(err error) bool {
	var se sqlite3.Error
	return errors.As(err, &se) && (se.Code == sqlite3.ErrBusy || se.Code == sqlite3.ErrLocked)
}

// OpenExisting is Open for readers (byb runs, byb tui): a missing file is an error rather
// than a new empty tracker left behind in the working directory.
func OpenExisting(path string) (*Store, error) {
	if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("tracking: no tracker database at %s (nothing recorded there yet; --tracking or $BYB_TRACKING choose another)", path)
	}
	return Open(path)
}

// dsn builds the go-sqlite3 connection string. _txlock=immediate makes every transaction take
// the write lock when it begins, so two writers queue on busy_timeout instead of failing with
// "database is locked" when a read transaction tries to upgrade. synchronous=NORMAL in WAL
// mode keeps every committed transaction across a process crash (not across power loss),
// which is what SIGKILL safety needs, at a fraction of FULL's fsyncs.
func dsn(path string, readOnly bool) string {
	abs, err := filepath.Abs(path)
	if err != nil {
		abs = path
	}
	u := (&url.URL{Path: abs}).EscapedPath()
	u = strings.ReplaceAll(u, "?", "%3F")
	if readOnly {
		return "file:" + u + "?mode=ro&_busy_timeout=10000"
	}
	return "file:" + u + "?_busy_timeout=10000&_journal_mode=WAL&_txlock=immediate&_foreign_keys=1&_synchronous=NORMAL"
}

// probe refuses, without writing anything, a path that byb must not turn into a tracker.
func probe(path string) error {
	st, err := os.Stat(path)
	if errors.Is(err, os.ErrNotExist) {
		dir := filepath.Dir(path)
		if _, err := os.Stat(dir); err != nil {
			return fmt.Errorf("tracking: cannot create %s: directory %s: %w", path, dir, err)
		}
		return nil
	}
	if err != nil {
		return fmt.Errorf("tracking: %w", err)
	}
	if st.IsDir() {
		return fmt.Errorf("tracking: %s is a directory, not a tracker database", path)
	}
	if st.Size() == 0 {
		return nil // an empty file is an empty SQLite database
	}
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("tracking: %w", err)
	}
	head := make([]byte, 100)
	n, _ := io.ReadFull(f, head)
	f.Close()
	if n < len(head) || !bytes.HasPrefix(head, sqliteMagic) {
		return fmt.Errorf("tracking: %s is not a SQLite database (it starts with %q); it was left untouched — pass another --tracking path", path, printable(head[:min(n, 16)]))
	}

	db, err := sql.Open("sqlite3", dsn(path, true))
	if err != nil {
		return fmt.Errorf("tracking: %s: %w", path, err)
	}
	defer db.Close()
	damaged := func(err error) error {
		return fmt.Errorf("tracking: %s is a damaged SQLite database (%w); it was left untouched — restore it from a backup or pass another --tracking path", path, err)
	}
	rows, err := db.Query(`SELECT name FROM sqlite_master WHERE type = 'table'`)
	if err != nil {
		return damaged(err)
	}
	var tables []string
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			rows.Close()
			return damaged(err)
		}
		tables = append(tables, name)
	}
	if err := rows.Err(); err != nil {
		rows.Close()
		return damaged(err)
	}
	rows.Close()
	if len(tables) == 0 {
		return nil
	}
	hasVersion := false
	for _, t := range tables {
		hasVersion = hasVersion || t == "schema_version"
	}
	if !hasVersion {
		return fmt.Errorf("tracking: %s is a SQLite database but not a byb tracker (tables: %s); it was left untouched — pass another --tracking path", path, strings.Join(tables, ", "))
	}
	if _, err := readVersion(db); err != nil {
		return damaged(err)
	}
	if st.Size() <= quickCheckLimit {
		var res string
		if err := db.QueryRow(`PRAGMA quick_check(1)`).Scan(&res); err != nil {
			return damaged(err)
		}
		if res != "ok" {
			return damaged(errors.New(res))
		}
	}
	return nil
}

func printable(b []byte) string {
	var sb strings.Builder
	for _, c := range b {
		if c >= 32 && c < 127 {
			sb.WriteByte(c)
		} else {
			sb.WriteByte('.')
		}
	}
	return sb.String()
}

// Path is the database file.
func (s *Store) Path() string { return s.path }

// DB exposes the database for read-only ad-hoc queries (notebooks, tests).
func (s *Store) DB() *sql.DB { return s.db }

// Close closes the database. Runs started from this store must be ended first.
func (s *Store) Close() error { return s.db.Close() }

// IntegrityCheck runs PRAGMA integrity_check and returns nil when it reports "ok".
func (s *Store) IntegrityCheck() error {
	rows, err := s.db.Query(`PRAGMA integrity_check`)
	if err != nil {
		return err
	}
	defer rows.Close()
	var msgs []string
	for rows.Next() {
		var m string
		if err := rows.Scan(&m); err != nil {
			return err
		}
		msgs = append(msgs, m)
	}
	if len(msgs) == 1 && msgs[0] == "ok" {
		return nil
	}
	return fmt.Errorf("integrity_check: %s", strings.Join(msgs, "; "))
}

// StaleFactor: a running run whose heartbeat is older than StaleFactor heartbeat intervals is
// taken for dead (its process was killed without a chance to say so).
const StaleFactor = 3

// ReapStale marks running runs with a stale heartbeat as killed, ending them at their last
// heartbeat. Readers show such runs as killed even before this runs; Open calls it so that
// the database itself converges.
func (s *Store) ReapStale() (int64, error) {
	now := nowMS()
	res, err := s.db.Exec(`UPDATE runs SET status = 'killed', end_ms = heartbeat_ms,
		end_reason = 'heartbeat lost (process died without ending the run)'
		WHERE status = 'running' AND heartbeat_ms < ? - ? * heartbeat_interval_ms`, now, StaleFactor)
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

func nowMS() int64 { return time.Now().UnixMilli() }
