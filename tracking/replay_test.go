package tracking

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// What a run kept in its directory while the tracker refused it (disk full) is written back
// by Replay: metric points with their steps, and the end it really had, over the "killed"
// that its stale heartbeat read as; a run the tracker could not even begin becomes a run.
// The file is renamed, so that a second replay adds nothing.
func TestReplayUnrecorded(t *testing.T) {
	path := filepath.Join(t.TempDir(), "byb.db")
	dir := t.TempDir()
	r, err := Begin(path, RunOptions{Experiment: "pretrain", Name: "byb ci", Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	if err := r.LogMetric("loss", 4, 1); err != nil {
		t.Fatal(err)
	}
	id := r.ID()
	// The disk filled up: the rest of the run went to its directory, then the process ended
	// and the tracker reads it as killed.
	v5, v6 := 3.0, 2.5
	if err := keepUnrecorded(dir, []unrecorded{
		{Run: id, Kind: "metric", Key: "loss", Value: &v5, Step: 5, TS: 1000},
		{Run: id, Kind: "metric", Key: "loss", Value: &v6, Step: 6, TS: 2000},
		{Run: id, Kind: "tag", Key: "note", Text: "kept", TS: 2000},
		{Run: id, Kind: "end", Text: StatusFinished, TS: 3000},
	}); err != nil {
		t.Fatal(err)
	}
	r.End(StatusKilled, "heartbeat stale")

	s, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	res, err := s.Replay(dir)
	if err != nil || res.Lines != 4 || len(res.Runs) != 1 || res.Runs[0] != id {
		t.Fatalf("replay: %+v, %v", res, err)
	}
	d, err := s.GetRun(id)
	if err != nil || d.Status != StatusFinished || d.Tags["note"] != "kept" {
		t.Fatalf("the replayed run: %+v, %v; want finished, tagged", d, err)
	}
	h, err := s.MetricHistory(id, "loss")
	if err != nil || len(h) != 3 || h[2].Step != 6 || h[2].Value != 2.5 {
		t.Fatalf("loss history %+v, %v; want steps 1, 5, 6", h, err)
	}
	if _, err := s.Replay(dir); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a second replay: %v, want the file gone (renamed to %s)", err, res.Kept)
	}

	// A run the tracker could not begin at all (FileRun) is begun by the replay.
	other := t.TempDir()
	f := &FileRun{RunDir: other}
	f.keep(unrecorded{Kind: "params", Params: map[string]string{"command": "finetune", "task": "5-day"}, Text: "finetune byb"})
	f.LogMetric("test_auroc", 0.71, 0)
	f.End(StatusFinished, "")
	res, err = s.Replay(other)
	if err != nil || len(res.Created) != 1 {
		t.Fatalf("replay of a FileRun: %+v, %v", res, err)
	}
	d, err = s.GetRun(res.Created[0])
	if err != nil || d.Status != StatusFinished || d.Params["task"] != "5-day" || d.Experiment != "finetune" {
		t.Fatalf("the run begun by the replay: %+v, %v", d, err)
	}
}
