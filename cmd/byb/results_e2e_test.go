package main

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/byb-dev/byb/internal/testenv"
	"github.com/byb-dev/byb/tracking"
	"github.com/byb-dev/byb/tui"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/exp/teatest"
)

// A small reproduction end to end, as a user runs it: `byb reproduce table2` on a generated
// dataset (two seeds, three rows, one task, a smoke budget) with a tracker. Its results file
// holds the CSV's values; the run behind each seed of each cell logged that very value; the
// TUI opens the reproduction on its table and a cell on its runs; `byb runs export --format
// mlflow` puts every run in an MLflow store with the table among the reproduction's
// artifacts, and a second export adds no run.
func TestSmallReproductionResults(t *testing.T) {
	testenv.SkipShort(t, "pretrains twice and probes on a generated dataset")
	data := ciData(t)
	dir := t.TempDir()
	db, out := filepath.Join(dir, "byb.db"), filepath.Join(dir, "out")
	_, stderr, err := capture(t, func() error {
		return runReproduce([]string{"table2", "--scale", "ci", "--seeds", "2", "--dataset", data, "--rows", "byb-freeze,random-freeze,bag",
			"--tasks", "5-day", "--pretrain-set", "steps=2;batch_size=16;max_len=32;d=16;ff=32;heads=2;layers=1",
			"--finetune-set", "epochs=1;bag_max_iter=5", "--tracking", db, "--out", out, "--backend", "go", "--quiet"})
	})
	if err != nil {
		t.Fatalf("reproduce: %v\n%s", err, stderr)
	}
	s, err := tracking.OpenExisting(db)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	roots, err := s.ListRuns(tracking.Filter{Experiment: "table2"})
	if err != nil || len(roots) != 1 {
		t.Fatalf("%d reproduction runs (%v)", len(roots), err)
	}
	root, err := s.GetRun(roots[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	var resultsPath string
	for _, a := range root.Artifacts {
		if a.Kind == tracking.ArtifactResults {
			resultsPath = a.Path
		}
	}
	table, err := tracking.ReadResultTable(resultsPath)
	if err != nil {
		t.Fatalf("the reproduction's results artifact: %v (artifacts %+v)", err, root.Artifacts)
	}
	if len(table.Datasets) != 1 || len(table.Datasets[0].Tasks) == 0 {
		t.Fatalf("results %+v", table)
	}
	d := table.Datasets[0]
	task := slicesIndex(d.Tasks, "5-day")

	// The results file holds the CSV's numbers, seed by seed.
	csvValues := readTableCSV(t, filepath.Join(out, "table2-ci", "table2.csv"))
	all, err := s.ListRuns(tracking.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	byID := map[string]tracking.RunInfo{}
	for _, r := range all {
		byID[r.ID] = r
	}
	var bybRuns []string
	for _, row := range d.Rows {
		c := row.Cells[task]
		want := csvValues[row.Key]
		if row.Key != "byb-freeze" && row.Key != "random-freeze" && row.Key != "bag" {
			if c.Skipped != "not run" || len(want) != 0 {
				t.Errorf("%s: %+v, want \"not run\" (not asked for)", row.Key, c)
			}
			continue
		}
		if len(c.Values) != len(want) {
			t.Errorf("%s: results %v, CSV %v", row.Key, c.Values, want)
		}
		for i := range min(len(c.Values), len(want)) {
			if math.Abs(c.Values[i]-want[i]) > 5e-7 { // the CSV has 6 decimals
				t.Errorf("%s seed %d: results %v, CSV %v", row.Key, i, c.Values[i], want[i])
			}
		}
		// The run behind each seed logged the cell's value for it.
		ids := tracking.CellRuns(all, root.ID, d, row, task)
		for seed, id := range ids {
			v, ok := tracking.MetricValue(byID[id], tracking.HeadlineMetric)
			if id == "" || !ok || math.Abs(v-c.Values[seed]) > 1e-12 {
				t.Errorf("%s seed %d: run %q logged %v (%v), the cell holds %v", row.Key, seed, id, v, ok, c.Values[seed])
			}
		}
		if row.Key == "bag" && (len(ids) != 2 || ids[0] != ids[1]) {
			t.Errorf("the bag's second seed reads the first one's cell, so its run: %q", ids)
		}
		if row.Key == "byb-freeze" {
			bybRuns = ids
		}
	}

	// The TUI: the reproduction's detail shows its table, enter opens it, enter on BYB(freeze)
	// compares the runs of its two seeds.
	m, err := tui.New(s, tui.Options{Refresh: -1})
	if err != nil {
		t.Fatal(err)
	}
	tm := teatest.NewTestModel(t, m, teatest.WithInitialTermSize(100, 30))
	wait := func(texts ...string) {
		t.Helper()
		teatest.WaitFor(t, tm.Output(), func(b []byte) bool {
			for _, s := range texts {
				if !strings.Contains(string(b), s) {
					return false
				}
			}
			return true
		}, teatest.WithDuration(10*time.Second), teatest.WithCheckInterval(20*time.Millisecond))
	}
	byb := d.Rows[slicesIndexFunc(d.Rows, "byb-freeze")].Cells[task]
	mean, std := byb.MeanStd()
	cell := fmt.Sprintf("%.4f ± %.4f", mean, std)
	wait("(all experiments)")
	tm.Send(tea.KeyMsg{Type: tea.KeyEnter})
	wait("STATUS")
	tm.Type("/reproduce")
	tm.Send(tea.KeyMsg{Type: tea.KeyEnter})
	tm.Send(tea.KeyMsg{Type: tea.KeyEnter})
	wait("run "+root.ID, "Table 2 (scale ci)", "BYB(freeze)", cell, "not run", "Claims")
	tm.Send(tea.KeyMsg{Type: tea.KeyEnter})
	row := slicesIndexFunc(d.Rows, "byb-freeze")
	tm.Type(strings.Repeat("j", row) + strings.Repeat("l", task))
	wait("results · Table 2", "BYB(freeze) × 5-day: "+cell, "enter compares them")
	tm.Send(tea.KeyMsg{Type: tea.KeyEnter})
	wait("compare", bybRuns[0], bybRuns[1])
	tm.Type("q")
	tm.WaitFinished(t, teatest.WithFinalTimeout(5*time.Second))

	// The MLflow export: every run, the table among the reproduction's artifacts; again,
	// nothing added.
	store := filepath.Join(dir, "mlruns")
	for i, wantNew := range []int{len(all), 0} {
		stdout, stderr, err := capture(t, func() error {
			return runsExport([]string{"--format", "mlflow", "--out", store, "--tracking", db, "--json"})
		})
		if err != nil {
			t.Fatalf("export %d: %v\n%s", i, err, stderr)
		}
		var res tracking.MLflowExport
		if err := json.Unmarshal([]byte(stdout), &res); err != nil {
			t.Fatalf("export %d --json: %v\n%s", i, err, stdout)
		}
		if res.Runs != len(all) || res.New != wantNew || res.Updated != len(all)-wantNew {
			t.Errorf("export %d: %+v, want %d runs, %d new", i, res, len(all), wantNew)
		}
	}
	var expID string
	entries, _ := os.ReadDir(store)
	for _, e := range entries {
		if _, err := os.Stat(filepath.Join(store, e.Name(), root.ID)); err == nil {
			expID = e.Name()
		}
	}
	for _, f := range []string{"table2.results.json", "table2.md", "table2.csv"} {
		if _, err := os.Stat(filepath.Join(store, expID, root.ID, "artifacts", "tables", f)); err != nil {
			t.Errorf("the reproduction's %s in MLflow: %v", f, err)
		}
	}
}

// readTableCSV reads a table's CSV: the values of each row key on 5-day, in seed order.
func readTableCSV(t *testing.T, path string) map[string][]float64 {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]float64{}
	for _, r := range recs[1:] { // dataset,method,task,seed,auroc,...
		if r[2] != "5-day" {
			continue
		}
		v, err := strconv.ParseFloat(r[4], 64)
		if err != nil {
			t.Fatal(err)
		}
		out[r[1]] = append(out[r[1]], v)
	}
	return out
}

func slicesIndex(s []string, v string) int {
	for i, x := range s {
		if x == v {
			return i
		}
	}
	return -1
}

func slicesIndexFunc(rows []tracking.ResultRow, key string) int {
	for i, r := range rows {
		if r.Key == key {
			return i
		}
	}
	return -1
}
