// Package tracking records every byb run: params, metrics per step, tags, artifacts, status.
//
// Commands and trainers write through the small Run interface below, so that what records a
// run (the SQLite store of this package, or a no-op in unit tests) can change without
// touching them.
package tracking

import "github.com/byb-dev/byb/byb/record"

// Run statuses, as in MLflow.
const (
	StatusRunning  = "running"
	StatusFinished = "finished"
	StatusFailed   = "failed"
	StatusKilled   = "killed"
)

// Artifact kinds.
const (
	ArtifactCheckpoint = record.ArtifactCheckpoint
	ArtifactTable      = "table"
	ArtifactFigure     = "figure"
	ArtifactEmbeddings = record.ArtifactEmbeddings
	ArtifactConfig     = record.ArtifactConfig
)

// Run is one run being recorded. Implementations are safe for use from one goroutine at a
// time; LogMetric is cheap enough to call every training step (writes are batched).
type Run interface {
	// Recorder is what byb's library logs through: params, metrics, artifacts.
	record.Recorder
	ID() string
	// Dir is the run directory that holds checkpoints and artifacts.
	Dir() string
	SetTag(key, value string) error
	// End closes the run with a final status and, for failed/killed, the reason.
	End(status, reason string) error
}

// Nop is a Run that records nothing; for tests and library use without a tracker.
type Nop struct{ RunDir string }

func (n Nop) ID() string                             { return "" }
func (n Nop) Dir() string                            { return n.RunDir }
func (n Nop) LogParams(map[string]string) error      { return nil }
func (n Nop) LogMetric(string, float64, int64) error { return nil }
func (n Nop) SetTag(string, string) error            { return nil }
func (n Nop) LogArtifact(string, string) error       { return nil }
func (n Nop) End(string, string) error               { return nil }
