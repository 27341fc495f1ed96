package tracking_test

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/byb-dev/byb/tracking"
)

// A command records itself like this: one Begin, params, metrics per step, artifacts, and an
// End that says how it finished. HandleSignals turns Ctrl-C into a "killed" run.
func ExampleBegin() {
	dir, _ := os.MkdirTemp("", "byb-example-")
	defer os.RemoveAll(dir)
	db := filepath.Join(dir, "byb.db") // commands pass --tracking / $BYB_TRACKING here

	run, err := tracking.Begin(db, tracking.RunOptions{
		Experiment: "table2",
		Engine:     "go",
		GitCommit:  tracking.GitCommit(""),
		Seed:       tracking.Seed(1),
		Dir:        filepath.Join(dir, "run"),
		Params:     map[string]string{"method": "byb", "data": "data/tmall-like", "task": "churn", "seed": "1", "scale": "ci"},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	stop := tracking.HandleSignals(run, "")
	defer stop()

	train := func() error {
		for step := int64(0); step < 100; step++ {
			if err := run.LogMetric("train/loss", 1/float64(step+1), step); err != nil {
				return err
			}
		}
		run.LogMetric("test/auroc", 0.81, 100)
		return run.LogArtifact(filepath.Join(dir, "run", "checkpoint"), tracking.ArtifactCheckpoint)
	}
	err = train()
	if err := tracking.EndWithError(run, err); err != nil { // finished, or failed with err's text
		fmt.Println(err)
	}

	s, _ := tracking.OpenExisting(db)
	defer s.Close()
	runs, _ := s.ListRuns(tracking.Filter{Method: "byb", Params: map[string]string{"task": "churn"}})
	fmt.Println(len(runs), runs[0].Status, runs[0].Metrics["test/auroc"])
	_, err = tracking.OpenExisting(filepath.Join(dir, "missing.db"))
	fmt.Println(err != nil) // readers do not create databases
	// Output:
	// 1 finished 0.81
	// true
}
