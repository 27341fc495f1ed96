package tracking

import (
	"path/filepath"
	"testing"
)

// BenchmarkLogMetric is the cost of logging one metric point from a training loop (the
// write itself happens in the background, batched): go test ./tracking -run '^$' -bench LogMetric
func BenchmarkLogMetric(b *testing.B) {
	s, err := Open(filepath.Join(b.TempDir(), "byb.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	r, err := s.StartRun(RunOptions{})
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := r.LogMetric("train/loss", float64(i), int64(i)); err != nil {
			b.Fatal(err)
		}
	}
	if err := r.End(StatusFinished, ""); err != nil { // includes the final flush
		b.Fatal(err)
	}
}
