package tui

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/byb-dev/byb/tracking"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/exp/teatest"
)

// sweepStore records a sweep as `byb sweep` does: a parent in experiment "sweep" with its
// grid, metric and goal, and one finetuning child per point, its point merged into its own
// --set: one per point, its learning rate, val_best (0: none logged) and status.
func sweepStore(t *testing.T, goal string, points []sweepPoint) (s *tracking.Store, parent string, kids map[string]string) {
	t.Helper()
	s = emptyStore(t)
	var lrs []string
	for _, p := range points {
		lrs = append(lrs, p.lr)
	}
	grid := "learning_rate=" + strings.Join(lrs, ",")
	parent = addRun(t, s, testRun{exp: "sweep", params: map[string]string{"command": "sweep", "grid": grid, "metric": "val_best", "goal": goal}})
	kids = map[string]string{}
	for _, p := range points {
		tr := testRun{exp: "finetune", parent: parent, status: p.status,
			params: map[string]string{"method": "supervised", "task": "5-day", "settings": "d=16;layers=1;learning_rate=" + p.lr}}
		if p.val != 0 {
			tr.metrics = map[string]float64{"val_best": p.val, "test_macro_auroc": 0.5}
		}
		kids[p.lr] = addRun(t, s, tr)
	}
	return s, parent, kids
}

type sweepPoint struct {
	lr     string
	val    float64 // 0: none logged
	status string
}

// inOrder reports whether every text occurs in b, each after the one before.
func inOrder(b []byte, texts ...string) bool {
	at := 0
	for _, s := range texts {
		i := bytes.Index(b[at:], []byte(s))
		if i < 0 {
			return false
		}
		at += i + len(s)
	}
	return true
}

// A sweep's detail lists its points best first (goal max: the highest val_best), the best
// marked; enter opens that table, where enter opens the point's run, and esc comes back to
// the table, then to the sweep.
func TestSweepDetailRanksItsPoints(t *testing.T) {
	s, parent, kids := sweepStore(t, "max", []sweepPoint{{"1e-4", 0.61, ""}, {"3e-4", 0.72, ""}, {"1e-3", 0.55, ""}})
	m, err := New(s, Options{Refresh: -1})
	if err != nil {
		t.Fatal(err)
	}
	tm := teatest.NewTestModel(t, m, teatest.WithInitialTermSize(100, 30))
	waitText(t, tm, "(all experiments)")
	tm.Send(tea.KeyMsg{Type: tea.KeyEnter})
	waitText(t, tm, "STATUS")
	tm.Type("G") // the oldest run: the sweep
	tm.Send(tea.KeyMsg{Type: tea.KeyEnter})
	// The rows, best first, with the metric's values: 0.72, 0.61, 0.55.
	waitOrder := func(texts ...string) {
		t.Helper()
		teatest.WaitFor(t, tm.Output(), func(b []byte) bool { return inOrder(b, texts...) },
			teatest.WithDuration(5*time.Second), teatest.WithCheckInterval(20*time.Millisecond))
	}
	waitOrder("run "+parent+" · sweep", "3 points by val_best (max), best first", "learning_rate", "VAL_BEST",
		bestMark+" 3e-4", "0.72", kids["3e-4"], "1e-4", "0.61", kids["1e-4"], "1e-3", "0.55", kids["1e-3"], "enter 3 points")
	// The table, to pick a point. Its rows are the detail's, on the same lines: the renderer
	// does not redraw them, so only the lines that changed can be waited for.
	tm.Send(tea.KeyMsg{Type: tea.KeyEnter})
	waitText(t, tm, "sweep "+parent, "enter opens the point's run")
	tm.Send(tea.KeyMsg{Type: tea.KeyDown}) // the second best
	tm.Send(tea.KeyMsg{Type: tea.KeyEnter})
	waitText(t, tm, "run "+kids["1e-4"]+" · supervised 5-day")
	tm.Send(tea.KeyMsg{Type: tea.KeyEsc})
	waitText(t, tm, "enter opens the point's run")
	tm.Send(tea.KeyMsg{Type: tea.KeyEsc})
	waitText(t, tm, "run "+parent+" · sweep", "enter 3 points")
	tm.Type("q")
	tm.WaitFinished(t, teatest.WithFinalTimeout(5*time.Second))
	fm := tm.FinalModel(t).(Model)
	if fm.view != viewDetail || fm.detail.run == nil || fm.detail.run.ID != parent || fm.detail.back != viewRuns {
		t.Fatalf("esc twice from a point's run: view %d, back %d; want the sweep's detail, then the runs", fm.view, fm.detail.back)
	}
	if !inOrder([]byte(fm.View()), bestMark+" 3e-4", "0.72", "1e-4", "0.61", "1e-3", "0.55") {
		t.Errorf("the sweep's detail, after coming back:\n%s", fm.View())
	}
}

// With goal min the lowest value is best; a point that failed or logged no value ranks last,
// unmarked, and a tie goes to the first point, as `byb sweep` chooses.
func TestSweepTableMinGoalFailedLast(t *testing.T) {
	s, parent, kids := sweepStore(t, "min", []sweepPoint{
		{"1e-4", 0.30, ""}, {"3e-4", 0, tracking.StatusFailed}, {"1e-3", 0.20, ""}, {"3e-3", 0.20, ""}, {"1e-2", 0, ""}})
	m := newModel(t, s, 100, 30)
	m, _ = press(t, m, "enter", "G", "enter", "enter")
	if m.view != viewSweep || m.sweep.parentID != parent {
		t.Fatalf("view %d: not the sweep's table", m.view)
	}
	want := []string{kids["1e-3"], kids["3e-3"], kids["1e-4"], kids["3e-4"], kids["1e-2"]}
	if strings.Join(m.sweep.ids, " ") != strings.Join(want, " ") {
		t.Errorf("rows %v, want %v (1e-3, 3e-3, 1e-4, then the two without a value)", m.sweep.ids, want)
	}
	rows := m.sweep.table.rows
	if rows[0][0] != bestMark || rows[1][0] != "" || rows[3][2] != "-" || rows[3][3] != tracking.StatusFailed {
		t.Errorf("rows %q", rows)
	}
	checkFits(t, m.View(), 100, 30)
	m, _ = press(t, m, "G", "enter")
	if m.view != viewDetail || m.detail.run.ID != kids["1e-2"] {
		t.Fatalf("enter on the last row opened %v", m.detail.run)
	}
}
