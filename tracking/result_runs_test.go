package tracking

import (
	"path/filepath"
	"reflect"
	"testing"
	"time"
)

// A results cell leads to the run that measured each of its seeds: the reproduction's own run
// when it computed the cell, else the earlier run whose logged value the cell read back from
// its cache — never a run of the same cell with another value (other settings), nor one on
// another data set.
func TestCellRunsFindTheRunBehindEachSeed(t *testing.T) {
	t0 := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	n := 0
	run := func(id, parent, method, data, seed string, auroc float64) RunInfo {
		n++
		r := RunInfo{ID: id, ParentID: parent, Status: StatusFinished, Start: t0.Add(time.Duration(n) * time.Minute),
			Params:  map[string]string{"method": method, "task": "5-day", "data": data, "seed": seed},
			Metrics: Metrics{"test_auroc": auroc}}
		return r
	}
	const data, other = "out/data/tmall-like-ci-seed1", "out/data/mobile-like-ci-seed1"
	runs := []RunInfo{
		// An earlier reproduction: its BYB(freeze) cell with other settings, and the one the
		// new reproduction read back from the cache.
		run("oldrepro", "", "", "", "", 0),
		run("oldpre", "oldrepro", "", data, "0", 0),
		run("oldbyb-other", "oldpre", "byb-freeze", data, "0", 0.65),
		run("oldbyb", "oldpre", "byb-freeze", data, "0", 0.70),
		run("oldbag", "oldrepro", "bag", data, "0", 0.60),
		// The reproduction: its pretraining, the frozen probe of seed 1 under it, the random
		// encoder and the bag of seed 0 under the reproduction itself.
		run("repro", "", "", "", "", 0),
		run("pre1", "repro", "", data, "1", 0),
		run("byb1", "pre1", "byb-freeze", data, "1", 0.74),
		run("rand0", "repro", "random-freeze", data, "0", 0.55),
		run("bag0", "repro", "bag", data, "0", 0.60),
		// The same row and task on another data set.
		run("elsewhere", "repro", "random-freeze", other, "1", 0.51),
	}
	d := ResultDataset{Name: "tmall-like", DataDirs: []string{data, data}, Tasks: []string{"5-day"}}
	cell := func(key string, values ...float64) ResultRow {
		return ResultRow{Key: key, Cells: []ResultCell{{Values: values}}}
	}
	for _, tc := range []struct {
		row  ResultRow
		want []string
	}{
		// Seed 0 read back from the cache (0.70, not the 0.65 of other settings); seed 1 run here.
		{cell("byb-freeze", 0.70, 0.74), []string{"oldbyb", "byb1"}},
		// Seed 1 of the random encoder has no run on this data set: the other one's is not it.
		{cell("random-freeze", 0.55, 0.52), []string{"rand0", ""}},
		// The bag has no seed: seed 1 reads seed 0's cell, so its run is seed 0's, the latest.
		{cell("bag", 0.60, 0.60), []string{"bag0", "bag0"}},
		{ResultRow{Key: "nbp", Cells: []ResultCell{{Skipped: "not run"}}}, []string{}},
	} {
		if got := CellRuns(runs, "repro", d, tc.row, 0); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s: runs %q, want %q", tc.row.Key, got, tc.want)
		}
	}
	if got := CellRuns(runs, "repro", d, cell("bag", 0.6), 3); got != nil {
		t.Errorf("a task out of range: %q", got)
	}
}

// A results file reads back as written; one whose rows do not match its tasks is refused.
func TestResultTableRoundTrip(t *testing.T) {
	paper := 0.5779
	want := &ResultTable{Experiment: "table2", Title: "Table 2", Scale: "ci", Metric: HeadlineMetric, Seeds: 2,
		Datasets: []ResultDataset{{Name: "tmall-like", Tasks: []string{"5-day", "10-day"}, Claims: []string{"- 1. it holds."},
			Rows: []ResultRow{{Key: "byb-freeze", Label: "BYB(freeze)", Cells: []ResultCell{
				{Values: []float64{0.7, 0.72}, Best: true, Paper: &paper, Marks: "‡"}, {Skipped: "not run"}}}}}}}
	path := filepath.Join(t.TempDir(), "t.results.json")
	if err := WriteResultTable(path, want); err != nil {
		t.Fatal(err)
	}
	got, err := ReadResultTable(path)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("read back %+v, want %+v", got, want)
	}
	want.Datasets[0].Rows[0].Cells = want.Datasets[0].Rows[0].Cells[:1]
	if err := WriteResultTable(path, want); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadResultTable(path); err == nil {
		t.Fatal("a row with fewer cells than tasks was read")
	}
}
