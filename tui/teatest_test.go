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

func waitText(t *testing.T, tm *teatest.TestModel, texts ...string) {
	t.Helper()
	teatest.WaitFor(t, tm.Output(), func(b []byte) bool {
		for _, s := range texts {
			if !bytes.Contains(b, []byte(s)) {
				return false
			}
		}
		return true
	}, teatest.WithDuration(5*time.Second), teatest.WithCheckInterval(20*time.Millisecond))
}

// TestProgramFlow runs the model in a real bubbletea program (teatest) at 80×24.
func TestProgramFlow(t *testing.T) {
	s, _ := demoStore(t, 30, 50)
	m, err := New(s, Options{Refresh: -1})
	if err != nil {
		t.Fatal(err)
	}
	tm := teatest.NewTestModel(t, m, teatest.WithInitialTermSize(80, 24))
	waitText(t, tm, "experiments", "(all experiments)")
	tm.Send(tea.KeyMsg{Type: tea.KeyEnter})
	waitText(t, tm, "STATUS", "METHOD")
	tm.Send(tea.KeyMsg{Type: tea.KeyEnter})
	waitText(t, tm, "train/loss (50 points)")
	tm.Send(tea.KeyMsg{Type: tea.KeyEsc})
	tm.Type("?")
	waitText(t, tm, "show / hide this help")
	tm.Type("?")
	tm.Type("q")
	tm.WaitFinished(t, teatest.WithFinalTimeout(5*time.Second))
	fm := tm.FinalModel(t).(Model)
	if fm.view != viewRuns || fm.help {
		t.Fatalf("final view %d help %v", fm.view, fm.help)
	}
}

// TestLiveRefresh: a run started and logging while the TUI is open shows up as running,
// then as finished, without a key press.
func TestLiveRefresh(t *testing.T) {
	s, path := demoStore(t, 5, 10)
	m, err := New(s, Options{Refresh: 30 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	tm := teatest.NewTestModel(t, m, teatest.WithInitialTermSize(100, 30))
	tm.Send(tea.KeyMsg{Type: tea.KeyEnter})
	waitText(t, tm, "STATUS")

	w, err := tracking.Open(path) // another writer, as a training command would be
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	run, err := w.StartRun(tracking.RunOptions{Experiment: "live", FlushInterval: 10 * time.Millisecond,
		Params: map[string]string{"method": "byb", "task": "churn"}})
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 20; i++ {
		run.LogMetric("train/loss", 1/float64(i+1), int64(i))
	}
	waitText(t, tm, run.ID()[:8], "running", "1 live")
	run.LogMetric("test/auroc", 0.9, 20)
	run.End(tracking.StatusFinished, "")
	waitText(t, tm, "finished", "0.9")
	tm.Type("q")
	tm.WaitFinished(t, teatest.WithFinalTimeout(5*time.Second))
	fm := tm.FinalModel(t).(Model)
	found := false
	for _, r := range fm.allRuns {
		if r.ID == run.ID() {
			found = r.Status == tracking.StatusFinished && strings.Contains(r.Experiment, "live")
		}
	}
	if !found {
		t.Fatal("the new run did not reach the model as finished")
	}
}

// TestLiveViewSeesAKilledRun: a run whose process dies (SIGKILL: it never writes again)
// turns from running to killed on the open screen once its heartbeat is stale, with no key
// press and no other command touching the database.
func TestLiveViewSeesAKilledRun(t *testing.T) {
	s, path := demoStore(t, 3, 10)
	w, err := tracking.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	// The row a training process leaves behind when it is killed right after a heartbeat.
	now := time.Now().UnixMilli()
	if _, err := w.DB().Exec(`INSERT INTO experiments(name, created_ms) VALUES ('doomed', ?)`, now); err != nil {
		t.Fatal(err)
	}
	if _, err := w.DB().Exec(`INSERT INTO runs(id, experiment_id, status, start_ms, heartbeat_ms, heartbeat_interval_ms)
		SELECT 'deadbeef0001', id, 'running', ?, ?, 150 FROM experiments WHERE name = 'doomed'`, now, now); err != nil {
		t.Fatal(err)
	}
	m, err := New(s, Options{Refresh: 30 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	tm := teatest.NewTestModel(t, m, teatest.WithInitialTermSize(100, 30))
	tm.Send(tea.KeyMsg{Type: tea.KeyEnter})
	waitText(t, tm, "deadbeef", "running", "1 live")
	waitText(t, tm, "deadbeef0001 killed")
	tm.Type("q")
	tm.WaitFinished(t, teatest.WithFinalTimeout(5*time.Second))
}
