package tracking

import (
	"database/sql"
	"fmt"
)

// migrations[i] takes the schema from version i to version i+1. Append only: a released
// database carries its version in schema_version and Open replays what it lacks, each step in
// its own transaction so a crash mid-migration leaves the previous version intact.
//
// The layout follows MLflow's tracking store (experiments, runs, params, metrics with their
// latest value, tags) with byb's extras as run columns (engine, git commit, seed, parent run,
// run directory, heartbeat). Runs have an integer rowid for joins — metrics hold millions of
// rows, so repeating a text ID in each would double their size — and a short text ID for
// people and the CLI.
var migrations = []string{
	// 0 → 1: the initial schema.
	`
CREATE TABLE experiments (
	id         INTEGER PRIMARY KEY,
	name       TEXT NOT NULL UNIQUE,
	created_ms INTEGER NOT NULL
);
CREATE TABLE runs (
	rid           INTEGER PRIMARY KEY,
	id            TEXT NOT NULL UNIQUE,
	name          TEXT NOT NULL DEFAULT '',
	experiment_id INTEGER NOT NULL REFERENCES experiments(id),
	status        TEXT NOT NULL CHECK (status IN ('running','finished','failed','killed')),
	start_ms      INTEGER NOT NULL,
	end_ms        INTEGER,
	engine        TEXT NOT NULL DEFAULT '',
	git_commit    TEXT NOT NULL DEFAULT '',
	seed          INTEGER,
	parent_rid    INTEGER REFERENCES runs(rid) ON DELETE SET NULL,
	dir           TEXT NOT NULL DEFAULT '',
	command       TEXT NOT NULL DEFAULT '',
	heartbeat_ms  INTEGER NOT NULL,
	heartbeat_interval_ms INTEGER NOT NULL,
	end_reason    TEXT NOT NULL DEFAULT ''
);
CREATE INDEX runs_experiment ON runs(experiment_id, start_ms);
CREATE INDEX runs_parent ON runs(parent_rid);
CREATE TABLE params (
	rid   INTEGER NOT NULL REFERENCES runs(rid) ON DELETE CASCADE,
	key   TEXT NOT NULL,
	value TEXT NOT NULL,
	PRIMARY KEY (rid, key)
) WITHOUT ROWID;
CREATE INDEX params_kv ON params(key, value);
CREATE TABLE tags (
	rid   INTEGER NOT NULL REFERENCES runs(rid) ON DELETE CASCADE,
	key   TEXT NOT NULL,
	value TEXT NOT NULL,
	PRIMARY KEY (rid, key)
) WITHOUT ROWID;
CREATE TABLE metrics (
	rid   INTEGER NOT NULL REFERENCES runs(rid) ON DELETE CASCADE,
	key   TEXT NOT NULL,
	step  INTEGER NOT NULL,
	value REAL,
	ts_ms INTEGER NOT NULL,
	PRIMARY KEY (rid, key, step)
) WITHOUT ROWID;
CREATE TABLE latest_metrics (
	rid   INTEGER NOT NULL REFERENCES runs(rid) ON DELETE CASCADE,
	key   TEXT NOT NULL,
	step  INTEGER NOT NULL,
	value REAL,
	ts_ms INTEGER NOT NULL,
	PRIMARY KEY (rid, key)
) WITHOUT ROWID;
CREATE TABLE artifacts (
	rid   INTEGER NOT NULL REFERENCES runs(rid) ON DELETE CASCADE,
	path  TEXT NOT NULL,
	kind  TEXT NOT NULL,
	ts_ms INTEGER NOT NULL,
	PRIMARY KEY (rid, path)
) WITHOUT ROWID;
`,
	// 1 → 2: a run resumed from another's checkpoint links to it, so that the two read as one
	// logical run.
	`ALTER TABLE runs ADD COLUMN resumed_from_rid INTEGER REFERENCES runs(rid) ON DELETE SET NULL;`,
}

// SchemaVersion is the version a database has after Open.
var SchemaVersion = len(migrations)

// migrate brings db forward to SchemaVersion. A database newer than this binary is refused
// rather than touched: an older byb must not scribble on a layout it does not know.
func migrate(db *sql.DB) error {
	// The common case, an up-to-date tracker, is settled by a read: no write lock is taken,
	// so readers opening the file never queue behind (or hold up) a writer.
	if v, err := readVersion(db); err == nil && v == len(migrations) {
		return nil
	}
	if _, err := db.Exec(`CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)`); err != nil {
		return fmt.Errorf("creating schema_version: %w", err)
	}
	for {
		tx, err := db.Begin() // BEGIN IMMEDIATE (see dsn): two processes never migrate at once
		if err != nil {
			return err
		}
		v, err := readVersion(tx)
		if err != nil {
			tx.Rollback()
			return err
		}
		if v > len(migrations) {
			tx.Rollback()
			return fmt.Errorf("database schema version %d is newer than this byb understands (%d); upgrade byb", v, len(migrations))
		}
		if v == len(migrations) {
			return tx.Commit()
		}
		if _, err := tx.Exec(migrations[v]); err != nil {
			tx.Rollback()
			return fmt.Errorf("migrating schema %d→%d: %w", v, v+1, err)
		}
		if _, err := tx.Exec(`DELETE FROM schema_version`); err != nil {
			tx.Rollback()
			return err
		}
		if _, err := tx.Exec(`INSERT INTO schema_version(version) VALUES (?)`, v+1); err != nil {
			tx.Rollback()
			return err
		}
		if err := tx.Commit(); err != nil {
			return err
		}
	}
}

type querier interface {
	QueryRow(query string, args ...any) *sql.Row
}

func readVersion(q querier) (int, error) {
	var v sql.NullInt64
	if err := q.QueryRow(`SELECT MAX(version) FROM schema_version`).Scan(&v); err != nil {
		return 0, fmt.Errorf("reading schema version: %w", err)
	}
	return int(v.Int64), nil
}
