// Package record is how byb's library reports a run: the three calls that training,
// finetuning, embedding and the bag-of-IDs make. The tracker (the top-level package tracking)
// implements Recorder; the library never imports it, so its layers point down and any
// recorder (a test's, an MLflow client's) plugs in.
package record

// Recorder takes a run's parameters, metrics per step and artifacts. A nil Recorder in an
// options struct records nothing (the callers swap in Nop).
type Recorder interface {
	LogParams(params map[string]string) error
	LogMetric(key string, value float64, step int64) error
	LogArtifact(path, kind string) error
}

// Nop records nothing.
type Nop struct{}

func (Nop) LogParams(map[string]string) error      { return nil }
func (Nop) LogMetric(string, float64, int64) error { return nil }
func (Nop) LogArtifact(string, string) error       { return nil }

// The artifact kinds the library logs.
const (
	ArtifactCheckpoint = "checkpoint"
	ArtifactEmbeddings = "embeddings"
	ArtifactConfig     = "config"
)

// UnrecordedFile is the file, in a run directory, where a tracker keeps what it could not
// record (a full disk): part of a run directory, which training reads.
const UnrecordedFile = "unrecorded-tracking.jsonl"
