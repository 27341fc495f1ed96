package tui

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/byb-dev/byb/tracking"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
)

// demoStore is a tracker with 60 demo runs (5 methods × 2 tasks × 3 seeds × EMA on/off).
func demoStore(t testing.TB, n, points int) (*tracking.Store, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "byb.db")
	s, err := tracking.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	if _, err := tracking.FillDemo(s, n, points, 1); err != nil {
		t.Fatal(err)
	}
	return s, path
}

func keyMsg(k string) tea.KeyMsg {
	switch k {
	case "enter":
		return tea.KeyMsg{Type: tea.KeyEnter}
	case "esc":
		return tea.KeyMsg{Type: tea.KeyEsc}
	case "backspace":
		return tea.KeyMsg{Type: tea.KeyBackspace}
	case "space":
		return tea.KeyMsg{Type: tea.KeySpace, Runes: []rune{' '}}
	case "left":
		return tea.KeyMsg{Type: tea.KeyLeft}
	case "right":
		return tea.KeyMsg{Type: tea.KeyRight}
	case "down":
		return tea.KeyMsg{Type: tea.KeyDown}
	}
	return tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune(k)}
}

// press feeds keys to m as bubbletea would (see feed); quitting is reported.
func press(t *testing.T, m Model, ks ...string) (Model, bool) {
	t.Helper()
	for _, k := range ks {
		var quit bool
		if m, quit = feed(m, keyMsg(k)); quit {
			return m, true
		}
	}
	return m, false
}

// feed sends msg to m, runs the commands the updates return (loads, writes) and feeds their
// messages back, until none is left; quitting is reported.
func feed(m Model, msg tea.Msg) (Model, bool) {
	queue := []tea.Msg{msg}
	for len(queue) > 0 {
		msg := queue[0]
		queue = queue[1:]
		switch msg := msg.(type) {
		case tea.QuitMsg:
			return m, true
		case tea.BatchMsg:
			for _, cmd := range msg {
				if cmd != nil {
					queue = append(queue, cmd())
				}
			}
			continue
		}
		tm, cmd := m.Update(msg)
		m = tm.(Model)
		if cmd != nil {
			queue = append(queue, cmd())
		}
	}
	return m, false
}

func newModel(t *testing.T, s *tracking.Store, w, h int) Model {
	t.Helper()
	m, err := New(s, Options{Refresh: -1})
	if err != nil {
		t.Fatal(err)
	}
	tm, _ := m.Update(tea.WindowSizeMsg{Width: w, Height: h})
	return tm.(Model)
}

// checkFits fails when a frame is larger than the terminal.
func checkFits(t *testing.T, view string, w, h int) {
	t.Helper()
	lines := strings.Split(view, "\n")
	if len(lines) > h {
		t.Errorf("frame has %d lines, terminal %d", len(lines), h)
	}
	for _, l := range lines {
		if lipgloss.Width(l) > w {
			t.Errorf("line of %d cells > %d: %q", lipgloss.Width(l), w, l)
		}
	}
}

func TestExperimentsToRunsTableFitsAt80x24(t *testing.T) {
	s, _ := demoStore(t, 60, 50)
	m := newModel(t, s, 80, 24)
	v := m.View()
	checkFits(t, v, 80, 24)
	if !strings.Contains(v, "(all experiments)") || !strings.Contains(v, "table2") || !strings.Contains(v, "ablation") {
		t.Fatalf("experiments view:\n%s", v)
	}
	m, _ = press(t, m, "down", "enter") // the first real experiment, most recent first
	if m.view != viewRuns || m.experiment == "" {
		t.Fatalf("view %d experiment %q", m.view, m.experiment)
	}
	for _, r := range m.runs.list {
		if r.Experiment != m.experiment {
			t.Fatalf("run of %s listed under %s", r.Experiment, m.experiment)
		}
	}
	m, _ = press(t, m, "esc", "g", "enter") // back, then all experiments
	v = m.View()
	checkFits(t, v, 80, 24)
	for _, h := range []string{"ID", "STATUS", "METHOD", "TASK", "AUROC"} {
		if !strings.Contains(v, h) {
			t.Errorf("runs table lacks column %s:\n%s", h, v)
		}
	}
	// The demo's 3 failed runs are hidden until H shows them.
	if len(m.runs.list) != 57 || !strings.Contains(v, "3 hidden") {
		t.Fatalf("%d runs listed, want 57 and 3 hidden:\n%s", len(m.runs.list), v)
	}
	if m, _ = press(t, m, "H"); len(m.runs.list) != 60 {
		t.Fatalf("%d runs listed after H, want 60", len(m.runs.list))
	}
	// Wider terminals show more columns.
	tm, _ := m.Update(tea.WindowSizeMsg{Width: 120, Height: 30})
	wide := tm.(Model).View()
	checkFits(t, wide, 120, 30)
	if !strings.Contains(wide, "EXPERIMENT") || !strings.Contains(wide, "DATA") {
		t.Errorf("120 columns should show experiment and data:\n%s", wide)
	}
}

func TestSortByEveryColumnAndFilterAsYouType(t *testing.T) {
	s, _ := demoStore(t, 60, 20)
	m := newModel(t, s, 80, 24)
	m, _ = press(t, m, "enter", "H") // the failed runs too
	for i := 0; i < numRunCols; i++ {
		m, _ = press(t, m, "s")
		col := m.runs.sortCol
		c := m.runs.cols()
		for j := 1; j < len(m.runs.list); j++ {
			a, b := m.runs.list[j-1], m.runs.list[j]
			if m.runs.desc && c.less(a, b, col) || !m.runs.desc && c.less(b, a, col) {
				t.Fatalf("column %d not sorted at row %d", col, j)
			}
		}
	}
	m.runs.sortCol = colMetric
	m, _ = press(t, m, "r")
	if !strings.Contains(m.View(), "AUROC") {
		t.Fatal("metric header missing")
	}
	m, _ = press(t, m, "m") // next metric column
	if !strings.Contains(m.View(), "KS") {
		t.Fatalf("metric column did not change:\n%s", m.View())
	}

	m, _ = press(t, m, "/", "n", "b", "p")
	if !m.runs.filtering || len(m.runs.list) == 0 {
		t.Fatalf("filtering %v, %d rows", m.runs.filtering, len(m.runs.list))
	}
	for _, r := range m.runs.list {
		if r.Params["method"] != "nbp" {
			t.Fatalf("filter nbp kept %s", r.Params["method"])
		}
	}
	if v := m.View(); !strings.Contains(v, "filter: nbp") {
		t.Fatalf("filter line missing:\n%s", v)
	}
	m, _ = press(t, m, "space", "r", "i", "s", "k") // "q" or "s" typed here must not quit or sort
	n := len(m.runs.list)
	for _, r := range m.runs.list {
		if r.Params["task"] != "risk" {
			t.Fatal("second term ignored")
		}
	}
	m, _ = press(t, m, "enter")
	if m.runs.filtering || len(m.runs.list) != n {
		t.Fatal("enter should keep the filter")
	}
	m, _ = press(t, m, "/", "esc")
	if m.runs.filter != "" || len(m.runs.list) != 60 {
		t.Fatalf("esc should clear the filter: %q %d", m.runs.filter, len(m.runs.list))
	}
}

func TestDetailDrawsCurves(t *testing.T) {
	s, _ := demoStore(t, 10, 300)
	m := newModel(t, s, 80, 24)
	m, _ = press(t, m, "enter", "enter")
	if m.view != viewDetail || m.detail.run == nil {
		t.Fatalf("view %d, run %v", m.view, m.detail.run)
	}
	v := m.View()
	checkFits(t, v, 80, 24)
	if !strings.Contains(v, "train/loss (300 points)") || !strings.ContainsAny(v, "⠁⠂⠄⡀⠈⠐⠠⢀") {
		t.Fatalf("no loss curve:\n%s", v)
	}
	m, _ = press(t, m, "G")
	v = m.View()
	for _, want := range []string{"params", "method = ", "metrics (final)", "test/auroc"} {
		if !strings.Contains(v, want) {
			t.Errorf("detail lacks %q:\n%s", want, v)
		}
	}
	m, _ = press(t, m, "esc")
	if m.view != viewRuns {
		t.Fatal("esc should go back to the runs")
	}
}

func TestCompareSelectedRunsWithBaseline(t *testing.T) {
	s, _ := demoStore(t, 10, 10)
	m := newModel(t, s, 80, 24)
	m, _ = press(t, m, "enter", "c")
	if m.view != viewRuns || !strings.Contains(m.View(), "select at least two") {
		t.Fatal("compare with nothing selected should explain")
	}
	m, _ = press(t, m, "space", "space", "space", "c")
	if m.view != viewCompare || len(m.cmp.cmp.Runs) != 3 {
		t.Fatalf("view %d", m.view)
	}
	first, second := m.cmp.cmp.Runs[0].ID, m.cmp.cmp.Runs[1].ID
	v := m.View()
	checkFits(t, v, 80, 24)
	if !strings.Contains(v, "*"+first) || !strings.Contains(v, "Δ vs *"+first) || !strings.Contains(v, "params that differ") {
		t.Fatalf("compare view:\n%s", v)
	}
	if !strings.Contains(v, "(+") && !strings.Contains(v, "(-") {
		t.Fatalf("no deltas:\n%s", v)
	}
	m, _ = press(t, m, "b")
	if v := m.View(); !strings.Contains(v, "Δ vs *"+second) {
		t.Fatalf("baseline did not move:\n%s", v)
	}
}

func TestAblationGroupsBySeedsWithBest(t *testing.T) {
	s, _ := demoStore(t, 60, 10)
	m := newModel(t, s, 80, 24)
	m, _ = press(t, m, "enter", "a")
	if m.view != viewAblation {
		t.Fatal("a should open the ablation view")
	}
	v := m.View()
	checkFits(t, v, 80, 24)
	if !strings.Contains(v, "group by method") || !strings.Contains(v, "churn") || !strings.Contains(v, "±") || !strings.Contains(v, ")*") {
		t.Fatalf("ablation view:\n%s", v)
	}
	m, _ = press(t, m, "right")
	if v := m.View(); !strings.Contains(v, "group by ema") {
		t.Fatalf("→ should group by the next param:\n%s", v)
	}
	m, _ = press(t, m, "m")
	if v := m.View(); !strings.Contains(v, "metric test/ks") {
		t.Fatalf("m should change the metric:\n%s", v)
	}
}

func TestHelpListsEveryKeyAndQQuits(t *testing.T) {
	s, _ := demoStore(t, 3, 5)
	m := newModel(t, s, 80, 24)
	m, _ = press(t, m, "?")
	v := m.View()
	checkFits(t, v, 80, 24)
	listed := map[string]bool{}
	left, right := helpGroups()
	for _, g := range append(left, right...) {
		for _, k := range g.b {
			listed[k.Help().Key] = true
		}
	}
	for _, k := range allBindings() {
		h := k.Help()
		if !listed[h.Key] || !strings.Contains(v, h.Key) || !strings.Contains(v, h.Desc) {
			t.Errorf("help lacks %q %q", h.Key, h.Desc)
		}
	}
	m, _ = press(t, m, "?")
	if m.help {
		t.Fatal("? should close the help")
	}
	if _, quit := press(t, m, "q"); !quit {
		t.Fatal("q should quit")
	}
}

func TestEmptyTracker(t *testing.T) {
	s, err := tracking.Open(filepath.Join(t.TempDir(), "empty.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	m := newModel(t, s, 80, 24)
	m, _ = press(t, m, "enter", "enter", "space", "c", "a")
	checkFits(t, m.View(), 80, 24)
	m, _ = press(t, m, "esc", "/", "x")
	if v := m.View(); !strings.Contains(v, "no runs match") {
		t.Fatalf("empty runs view:\n%s", v)
	}
}

// A pretraining run's diagnostics are charted right after its loss and listed on their own.
func TestDetailShowsDiagnostics(t *testing.T) {
	s, _ := demoStore(t, 0, 0)
	r, err := s.StartRun(tracking.RunOptions{Name: "byb pretrain"})
	if err != nil {
		t.Fatal(err)
	}
	for step := int64(1); step <= 50; step++ {
		_ = r.LogMetric("loss", 1/float64(step), step)
		_ = r.LogMetric("samples_per_s", 100, step)
		if step%10 == 0 {
			_ = r.LogMetric("diag_E_rank", 30-float64(step)/10, step)
			_ = r.LogMetric("diag_E_std", 0.5, step)
		}
	}
	if err := r.End(tracking.StatusFinished, ""); err != nil {
		t.Fatal(err)
	}
	m := newModel(t, s, 100, 40)
	m, _ = press(t, m, "enter", "enter")
	if m.detail.run == nil {
		t.Fatal("no run detail")
	}
	if got := m.detail.keys; len(got) != 4 || got[0] != "loss" || got[1] != "diag_E_rank" || got[2] != "diag_E_std" {
		t.Errorf("chart order %v: want loss, then the diagnostics, then the rest", got)
	}
	m, _ = press(t, m, "right")
	if v := m.View(); !strings.Contains(v, "diag_E_rank (5 points)") {
		t.Errorf("→ should chart diag_E_rank:\n%s", v)
	}
	m, _ = press(t, m, "G")
	v := m.View()
	if !strings.Contains(v, "diagnostics (last") || !strings.Contains(v, "diag_E_rank") {
		t.Errorf("detail lacks the diagnostics section:\n%s", v)
	}
}
