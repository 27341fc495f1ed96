package tracking

import (
	"path/filepath"
	"strings"
	"testing"
)

// pretrainRun records a finished pretraining run in dir with the params the trainer logs.
func pretrainRun(t *testing.T, s *Store, dir, loss string) string {
	t.Helper()
	r, err := s.StartRun(RunOptions{Experiment: "pretrain", Dir: dir, Params: map[string]string{
		"command": "pretrain", "method": "byb", "byb_loss": loss, "byb_ema": "false", "seed": "0"}})
	if err != nil {
		t.Fatal(err)
	}
	if err := r.End(StatusFinished, ""); err != nil {
		t.Fatal(err)
	}
	return r.ID()
}

// A finetuning run started with Upstream = a pretraining run's directory carries that run's
// params as pretrain.*, however the directory is spelled, the latest values when the
// pretraining was resumed; a directory nobody recorded is no error.
func TestUpstreamParamsAreCopied(t *testing.T) {
	s, _ := openTemp(t)
	dir := filepath.Join(t.TempDir(), "runs", "byb")
	pre := pretrainRun(t, s, dir, "ce")
	for _, spelled := range []string{dir, dir + "/", filepath.Join(dir, "..", "byb")} {
		ft, err := s.StartRun(RunOptions{Experiment: "finetune", Upstream: spelled,
			Params: map[string]string{"command": "finetune", "method": "finetune", "task": "churn"}})
		if err != nil {
			t.Fatal(err)
		}
		ft.End(StatusFinished, "")
		d, err := s.GetRun(ft.ID())
		if err != nil {
			t.Fatal(err)
		}
		want := map[string]string{"pretrain.byb_loss": "ce", "pretrain.byb_ema": "false", "pretrain.method": "byb",
			"pretrain.seed": "0", "method": "finetune", "command": "finetune"}
		for k, v := range want {
			if d.Params[k] != v {
				t.Errorf("Upstream %q: param %s = %q, want %q (params %v)", spelled, k, d.Params[k], v, d.Params)
			}
		}
		if _, ok := d.Params["pretrain.command"]; ok {
			t.Errorf("the upstream command was copied: %v", d.Params)
		}
		if d.Tags[UpstreamTag] != pre {
			t.Errorf("tag %s = %q, want %s", UpstreamTag, d.Tags[UpstreamTag], pre)
		}
	}
	// A resumption in the same directory: its values win, and what it did not log is kept.
	again, err := s.StartRun(RunOptions{Experiment: "pretrain", Dir: dir, Resumes: true, Params: map[string]string{"byb_loss": "mse"}})
	if err != nil {
		t.Fatal(err)
	}
	again.End(StatusFinished, "")
	ft, _ := s.StartRun(RunOptions{Upstream: dir})
	ft.End(StatusFinished, "")
	if d, _ := s.GetRun(ft.ID()); d.Params["pretrain.byb_loss"] != "mse" || d.Params["pretrain.byb_ema"] != "false" || d.Tags[UpstreamTag] != again.ID() {
		t.Errorf("after a resumption: params %v, tags %v", d.Params, d.Tags)
	}
	lone, err := s.StartRun(RunOptions{Upstream: t.TempDir(), Params: map[string]string{"method": "finetune"}})
	if err != nil {
		t.Fatalf("an unrecorded upstream directory: %v", err)
	}
	lone.End(StatusFinished, "")
	d, _ := s.GetRun(lone.ID())
	for k := range d.Params {
		if strings.HasPrefix(k, UpstreamPrefix) {
			t.Fatalf("params from nowhere: %v", d.Params)
		}
	}
}

// Downstream AUROC grouped by an upstream switch: the ablation of pretraining's loss, read
// from finetuning runs on a binary and a multi-class task (HeadlineMetric reads both).
func TestAblationByUpstreamSwitch(t *testing.T) {
	s, _ := openTemp(t)
	ce, mse := filepath.Join(t.TempDir(), "ce"), filepath.Join(t.TempDir(), "mse")
	pretrainRun(t, s, ce, "ce")
	pretrainRun(t, s, mse, "mse")
	finetune := func(dir, task, key string, v float64) {
		r, err := s.StartRun(RunOptions{Experiment: "finetune", Upstream: dir,
			Params: map[string]string{"method": "finetune", "task": task}})
		if err != nil {
			t.Fatal(err)
		}
		r.LogMetric(key, v, 1)
		r.End(StatusFinished, "")
	}
	finetune(ce, "churn", "test_auroc", 0.80)
	finetune(ce, "churn", "test_auroc", 0.82)
	finetune(mse, "churn", "test_auroc", 0.70)
	finetune(ce, "category", "test_macro_auroc", 0.60)
	finetune(mse, "category", "test_macro_auroc", 0.65)
	runs, err := s.ListRuns(Filter{Experiment: "finetune"})
	if err != nil {
		t.Fatal(err)
	}
	if p := AblationParams(runs); len(p) == 0 || p[0] != "pretrain.byb_loss" {
		t.Fatalf("AblationParams = %v, want pretrain.byb_loss first", p)
	}
	a := Ablate(runs, "pretrain.byb_loss", HeadlineMetric)
	if strings.Join(a.Values, ",") != "ce,mse" || strings.Join(a.Tasks, ",") != "category,churn" {
		t.Fatalf("axes %v %v", a.Values, a.Tasks)
	}
	if c := a.Cells[0][1]; c.N != 2 || c.Mean < 0.8099 || c.Mean > 0.8101 || !c.Best {
		t.Fatalf("ce/churn = %+v", c)
	}
	if c := a.Cells[1][0]; c.N != 1 || c.Mean != 0.65 || !c.Best {
		t.Fatalf("mse/category = %+v (the macro AUROC of the multi-class task)", c)
	}
}

// SetRunTag adds, overwrites and (with an empty value) deletes a tag of a finished run,
// without touching its heartbeat.
func TestSetRunTag(t *testing.T) {
	s, _ := openTemp(t)
	r, _ := s.StartRun(RunOptions{})
	r.End(StatusFinished, "")
	before, _ := s.GetRun(r.ID())
	if err := s.SetRunTag(r.ID()[:6], "note", "lr too high"); err != nil {
		t.Fatal(err)
	}
	if err := s.SetRunTag(r.ID(), "note", "lr too high?"); err != nil {
		t.Fatal(err)
	}
	s.SetRunTag(r.ID(), "verdict", "keep")
	d, _ := s.GetRun(r.ID())
	if d.Tags["note"] != "lr too high?" || d.Tags["verdict"] != "keep" {
		t.Fatalf("tags %v", d.Tags)
	}
	if !d.Heartbeat.Equal(before.Heartbeat) {
		t.Fatal("tagging moved the heartbeat")
	}
	s.SetRunTag(r.ID(), "verdict", "")
	if d, _ := s.GetRun(r.ID()); len(d.Tags) != 1 {
		t.Fatalf("after deleting verdict: %v", d.Tags)
	}
	if err := s.SetRunTag("ffffffffffff", "note", "x"); err == nil {
		t.Fatal("tagging a run that does not exist")
	}
}
