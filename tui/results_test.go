package tui

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/byb-dev/byb/tracking"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/exp/teatest"
)

// reproduction is a small `byb reproduce table2` as the tracker holds it: its run, with a
// results artifact; a BYB pretraining per seed under it, each with the frozen probe on 5-day
// under it; the random encoder's probes and the bag-of-IDs regression (seed 0 only: it has no
// seed, so seed 1 reads seed 0's cell back) right under it.
type reproduction struct {
	root, bag  string
	byb, rand0 []string // per seed
	table      *tracking.ResultTable
}

func reproductionStore(t *testing.T) (*tracking.Store, reproduction) {
	t.Helper()
	s := emptyStore(t)
	dir := t.TempDir()
	data := filepath.Join(dir, "data", "tmall-like-ci-seed1")
	var r reproduction
	run := func(o tracking.RunOptions, metrics map[string]float64) string {
		t.Helper()
		run, err := s.StartRun(o)
		if err != nil {
			t.Fatal(err)
		}
		for k, v := range metrics {
			run.LogMetric(k, v, 1)
		}
		if err := run.End(tracking.StatusFinished, ""); err != nil {
			t.Fatal(err)
		}
		return run.ID()
	}
	root, err := s.StartRun(tracking.RunOptions{Experiment: "table2", Name: "reproduce table2 ci", Params: map[string]string{"command": "reproduce table2", "scale": "ci"}})
	if err != nil {
		t.Fatal(err)
	}
	r.root = root.ID()
	cell := func(method, seed string) map[string]string {
		return map[string]string{"method": method, "task": "5-day", "data": data, "seed": seed}
	}
	for seed, v := range []float64{0.70, 0.72} {
		sd := []string{"0", "1"}[seed]
		pre := run(tracking.RunOptions{Experiment: "pretrain", Name: "byb tmall-like", ParentID: r.root, Dir: filepath.Join(dir, "runs", "byb-seed"+sd),
			Params: map[string]string{"method": "byb", "data": data, "seed": sd}}, map[string]float64{"loss": 1})
		r.byb = append(r.byb, run(tracking.RunOptions{Experiment: "finetune", Name: "byb-freeze 5-day", ParentID: pre, Params: cell("byb-freeze", sd)},
			map[string]float64{"test_auroc": v}))
		r.rand0 = append(r.rand0, run(tracking.RunOptions{Experiment: "finetune", Name: "random-freeze 5-day", ParentID: r.root, Params: cell("random-freeze", sd)},
			map[string]float64{"test_auroc": 0.55 + 0.01*float64(seed)}))
	}
	r.bag = run(tracking.RunOptions{Experiment: "finetune", Name: "bag 5-day", ParentID: r.root, Params: cell("bag", "0")}, map[string]float64{"test_auroc": 0.6})

	paper := 0.5779
	r.table = &tracking.ResultTable{Experiment: "table2", Title: "Table 2", Scale: "ci", Metric: tracking.HeadlineMetric, Seeds: 2,
		Legend: "bold: the best frozen pretrained model per task; †: a reference row of byb's own, not in the paper.",
		Datasets: []tracking.ResultDataset{
			{Name: "tmall-like", DataDirs: []string{data, data}, Tasks: []string{"5-day", "10-day"},
				Rows: []tracking.ResultRow{
					{Key: "byb-freeze", Label: "BYB(freeze)", Cells: []tracking.ResultCell{{Values: []float64{0.70, 0.72}, Best: true, Paper: &paper}, {Skipped: "not run"}}},
					{Key: "nbp", Label: "NBP", Cells: []tracking.ResultCell{{Skipped: "not run"}, {Skipped: "not run"}}},
					{Key: "random-freeze", Label: "Random init (freeze)", Reference: true, Cells: []tracking.ResultCell{{Values: []float64{0.55, 0.56}, Marks: "↑"}, {Skipped: "not run"}}},
					{Key: "bag", Label: "Bag-of-IDs (logistic regression)", Reference: true, Cells: []tracking.ResultCell{{Values: []float64{0.6, 0.6}}, {Skipped: "not run"}}},
				},
				Claims: []string{"Claims (\"holds\": the paired per-seed difference is positive on average and larger than its standard deviation):",
					"- 4. BYB(freeze) beats Random init (freeze): pretraining helps (byb's check, not the paper's): holds (holds on 1 of 1 tasks)."}},
			{Name: "mobile-like", Tasks: []string{"Active-30d"},
				Rows: []tracking.ResultRow{{Key: "byb-freeze", Label: "BYB(freeze)", Cells: []tracking.ResultCell{{Skipped: "not run"}}}}},
		}}
	path := filepath.Join(dir, "out", "table2.results.json")
	writeResults(t, path, r.table)
	if err := root.LogArtifact(filepath.Join(dir, "out", "table2.md"), tracking.ArtifactTable); err != nil {
		t.Fatal(err)
	}
	if err := root.LogArtifact(path, tracking.ArtifactResults); err != nil {
		t.Fatal(err)
	}
	if err := root.End(tracking.StatusFinished, ""); err != nil {
		t.Fatal(err)
	}
	return s, r
}

func writeResults(t *testing.T, path string, table *tracking.ResultTable) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := tracking.WriteResultTable(path, table); err != nil {
		t.Fatal(err)
	}
}

// A reproduction's result, in a real program at 80×24: its detail shows the table (rows ×
// tasks, mean ± std, "not run") and the claims; enter opens the table to pick a cell; enter on
// a cell of two seeds compares their runs, on the bag's cell (one run for both seeds) opens
// that run, on a cell not run says so; tab shows the next data set; esc walks back.
func TestReproductionResultsView(t *testing.T) {
	s, r := reproductionStore(t)
	m, err := New(s, Options{Refresh: -1})
	if err != nil {
		t.Fatal(err)
	}
	tm := teatest.NewTestModel(t, m, teatest.WithInitialTermSize(80, 24))
	waitOrder := func(texts ...string) {
		t.Helper()
		teatest.WaitFor(t, tm.Output(), func(b []byte) bool { return inOrder(b, texts...) },
			teatest.WithDuration(5*time.Second), teatest.WithCheckInterval(20*time.Millisecond))
	}
	waitText(t, tm, "(all experiments)")
	tm.Send(tea.KeyMsg{Type: tea.KeyEnter})
	waitText(t, tm, "STATUS")
	tm.Type("G") // the oldest run: the reproduction
	tm.Send(tea.KeyMsg{Type: tea.KeyEnter})
	waitOrder("run "+r.root, "Table 2 (scale ci)", "tmall-like · test AUROC, mean ± std over 2 seeds",
		"5-day", "10-day", "BYB(freeze)", "0.7100 ± 0.0141", "not run", "NBP", "not run", "not run",
		"Random init (freeze) †", "0.5550 ± 0.0071↑", "Bag-of-IDs (logistic", "0.6000 ± 0.0000",
		"Claims", "- 4. BYB(freeze) beats Random init", "enter picks a cell")

	tm.Send(tea.KeyMsg{Type: tea.KeyEnter})
	waitOrder("results · Table 2 · run "+r.root, "data set 1 of 2 (tab)", "BYB(freeze)", "0.7100 ± 0.0141",
		"BYB(freeze) × 5-day: 0.7100 ± 0.0141 (seeds: 0.7000, 0.7200) · paper 0.5779", "runs "+r.byb[0]+" "+r.byb[1]+" · enter compares them")
	tm.Send(tea.KeyMsg{Type: tea.KeyEnter})
	waitOrder("compare", r.byb[0], r.byb[1])
	tm.Send(tea.KeyMsg{Type: tea.KeyEsc})
	waitOrder("results · Table 2", "BYB(freeze) × 5-day")

	tm.Type("jjj") // the bag: seed 1 read seed 0's cell, so one run is behind both
	waitOrder("Bag-of-IDs (logistic regression) × 5-day: 0.6000 ± 0.0000", "run "+r.bag+" · enter opens it")
	tm.Send(tea.KeyMsg{Type: tea.KeyEnter})
	waitOrder("run " + r.bag + " · bag 5-day")
	tm.Send(tea.KeyMsg{Type: tea.KeyEsc})
	waitOrder("results · Table 2", "Bag-of-IDs (logistic regression) × 5-day")

	tm.Type("kkl") // NBP on 10-day
	waitOrder("NBP × 10-day: not run", "no value: no run to open")
	tm.Send(tea.KeyMsg{Type: tea.KeyEnter})
	waitText(t, tm, "no run in the tracker measured this cell")

	tm.Send(tea.KeyMsg{Type: tea.KeyTab})
	waitOrder("mobile-like · test AUROC", "data set 2 of 2", "Active-30d", "BYB(freeze) × Active-30d: not run")
	tm.Send(tea.KeyMsg{Type: tea.KeyEsc})
	waitOrder("run "+r.root, "Table 2 (scale ci)")
	tm.Send(tea.KeyMsg{Type: tea.KeyEsc})
	waitText(t, tm, "STATUS")
	tm.Type("q")
	tm.WaitFinished(t, teatest.WithFinalTimeout(5*time.Second))
	fm := tm.FinalModel(t).(Model)
	if fm.view != viewRuns || fm.results.runID != r.root || fm.results.set != 1 {
		t.Fatalf("final view %d, results of %s on data set %d", fm.view, fm.results.runID, fm.results.set)
	}
}

// The grid marks the best cell of each task (bold) and the cursor's cell, and fits 80 columns
// by narrowing the labels, then by scrolling the tasks to keep the cursor's in view.
func TestResultGridMarksBestAndFits(t *testing.T) {
	mark := func(tag string) lipgloss.Style {
		return lipgloss.NewStyle().Transform(func(s string) string { return "<" + tag + ">" + strings.TrimSpace(s) + "</" + tag + ">" })
	}
	restore := func(b, c lipgloss.Style) func() { return func() { bestStyle, cursorStyle = b, c } }(bestStyle, cursorStyle)
	defer restore()
	bestStyle, cursorStyle = mark("b"), mark("cur")
	_, r := reproductionStore(t)
	d := r.table.Datasets[0]
	lines, first, last := resultGrid(d, 80, gridCursor{row: 2, col: 0})
	out := strings.Join(lines, "\n")
	if first != 0 || last != 2 || !strings.Contains(out, "<b>0.7100 ± 0.0141</b>") || !strings.Contains(out, "<cur>0.5550 ± 0.0071↑</cur>") {
		t.Fatalf("tasks %d-%d:\n%s", first, last, out)
	}
	restore() // the widths below are the real styles'
	wide := d
	wide.Tasks = []string{"Active-30d", "Login-90d", "Unbind-30d", "Unbind-90d", "Extra-1", "Extra-2"}
	for i := range wide.Rows {
		row := &wide.Rows[i]
		row.Cells = nil
		for range wide.Tasks {
			row.Cells = append(row.Cells, tracking.ResultCell{Values: []float64{0.7, 0.72}, Marks: "‡↑"})
		}
	}
	lines, first, last = resultGrid(wide, 80, gridCursor{row: 0, col: 5})
	for _, l := range lines {
		if w := lipgloss.Width(l); w > 80 {
			t.Errorf("a line of %d cells: %q", w, l)
		}
	}
	if last != 6 || first == 0 || !strings.Contains(lines[0], "Extra-2") {
		t.Errorf("the cursor's task is not shown (tasks %d-%d):\n%s", first, last, strings.Join(lines, "\n"))
	}
}

// The reproduction's detail and its results view fit the terminal, 80×24 and narrower.
func TestResultsFitTheTerminal(t *testing.T) {
	s, r := reproductionStore(t)
	for _, size := range [][2]int{{80, 24}, {60, 16}} {
		m := newModel(t, s, size[0], size[1])
		m, cmd := m.openDetail(r.root)
		m, _ = feed(m, cmd())
		if m.detail.results == nil {
			t.Fatal("the detail did not load the results")
		}
		checkFits(t, m.View(), size[0], size[1])
		m, _ = press(t, m, "enter", "l", "j")
		if m.view != viewResults || m.results.row != 1 || m.results.col != 1 {
			t.Fatalf("view %d, cursor %d,%d", m.view, m.results.row, m.results.col)
		}
		checkFits(t, m.View(), size[0], size[1])
	}
}

// An experiment that records no results file (table3, retail, a reproduction of an older byb)
// shows its Markdown table in its detail; a results file no longer where it was recorded is
// said, not a failure.
func TestDetailShowsTheMarkdownTableWithoutResults(t *testing.T) {
	s := emptyStore(t)
	dir := t.TempDir()
	md := filepath.Join(dir, "table3.md")
	if err := os.WriteFile(md, []byte("# Table 3 and Figure 3 (scale ci)\n\n| Method | samples/s |\n|---|---|\n| BYB | 812.5 |\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	run := func(path, kind string) string {
		r, err := s.StartRun(tracking.RunOptions{Experiment: "table3"})
		if err != nil {
			t.Fatal(err)
		}
		r.LogArtifact(path, kind)
		r.End(tracking.StatusFinished, "")
		return r.ID()
	}
	withMD := run(md, tracking.ArtifactTable)
	gone := run(filepath.Join(dir, "gone.results.json"), tracking.ArtifactResults)
	m := newModel(t, s, 80, 24)
	m, cmd := m.openDetail(withMD)
	m, _ = feed(m, cmd())
	if v := m.View(); !inOrder([]byte(v), "table", "table3.md", "# Table 3 and Figure 3 (scale ci)", "| BYB | 812.5 |", "status") {
		t.Errorf("the Markdown table is not in the detail:\n%s", v)
	}
	m, cmd = m.openDetail(gone)
	m, _ = feed(m, cmd())
	if v := m.View(); m.detail.results != nil || !strings.Contains(v, "gone.results.json") || !strings.Contains(v, "no longer there: moved or deleted") {
		t.Errorf("a missing results file:\n%s", v)
	}
	if m, _ = press(t, m, "enter"); m.view != viewDetail || !strings.Contains(m.notice, "no children") {
		t.Errorf("enter on a run without results or children: view %d, notice %q", m.view, m.notice)
	}
}
