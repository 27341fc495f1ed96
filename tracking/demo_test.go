package tracking

import (
	"os"
	"testing"
)

// TestFillDemo checks the demo data; with BYB_DEMO_DB set it also leaves a demo tracker there
// (handy for trying `byb tui`): BYB_DEMO_DB=/tmp/demo.db go test ./tracking -run FillDemo
func TestFillDemo(t *testing.T) {
	path := os.Getenv("BYB_DEMO_DB")
	var s *Store
	if path == "" {
		s, _ = openTemp(t)
	} else {
		var err error
		if s, err = Open(path); err != nil {
			t.Fatal(err)
		}
		defer s.Close()
	}
	ids, err := FillDemo(s, 60, 200, 1)
	if err != nil {
		t.Fatal(err)
	}
	runs, err := s.ListRuns(Filter{})
	if err != nil || len(runs) < len(ids) {
		t.Fatalf("%d runs, %v", len(runs), err)
	}
	h, _ := s.MetricHistory(ids[0], "train/loss")
	if len(h) != 200 {
		t.Fatalf("%d points", len(h))
	}
	a := Ablate(runs, "ema", "test/auroc")
	if len(a.Values) != 2 || len(a.Tasks) != 2 {
		t.Fatalf("ablation %+v", a)
	}
}
