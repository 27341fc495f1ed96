package tracking

import (
	"database/sql"
	"errors"
	"fmt"
	"io"
	mathrand "math/rand/v2"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
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

// quickCheckLimit bounds the size of databases whose read errors Open checks page by page,
// to tell damage from I/O trouble: the check costs time proportional to the file.
const quickCheckLimit = 64 << 20

// Open opens (or creates) the tracker database at path and migrates its schema forward.
//
// A file that is not a SQLite database, a SQLite database that is not a byb tracker, or a
// damaged one is refused with an error that says so, and is never written to: the checks run
// on a read-only connection before the read-write one is opened.
func Open(path string) (*Store, error) {
	if _, err := os.Stat(path); err == nil && !writable(path) {
		return nil, readOnlyError(path)
	}
	s, err := open(path)
	if err != nil {
		return nil, err
	}
	// Best effort: a read-only location still lets readers see stale runs as killed.
	_, _ = s.ReapStale()
	return s, nil
}

func open(path string) (*Store, error) {
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
	return &Store{db: db, path: path}, nil
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
// than a new empty tracker left behind in the working directory, and opening writes nothing
// (stale runs read as killed without being marked so), so that readers polling in a loop
// never compete with a writer for its lock.
func OpenExisting(path string) (*Store, error) {
	if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("tracking: no tracker database at %s (nothing recorded there yet; --tracking or $BYB_TRACKING choose another)", path)
	}
	if !writable(path) {
		return openReadOnly(path)
	}
	return open(path)
}

// writable reports whether this process may write path and create files beside it (SQLite's
// -wal and -shm): on a read-only directory SQLite fails with "no such file or directory" for
// a database that exists. A variable, so that tests run as root can play a read-only disk.
var writable = func(path string) bool {
	return syscall.Access(filepath.Dir(path), 2 /* W_OK */) == nil && syscall.Access(path, 2) == nil
}

// openReadOnly opens a tracker in a place this process cannot write (a read-only mount, a
// colleague's directory) for reading: immutable, since no writer can change it there either.
func openReadOnly(path string) (*Store, error) {
	db, err := sql.Open("sqlite3", dsn(path, true)+"&immutable=1")
	if err != nil {
		return nil, fmt.Errorf("tracking: %s (read-only): %w", path, err)
	}
	if _, err := readVersion(db); err != nil {
		db.Close()
		return nil, fmt.Errorf("tracking: %s (read-only, so opened as it is): %w", path, err)
	}
	return &Store{db: db, path: path}, nil
}

// readOnlyError is what a writer is told about a tracker it cannot write.
func readOnlyError(path string) error {
	return fmt.Errorf("tracking: %s is read-only here (this process cannot write it or its directory %s, which SQLite needs for its -wal and -shm files): runs cannot be recorded there; pass --tracking PATH somewhere writable, or --tracking off (byb runs and byb tui can still read it)",
		path, filepath.Dir(path))
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
//
// It reads the file only through SQLite. Opening and closing the database file any other way
// (os.Open to look at its header, say) would silently drop every POSIX lock this process holds
// on it — SQLite's locks are per process, and close(2) releases them all — so that a reader in
// another process, closing last, deletes the -wal and -shm files under a live writer. That is
// how `byb runs list` beside `byb reproduce` (which opens the tracker once per child run) used
// to abort the reproduction with "disk I/O error".
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
	db, err := sql.Open("sqlite3", dsn(path, true))
	if err != nil {
		return fmt.Errorf("tracking: %s: %w", path, err)
	}
	defer db.Close()
	tables, err := tableNames(db)
	if err != nil {
		return explainOpenError(db, path, st.Size(), err)
	}
	if len(tables) == 0 {
		return nil
	}
	if !slices.Contains(tables, "schema_version") {
		return fmt.Errorf("tracking: %s is a SQLite database but not a byb tracker (tables: %s); it was left untouched — pass another --tracking path", path, strings.Join(tables, ", "))
	}
	if _, err := readVersion(db); err != nil {
		return explainOpenError(db, path, st.Size(), err)
	}
	return nil
}

func tableNames(db *sql.DB) ([]string, error) {
	rows, err := db.Query(`SELECT name FROM sqlite_master WHERE type = 'table'`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var tables []string
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			return nil, err
		}
		tables = append(tables, name)
	}
	return tables, rows.Err()
}

// explainOpenError says what went wrong reading an existing tracker: not a database, damaged
// (only when SQLite's own quick_check says so), disk full, or an I/O error named as such.
func explainOpenError(db *sql.DB, path string, size int64, err error) error {
	var se sqlite3.Error
	if errors.As(err, &se) && se.Code == sqlite3.ErrNotADB {
		// Not a database, so no SQLite connection of this process can hold locks on it, and
		// reading its first bytes to show the user is safe.
		return fmt.Errorf("tracking: %s is not a SQLite database (it starts with %q); it was left untouched — pass another --tracking path", path, fileHead(path))
	}
	if errors.As(err, &se) && se.Code == sqlite3.ErrFull {
		return fmt.Errorf("tracking: %s: the disk is full (%w); free some space and run again", path, err)
	}
	if isBusy(err) {
		return err // Open retries
	}
	if size <= quickCheckLimit {
		var res string
		if qerr := db.QueryRow(`PRAGMA quick_check(1)`).Scan(&res); qerr == nil && res != "ok" {
			return fmt.Errorf("tracking: %s is a damaged SQLite database (%v: %s); it was left untouched — restore it from a backup or pass another --tracking path", path, err, res)
		} else if qerr == nil {
			return fmt.Errorf("tracking: reading %s: %w (quick_check finds the file intact; this is an I/O problem, not damage — check the disk and the file's permissions)", path, err)
		}
	}
	if errors.As(err, &se) && (se.Code == sqlite3.ErrCorrupt || se.Code == sqlite3.ErrNotADB) {
		return fmt.Errorf("tracking: %s is a damaged SQLite database (%w); it was left untouched — restore it from a backup or pass another --tracking path", path, err)
	}
	return fmt.Errorf("tracking: reading %s: %w", path, err)
}

// fileHead returns the first bytes of a file that is not a database, made printable.
func fileHead(path string) string {
	f, err := os.Open(path)
	if err != nil {
		return ""
	}
	defer f.Close()
	b := make([]byte, 16)
	n, _ := io.ReadFull(f, b)
	return printable(b[:n])
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
