package tui

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/byb-dev/byb/internal/testenv"
	"github.com/byb-dev/byb/tracking"
)

var (
	buildOnce sync.Once
	bybBin    string
	buildErr  error
)

// bybBinary builds the real byb command once per test run.
func bybBinary(t *testing.T) string {
	t.Helper()
	testenv.SkipShort(t, "builds the byb binary")
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "byb-e2e-")
		if err != nil {
			buildErr = err
			return
		}
		bybBin = filepath.Join(dir, "byb")
		out, err := exec.Command("go", "build", "-o", bybBin, "../cmd/byb").CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("go build ./cmd/byb: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return bybBin
}

func TestMain(m *testing.M) {
	code := m.Run()
	if bybBin != "" {
		os.RemoveAll(filepath.Dir(bybBin))
	}
	if bigTemp != "" {
		os.RemoveAll(bigTemp)
	}
	os.Exit(code)
}

// tmuxSession drives one terminal session of the real binary.
type tmuxSession struct {
	t    *testing.T
	name string
}

func (s tmuxSession) run(args ...string) (string, error) {
	out, err := exec.Command("tmux", args...).CombinedOutput()
	return string(out), err
}

func (s tmuxSession) keys(keys ...string) {
	s.t.Helper()
	for _, k := range keys {
		if out, err := s.run("send-keys", "-t", s.name, k); err != nil {
			s.t.Fatalf("tmux send-keys %q: %v %s", k, err, out)
		}
		// An escape followed at once by a key reads as alt+key: give each key its own read.
		time.Sleep(60 * time.Millisecond)
	}
}

func (s tmuxSession) capture() string {
	out, _ := s.run("capture-pane", "-p", "-t", s.name)
	return out
}

// waitScreen polls the pane until every text is on screen.
func (s tmuxSession) waitScreen(texts ...string) string {
	s.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		screen := s.capture()
		ok := true
		for _, x := range texts {
			ok = ok && strings.Contains(screen, x)
		}
		if ok {
			return screen
		}
		if time.Now().After(deadline) {
			s.t.Fatalf("screen never showed %q; last screen:\n%s", texts, screen)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestTUIEndToEndInTmux drives the real `byb tui` in a 100×30 tmux pane over a database the
// test fills, with one run still writing while the TUI is open.
func TestTUIEndToEndInTmux(t *testing.T) {
	_, err := exec.LookPath("tmux")
	testenv.Require(t, err == nil, "tmux (the end-to-end TUI test drives the binary in it)",
		"`just setup`, or apt-get install tmux")
	bin := bybBinary(t)
	path := filepath.Join(t.TempDir(), "e2e.db")
	s, err := tracking.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := tracking.FillDemo(s, 20, 100, 3); err != nil {
		t.Fatal(err)
	}
	live, err := s.StartRun(tracking.RunOptions{Experiment: "live", FlushInterval: 20 * time.Millisecond,
		Params: map[string]string{"method": "byb", "task": "risk"}})
	if err != nil {
		t.Fatal(err)
	}
	defer live.End(tracking.StatusKilled, "test over")

	ts := tmuxSession{t: t, name: fmt.Sprintf("byb-e2e-%d", os.Getpid())}
	cmd := fmt.Sprintf("%s tui --tracking %s --refresh 100ms", bin, path)
	if out, err := ts.run("new-session", "-d", "-s", ts.name, "-x", "100", "-y", "30", cmd); err != nil {
		t.Fatalf("tmux new-session: %v %s", err, out)
	}
	defer ts.run("kill-session", "-t", ts.name)

	ts.waitScreen("experiments", "(all experiments)", "live", "table2")
	ts.keys("Enter")
	ts.waitScreen("STATUS", "METHOD", live.ID(), "running")

	// The live run logs; its row's metric column fills in without a key press.
	for i := 0; i < 50; i++ {
		live.LogMetric("train/loss", 2/float64(i+1), int64(i))
	}
	live.LogMetric("test/auroc", 0.777, 50)
	ts.waitScreen("0.777")

	ts.keys("/", "n", "b", "p", "Enter")
	screen := ts.waitScreen("filter: nbp")
	for _, l := range strings.Split(screen, "\n") {
		if strings.Contains(l, "finished") && !strings.Contains(l, "nbp") {
			t.Fatalf("filter nbp shows another method: %q", l)
		}
	}
	ts.keys("Enter")
	ts.waitScreen("train/loss (100 points)", "┤", "step 0")
	ts.keys("Escape")
	ts.waitScreen("filter: nbp")
	ts.keys("/", "Escape", "Space", "Space", "c")
	ts.waitScreen("compare", "Δ vs")
	ts.keys("Escape")
	ts.keys("?")
	ts.waitScreen("byb tui — keys", "filter as you type")
	ts.keys("?", "q")
	deadline := time.Now().Add(5 * time.Second)
	for {
		if _, err := ts.run("has-session", "-t", ts.name); err != nil {
			break // the program quit and took the session with it
		}
		if time.Now().After(deadline) {
			t.Fatalf("q did not quit; screen:\n%s", ts.capture())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestRunsCommand runs `byb runs` verbs of the real binary over a filled database.
func TestRunsCommand(t *testing.T) {
	bin := bybBinary(t)
	path := filepath.Join(t.TempDir(), "runs.db")
	s, err := tracking.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	ids, err := tracking.FillDemo(s, 20, 10, 5)
	s.Close()
	if err != nil {
		t.Fatal(err)
	}
	byb := func(stdin string, args ...string) (string, error) {
		cmd := exec.Command(bin, args...)
		cmd.Env = append(os.Environ(), "BYB_TRACKING="+path)
		cmd.Stdin = strings.NewReader(stdin)
		var out, errb bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &errb
		err := cmd.Run()
		if err != nil {
			return out.String() + errb.String(), err
		}
		return out.String(), nil
	}
	fits := func(out string) {
		t.Helper()
		for _, l := range strings.Split(out, "\n") {
			if n := len([]rune(l)); n > 80 {
				t.Errorf("%d columns > 80: %q", n, l)
			}
		}
	}

	out, err := byb("", "runs", "list")
	if err != nil || strings.Count(out, "\n") != 22 {
		t.Fatalf("runs list: %v\n%s", err, out)
	}
	fits(out)
	out, err = byb("", "runs", "list", "--method", "nbp", "--param", "task=churn", "--json")
	var list struct {
		Count int                `json:"count"`
		Runs  []tracking.RunInfo `json:"runs"`
	}
	if err != nil || json.Unmarshal([]byte(out), &list) != nil || list.Count == 0 {
		t.Fatalf("runs list --json: %v\n%s", err, out)
	}
	for _, r := range list.Runs {
		if r.Params["method"] != "nbp" || r.Params["task"] != "churn" {
			t.Fatalf("filter let through %v", r.Params)
		}
	}
	out, err = byb("", "runs", "show", ids[0][:6])
	if err != nil || !strings.Contains(out, ids[0]) || !strings.Contains(out, "test/auroc") || !strings.Contains(out, "params:") {
		t.Fatalf("runs show: %v\n%s", err, out)
	}
	fits(out)
	out, err = byb("", "runs", "compare", ids[0], ids[1], ids[2], ids[3])
	if err != nil || !strings.Contains(out, "params that differ") || !strings.Contains(out, "(+") && !strings.Contains(out, "(-") {
		t.Fatalf("runs compare: %v\n%s", err, out)
	}
	fits(out)
	csvPath := filepath.Join(t.TempDir(), "runs.csv")
	if out, err = byb("", "runs", "export", "--format", "csv", "--out", csvPath); err != nil {
		t.Fatalf("export: %v %s", err, out)
	}
	csv, _ := os.ReadFile(csvPath)
	if n := strings.Count(string(csv), "\n"); n != 21 || !strings.Contains(string(csv), "param:method") {
		t.Fatalf("csv has %d lines:\n%s", n, csv)
	}
	out, err = byb("", "runs", "export", "--format", "json", "--status", "failed")
	var exported []map[string]any
	if err != nil || json.Unmarshal([]byte(out), &exported) != nil || len(exported) != 1 {
		t.Fatalf("export json: %v\n%s", err, out)
	}
	if out, err = byb("n\n", "runs", "delete", ids[0]); err == nil || !strings.Contains(out, "not confirmed") {
		t.Fatalf("delete without confirmation: %v %s", err, out)
	}
	if out, err = byb("y\n", "runs", "delete", ids[0]); err != nil {
		t.Fatalf("delete confirmed: %v %s", err, out)
	}
	if out, err = byb("", "runs", "delete", "--yes", ids[1], "--json"); err != nil || !strings.Contains(out, ids[1]) {
		t.Fatalf("delete --yes: %v %s", err, out)
	}
	if out, err = byb("", "runs", "show", ids[1]); err == nil {
		t.Fatalf("deleted run still shown: %s", out)
	}
	// A file that is not a tracker is refused and left as it was.
	notes := filepath.Join(t.TempDir(), "notes.txt")
	os.WriteFile(notes, []byte("my notes"), 0o644)
	if out, err = byb("", "runs", "list", "--tracking", notes); err == nil || !strings.Contains(out, "not a SQLite database") {
		t.Fatalf("runs list on a text file: %v %s", err, out)
	}
	if b, _ := os.ReadFile(notes); string(b) != "my notes" {
		t.Fatal("the text file was modified")
	}
}
