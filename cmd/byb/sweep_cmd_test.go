package main

import (
	"encoding/json"
	"math"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/byb-dev/byb/byb/engine"
	"github.com/byb-dev/byb/byb/sweep"
	"github.com/byb-dev/byb/internal/testdata"
	"github.com/byb-dev/byb/internal/testenv"
	"github.com/byb-dev/byb/tracking"
)

// ciData generates the ci-scale tmall-like data set (1,000 users, data seed 1; under a second).
func ciData(t *testing.T) string { return testdata.CITmall(t) }

// sweepReportJSON is the --json output, as a user's script reads it.
type sweepReportJSON struct {
	RunID  string `json:"run_id"`
	Metric string `json:"metric"`
	Goal   string `json:"goal"`
	Points []struct {
		Point    int      `json:"point"`
		Settings string   `json:"settings"`
		RunID    string   `json:"run_id"`
		Status   string   `json:"status"`
		Value    *float64 `json:"value"`
		Error    string   `json:"error"`
	} `json:"points"`
	Best *struct {
		Point    int     `json:"point"`
		Settings string  `json:"settings"`
		RunID    string  `json:"run_id"`
		Value    float64 `json:"value"`
	} `json:"best"`
}

// sweepIn runs `byb sweep` in this process (its points run as subprocesses of the test
// binary acting as byb, see asBybVar) and decodes its --json output.
func sweepIn(t *testing.T, args ...string) (rep sweepReportJSON, stderr string, err error) {
	t.Helper()
	t.Setenv(asBybVar, "1")
	stdout, stderr, err := capture(t, func() error { return runSweep(append([]string{"--json"}, args...)) })
	if jerr := json.Unmarshal([]byte(stdout), &rep); jerr != nil {
		t.Fatalf("sweep --json: %v (err %v)\nstdout:\n%s\nstderr:\n%s", jerr, err, stdout, stderr)
	}
	return rep, stderr, err
}

// The sweep end to end on ci data: the frozen probe on a small random encoder at two
// learning rates and one invalid one. The sweep is a parent run with a child per point,
// each given its point merged into the command's own --set; the invalid point fails and
// is reported so while the sweep succeeds; the best reported (JSON, parent's metric and
// tags) is the argmax of the children's val_best as the tracker holds them.
func TestSweepFinetuneEndToEnd(t *testing.T) {
	testenv.SkipShort(t, "runs three finetunings")
	testenv.Require(t, engine.XLACPUPluginPath() != "", "the XLA CPU plugin (the pure-Go engine is too slow for this end-to-end test)",
		"`just setup` (links pjrt_c_api_cpu_plugin.so into ~/.local/lib/go-xla)")
	t.Setenv("GOMLX_BACKEND", "xla:cpu")
	data := ciData(t)
	db := filepath.Join(t.TempDir(), "byb.db")
	const base = "d=16;layers=1;heads=2;ff=16"
	grid := "learning_rate=1e-3,-1,1e-2"
	rep, stderr, err := sweepIn(t, "--tracking", db, "--grid", grid, "--",
		"finetune", "--data", data, "--init", "none", "--task", "5-day", "--freeze", "--set", base+";learning_rate=5")
	if err != nil {
		t.Fatalf("the sweep failed: %v\n%s", err, stderr)
	}
	for _, want := range []string{"[sweep] point 1/3: learning_rate=1e-3 → val_best=", "ETA",
		"[sweep] point 2/3: learning_rate=-1 → failed: ", "learning_rate=-1 must be >= 0", "[sweep] point 3/3: learning_rate=1e-2 → val_best="} {
		if !strings.Contains(stderr, want) {
			t.Errorf("progress lacks %q:\n%s", want, stderr)
		}
	}

	parent := openSweep(t, db, rep.RunID)
	if parent.Experiment != "sweep" || parent.Status != tracking.StatusFinished {
		t.Errorf("parent: experiment %q status %q", parent.Experiment, parent.Status)
	}
	for k, v := range map[string]string{"command": "sweep", "grid": grid, "metric": "val_best", "goal": "max", "points": "3"} {
		if parent.Params[k] != v {
			t.Errorf("parent param %s = %q, want %q", k, parent.Params[k], v)
		}
	}
	if !strings.HasPrefix(parent.Params["sweep_command"], "finetune --data "+data) {
		t.Errorf("parent param sweep_command = %q", parent.Params["sweep_command"])
	}
	if len(parent.Children) != 3 || len(rep.Points) != 3 {
		t.Fatalf("%d children in the tracker, %d points reported; want 3", len(parent.Children), len(rep.Points))
	}
	kids := map[string]tracking.RunInfo{}
	for _, c := range parent.Children {
		kids[c.ID] = c
	}
	// Every point is its own child run, given the command's --set with the point's value
	// in place of the command's learning_rate=5.
	bestID, bestVal := "", math.Inf(-1)
	for i, lr := range []string{"1e-3", "-1", "1e-2"} {
		p := rep.Points[i]
		c, ok := kids[p.RunID]
		if !ok || c.ParentID != rep.RunID {
			t.Fatalf("point %d: run %q is not a child of the sweep", i+1, p.RunID)
		}
		if want := base + ";learning_rate=" + lr; c.Params["settings"] != want || p.Settings != "learning_rate="+lr {
			t.Errorf("point %d: child settings %q, point %q; want %q", i+1, c.Params["settings"], p.Settings, want)
		}
		if c.Params["freeze"] != "true" || c.Params["task"] != "5-day" {
			t.Errorf("point %d: child params %v", i+1, c.Params)
		}
		if lr == "-1" {
			if p.Status != tracking.StatusFailed || p.Value != nil || c.Status != tracking.StatusFailed ||
				!strings.Contains(p.Error, "learning_rate=-1 must be >= 0") {
				t.Errorf("the invalid point: %+v, child %s", p, c.Status)
			}
			continue
		}
		v, ok := c.Metrics["val_best"]
		if p.Status != tracking.StatusFinished || c.Status != tracking.StatusFinished || !ok || p.Value == nil || *p.Value != v {
			t.Fatalf("point %d: %+v; child %s val_best %v (%v)", i+1, p, c.Status, v, ok)
		}
		if v > bestVal {
			bestID, bestVal = c.ID, v
		}
	}
	if rep.Best == nil || rep.Best.RunID != bestID || rep.Best.Value != bestVal {
		t.Fatalf("best reported %+v; the children's argmax is %s (%v)", rep.Best, bestID, bestVal)
	}
	if parent.Metrics["val_best"] != bestVal || parent.Tags["best_run"] != bestID || parent.Tags["best_settings"] != rep.Best.Settings ||
		parent.Metrics["points_failed"] != 1 {
		t.Errorf("parent records metrics %v tags %v; want val_best %v, best_run %s", parent.Metrics, parent.Tags, bestVal, bestID)
	}
}

// A point whose run logs no value of the metric fails with a message that says so (the
// bag-of-IDs baseline logs test metrics only, and no val_best); when every point fails, so
// does the sweep, after reporting them all. No XLA: the baseline runs in Go.
func TestSweepWithoutTheMetricFails(t *testing.T) {
	data := ciData(t)
	db := filepath.Join(t.TempDir(), "byb.db")
	rep, stderr, err := sweepIn(t, "--tracking", db, "--grid", "bag_max_iter=5,10", "--", "baseline", "bag", "--data", data, "--task", "5-day")
	if err == nil || !strings.Contains(err.Error(), "every point failed") {
		t.Fatalf("sweep: %v, want every point failed\n%s", err, stderr)
	}
	if rep.Best != nil || len(rep.Points) != 2 {
		t.Fatalf("report %+v", rep)
	}
	for _, p := range rep.Points {
		if p.Status != tracking.StatusFailed || p.RunID == "" || !strings.Contains(p.Error, "logged no val_best (does baseline log it?") {
			t.Errorf("point %+v", p)
		}
	}
	parent := openSweep(t, db, rep.RunID)
	if parent.Status != tracking.StatusFailed || len(parent.Children) != 2 || !strings.Contains(parent.EndReason, "every point failed") {
		t.Errorf("parent %s (%s) with %d children", parent.Status, parent.EndReason, len(parent.Children))
	}
}

// What a sweep refuses before running anything, and why.
func TestSweepRefusals(t *testing.T) {
	db := filepath.Join(t.TempDir(), "byb.db")
	cmd := []string{"--", "finetune", "--data", "D", "--init", "none", "--task", "t"}
	for _, c := range []struct {
		args []string
		want string
	}{
		{append([]string{"--tracking", db, "--grid", "learning_rate=1e-3", "--metric", "test_macro_auroc"}, cmd...),
			"leaks the test set into the result"},
		{append([]string{"--tracking", "off", "--grid", "learning_rate=1e-3"}, cmd...), "--tracking off cannot be swept"},
		{append([]string{"--tracking", db, "--grid", "lerning_rate=1e-3"}, cmd...), `did you mean "learning_rate"`},
		{append([]string{"--tracking", db, "--grid", "learning_rate=log(1e-5,1e-2)"}, cmd...), "add --random N"},
		{append([]string{"--tracking", db, "--grid", "learning_rate=1e-3,,1"}, cmd...), `--grid: sweep: "learning_rate=1e-3,,1": an empty value`},
		{append([]string{"--tracking", db, "--grid", "learning_rate=1e-3", "--goal", "up"}, cmd...), "want max or min"},
		{[]string{"--tracking", db, "--grid", "learning_rate=1e-3", "--", "reproduce", "table2"}, `not "reproduce"`},
		{[]string{"--tracking", db, "--grid", "learning_rate=1e-3"}, "needs the command to run after --"},
		{append([]string{"--tracking", db, "--grid", "learning_rate=1e-3"}, append(cmd, "--tracking=x.db")...), "give --tracking to sweep"},
	} {
		_, _, err := capture(t, func() error { return runSweep(c.args) })
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("sweep %q: %v; want %q", c.args, err, c.want)
		}
	}
	// A loss is minimised unless told otherwise; a test metric is allowed when asked for.
	if _, g, err := sweepPlan(commonFlags{tracking: db}, cmd[1:], "learning_rate=1", 0, 1, "val_loss", "", false); err != nil || g != sweep.Min {
		t.Errorf("val_loss: goal %q, %v", g, err)
	}
	if _, _, err := sweepPlan(commonFlags{tracking: db}, cmd[1:], "learning_rate=1", 0, 1, "test_auroc", "", true); err != nil {
		t.Errorf("--allow-test-metric: %v", err)
	}
	if runs, _ := tracking.Open(db); runs != nil {
		defer runs.Close()
		if list, _ := runs.ListRuns(tracking.Filter{}); len(list) != 0 {
			t.Errorf("a refused sweep recorded %d run(s)", len(list))
		}
	}
}

// A point's command line: the command's --set (in any spelling) merged with the point, its
// --out made the point's own, the sweep's tracker and --json, all before the command's first
// flag.
func TestChildArgs(t *testing.T) {
	p := sweep.Point{{Name: "learning_rate", Value: "1e-3"}}
	for _, c := range []struct{ in, want []string }{
		{[]string{"finetune", "--data", "D", "--set", "d=16;learning_rate=5", "--freeze"},
			[]string{"finetune", "--set", "d=16;learning_rate=1e-3", "--tracking", "t.db", "--json", "--data", "D", "--freeze"}},
		{[]string{"baseline", "bag", "-set=bag_max_ids=9", "--data", "D"},
			[]string{"baseline", "bag", "--set", "bag_max_ids=9;learning_rate=1e-3", "--tracking", "t.db", "--json", "--data", "D"}},
		{[]string{"pretrain"}, []string{"pretrain", "--set", "learning_rate=1e-3", "--tracking", "t.db", "--json"}},
		{[]string{"pretrain", "--data", "D", "--out", "runs/lr"},
			[]string{"pretrain", "--set", "learning_rate=1e-3", "--out", filepath.Join("runs/lr", "learning_rate=1e-3"), "--tracking", "t.db", "--json", "--data", "D"}},
	} {
		if got := childArgs(c.in, p, "t.db"); !reflect.DeepEqual(got, c.want) {
			t.Errorf("childArgs(%q)\n got %q\nwant %q", c.in, got, c.want)
		}
	}
}

// The table lists the points best first (min: the lowest), failed last, the best marked.
func TestSweepTable(t *testing.T) {
	v := func(x float64) *float64 { return &x }
	pts := []pointResult{
		{Point: 1, Settings: "lr=1", Status: "finished", Value: v(0.5), RunID: "aaa"},
		{Point: 2, Settings: "lr=2", Status: "failed", Error: "boom", RunID: "bbb"},
		{Point: 3, Settings: "lr=3", Status: "finished", Value: v(0.25), RunID: "ccc"},
	}
	var b strings.Builder
	sweepReport{RunID: "p", Command: []string{"finetune"}, Metric: "val_loss", Goal: sweep.Min, Points: pts, Best: &pts[2]}.writeTable(&b)
	out := b.String()
	i3, i1, i2 := strings.Index(out, "lr=3"), strings.Index(out, "lr=1"), strings.Index(out, "lr=2")
	if !(i3 >= 0 && i3 < i1 && i1 < i2) {
		t.Errorf("not best first:\n%s", out)
	}
	for _, want := range []string{"*  3      lr=3", "* best: point 3, val_loss=0.25 with lr=3 (run ccc)", "point 2 failed: boom"} {
		if !strings.Contains(out, want) {
			t.Errorf("table lacks %q:\n%s", want, out)
		}
	}
}

// openSweep reads the sweep's run id from the tracker db.
func openSweep(t *testing.T, db, id string) *tracking.RunDetail {
	t.Helper()
	s, err := tracking.Open(db)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	parent, err := s.GetRun(id)
	if err != nil {
		t.Fatal(err)
	}
	return parent
}
