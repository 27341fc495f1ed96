package tracking

import (
	"path/filepath"
	"strings"
	"testing"
)

// A tracker this process cannot write (a read-only mount, another user's directory; played
// here through writable, since tests may run as root): a writer is told it is read-only and
// what to do (SQLite used to say "no such file or directory" for a file that exists), and a
// reader reads it.
func TestReadOnlyTracker(t *testing.T) {
	path := filepath.Join(t.TempDir(), "byb.db")
	r, err := Begin(path, RunOptions{Experiment: "pretrain", Name: "byb ci"})
	if err != nil {
		t.Fatal(err)
	}
	if err := r.LogMetric("loss", 3.5, 1); err != nil {
		t.Fatal(err)
	}
	if err := r.End(StatusFinished, ""); err != nil {
		t.Fatal(err)
	}
	id := r.ID()

	was := writable
	writable = func(string) bool { return false }
	defer func() { writable = was }()
	if _, err := Open(path); err == nil || !strings.Contains(err.Error(), "is read-only here") || !strings.Contains(err.Error(), "--tracking off") {
		t.Fatalf("a writer on a read-only tracker: %v", err)
	}
	if _, err := Begin(path, RunOptions{Experiment: "pretrain"}); err == nil || !strings.Contains(err.Error(), "read-only") {
		t.Fatalf("a run begun on a read-only tracker: %v", err)
	}
	s, err := OpenExisting(path)
	if err != nil {
		t.Fatalf("a reader of a read-only tracker: %v", err)
	}
	defer s.Close()
	runs, err := s.ListRuns(Filter{})
	if err != nil || len(runs) != 1 || runs[0].ID != id || runs[0].Status != StatusFinished {
		t.Fatalf("runs read: %+v, %v", runs, err)
	}
	h, err := s.MetricHistory(id, "loss")
	if err != nil || len(h) != 1 || h[0].Value != 3.5 {
		t.Fatalf("metric read: %+v, %v", h, err)
	}
}
