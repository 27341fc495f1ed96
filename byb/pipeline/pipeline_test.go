package pipeline

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/byb-dev/byb/byb/embedio"
	"github.com/byb-dev/byb/byb/engine"
	"github.com/byb-dev/byb/byb/finetune"
	"github.com/byb-dev/byb/byb/objective"
	"github.com/byb-dev/byb/byb/params"
	"github.com/byb-dev/byb/byb/train"
	"github.com/byb-dev/byb/internal/testdata"
	"github.com/byb-dev/byb/internal/testenv"
	"github.com/byb-dev/byb/tracking"

	_ "github.com/byb-dev/byb/methods" // the baselines: TestTimeBudgetStopsEveryMethod pretrains each
	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/pkg/ml/context"
)

func ciTmall(t *testing.T) string { return testdata.CITmall(t) }

type testEngine struct {
	Backend backends.Backend
	Info    engine.Info
}

func xlaOrSkip(t *testing.T) *testEngine {
	t.Helper()
	testenv.Require(t, engine.XLACPUPluginPath() != "", "the XLA CPU plugin (the pure-Go engine is too slow for this end-to-end test)",
		"`just setup` (links pjrt_c_api_cpu_plugin.so into ~/.local/lib/go-xla)")
	b, info, err := engine.OpenConfig("xla:cpu")
	if err != nil {
		t.Fatal(err)
	}
	return &testEngine{b, info}
}

// TestCommandsRecordAndEmbed runs pretrain → finetune → embed on tiny settings and checks what
// each writes: a resumable run directory, test metrics, an embeddings file with one row per
// test sample, and tracker records.
func TestCommandsRecordAndEmbed(t *testing.T) {
	eng := xlaOrSkip(t)
	dataDir := ciTmall(t)
	db := filepath.Join(t.TempDir(), "byb.db")
	run, err := tracking.Begin(db, tracking.RunOptions{Experiment: "test", Params: map[string]string{"method": "byb"}})
	if err != nil {
		t.Fatal(err)
	}
	runDir := filepath.Join(t.TempDir(), "run")
	if _, err := Pretrain(PretrainOptions{Data: dataDir, Method: "byb", Out: runDir, Backend: eng.Backend, Engine: eng.Info,
		Settings: params.MustParse("batch_size=16;steps=3;max_len=64"), Run: run, Progress: io.Discard}); err != nil {
		t.Fatal(err)
	}
	if err := run.End(tracking.StatusFinished, ""); err != nil {
		t.Fatal(err)
	}
	// Resuming a finished run with more steps continues from step 3.
	more, err := Pretrain(PretrainOptions{Data: dataDir, Method: "byb", Out: runDir, Backend: eng.Backend, Engine: eng.Info,
		Settings: params.MustParse("batch_size=16;steps=5;max_len=64"), Progress: io.Discard})
	if err != nil {
		t.Fatal(err)
	}
	if !more.Train.Resumed || more.Train.FirstStep != 4 || more.Train.GlobalStep != 5 {
		t.Fatalf("resume: %+v", more.Train)
	}
	ft, err := Finetune(FinetuneOptions{Data: dataDir, Init: runDir, Task: "5-day", Freeze: true, Backend: eng.Backend,
		Settings: params.MustParse("batch_size=16;steps=2"), Progress: io.Discard})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := ft.Metrics["macro_auroc"]; !ok || ft.NumClasses != 90 {
		t.Fatalf("finetune metrics %v, classes %d", ft.Metrics, ft.NumClasses)
	}
	out := filepath.Join(t.TempDir(), "e.parquet")
	emb, err := Embed(EmbedOptions{Model: runDir, Data: dataDir, Out: out, Backend: eng.Backend})
	if err != nil {
		t.Fatal(err)
	}
	users, _, dim, err := embedio.Read(out)
	if err != nil {
		t.Fatal(err)
	}
	if len(users) != emb.Users || dim != 128 || emb.Users == 0 {
		t.Fatalf("embeddings: %d users of dim %d, result %+v", len(users), dim, emb)
	}
	// --like: a random encoder shaped as the run (n = 64, its architecture), embedded and
	// probed; the same users, other values.
	like, err := LikeSettings(runDir)
	if err != nil || !strings.Contains(like.String(), "max_len=64") || !strings.Contains(like.String(), ";d=128;") || !strings.Contains(like.String(), "dt1=day") {
		t.Fatalf("LikeSettings = %q, %v", like, err)
	}
	randOut := filepath.Join(t.TempDir(), "r.parquet")
	if _, err := Embed(EmbedOptions{Model: "none", Like: runDir, Settings: params.MustParse("seed=3"), Data: dataDir, Out: randOut, Backend: eng.Backend}); err != nil {
		t.Fatal(err)
	}
	randUsers, randRows, randDim, err := embedio.Read(randOut)
	if err != nil || len(randUsers) != len(users) || randDim != dim {
		t.Fatalf("random embeddings: %d users of dim %d (%v), want %d of %d", len(randUsers), randDim, err, len(users), dim)
	}
	_, trainedRows, _, _ := embedio.Read(out)
	if fmt.Sprint(randRows[:4]) == fmt.Sprint(trainedRows[:4]) {
		t.Error("the random encoder's E equals the trained one's")
	}
	if _, err := Finetune(FinetuneOptions{Data: dataDir, Init: "none", Like: runDir, Task: "5-day", Freeze: true, Backend: eng.Backend,
		Settings: params.MustParse("batch_size=16;steps=2"), Progress: io.Discard}); err != nil {
		t.Fatalf("finetune --init none --like: %v", err)
	}
	if _, err := Finetune(FinetuneOptions{Data: dataDir, Init: runDir, Like: runDir, Task: "5-day", Backend: eng.Backend}); err == nil {
		t.Error("--like with a pretrained --init must be refused")
	}
	s, err := tracking.OpenExisting(db)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	runs, err := s.ListRuns(tracking.Filter{})
	if err != nil || len(runs) != 1 {
		t.Fatalf("runs %v %v", runs, err)
	}
	hist, err := s.MetricHistory(runs[0].ID, "loss")
	if err != nil || len(hist) != 3 {
		t.Fatalf("loss history %v %v, want 3 points", hist, err)
	}
	if _, err := os.Stat(filepath.Join(runDir, "config.json")); err != nil {
		t.Fatal(err)
	}
}

// One registry: a finetuning context accepts the head's, the trainer's, the sequence's and
// BYB's parameters alike (--set accepts any of them anywhere), and a short or misspelt name
// is refused with the real one suggested.
func TestEveryContextKnowsEveryParameter(t *testing.T) {
	for _, ctx := range []*context.Context{newContext(finetune.SetDefaults), newContext(train.SetDefaults, objective.BYBDefaults)} {
		if _, err := params.Apply(ctx, "ft_hidden=32;byb_tau=0.2;max_len=64;learning_rate=1e-2;d=16"); err != nil {
			t.Fatal(err)
		}
		if v := context.GetParamOr(ctx, finetune.ParamHidden, 0); v != 32 {
			t.Fatalf("ft_hidden = %d", v)
		}
		for bad, want := range map[string]string{"tau=0.2": "byb_tau", "lerning_rate=1e-2": "learning_rate", "ft_hiden=3": "ft_hidden"} {
			_, err := params.Apply(ctx, bad)
			if err == nil || !strings.Contains(err.Error(), fmt.Sprintf("did you mean %q", want)) {
				t.Errorf("%s: %v, want a suggestion of %s", bad, err, want)
			}
		}
	}
}

// The bag-of-IDs reference trains on the finetune split, scores the test split with
// finetuning's metrics, and learns the ci tmall-like tasks (whose labels follow the
// categories a user buys: counts carry them) — each task with its own labels, not the first
// task's (30-day is the fourth).
func TestBagOfIDs(t *testing.T) {
	dataDir := ciTmall(t)
	for _, task := range []string{"5-day", "30-day"} {
		res, err := Bag(BagOptions{Data: dataDir, Task: task, Settings: params.MustParse("bag_max_iter=30"), Progress: io.Discard})
		if err != nil {
			t.Fatalf("%s: %v", task, err)
		}
		auc, ok := res.Metrics["macro_auroc"]
		if !ok || res.NumClasses != 90 || res.Train == 0 || res.Test == 0 {
			t.Fatalf("%s: bag-of-IDs result %+v", task, res)
		}
		t.Logf("%s: macro AUROC %.4f", task, auc)
		if auc < 0.65 {
			t.Errorf("bag-of-IDs macro AUROC %.4f on %s, want ≥ 0.65 (5-day reaches about 0.78 at 100 iterations)", auc, task)
		}
	}
	if _, err := Bag(BagOptions{Data: dataDir, Task: "nope"}); err == nil {
		t.Error("an unknown task must be refused")
	}
}

// A run that cannot work fails with one clear line, and one that diverges stops at the first
// non-finite loss, before any checkpoint of NaN weights, and is recorded as failed.
func TestImpossibleAndDivergingRunsFail(t *testing.T) {
	eng := xlaOrSkip(t)
	dataDir := ciTmall(t)
	for _, tc := range []struct{ set, want string }{
		{"batch_size=-4", "batch_size=-4 must be > 0"},
		{"learning_rate=-1e-3", "learning_rate=-0.001 must be >= 0"},
		{"dropout=1", "dropout=1 must be [0, 1)"},
		{"steps=-1", "steps=-1 must be >= 0"},
		{"max_len=-8", "max_len=-8 must be >= 0"},
		{"byb_dt2=1000", "predicts 1000 window(s) ahead, but the pretraining sequence has only"},
		// Five-month targets after a 120-day span reach into the label windows, and no span
		// short enough to keep them out leaves room to predict one window.
		{"dt1=5mo", "label window 2013-"},
		{"dt1=5mo", "too short to predict 1 window(s) ahead"},
	} {
		runDir := filepath.Join(t.TempDir(), "run")
		// A value out of range is refused where the settings are read (the CLI's --set), the
		// others by the pretraining.
		set, err := params.Parse("batch_size=16;steps=3;max_len=64;" + tc.set)
		if err == nil {
			_, err = Pretrain(PretrainOptions{Data: dataDir, Method: "byb", Out: runDir, Backend: eng.Backend, Engine: eng.Info,
				Settings: set, Progress: io.Discard})
		}
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v; want an error saying %q", tc.set, err, tc.want)
		}
		if _, serr := os.Stat(runDir); serr == nil {
			t.Errorf("%s: the refused run left its directory behind", tc.set)
		}
	}

	// Targets that reach into a label window (tmall-like: the pretraining span ends on
	// 07-30, the test labels start on 09-01; 40 days ahead reads to 09-08) would let
	// pretraining read what the test labels describe: the span is cut so that they end where
	// the labels start, 40 days before 09-01, saying so.
	var note strings.Builder
	res, err := Pretrain(PretrainOptions{Data: dataDir, Method: "byb", Out: filepath.Join(t.TempDir(), "run"), Backend: eng.Backend, Engine: eng.Info,
		Settings: params.MustParse("batch_size=16;steps=2;max_len=64;byb_dt2=40"), Progress: &note})
	if err != nil {
		t.Fatalf("byb_dt2=40: %v; want the pretraining span cut, not a refusal", err)
	}
	if want := "pretraining uses 2013-04-01..2013-07-23 instead"; !strings.Contains(note.String(), want) {
		t.Errorf("byb_dt2=40 printed\n%s\nwant a note saying %q", note.String(), want)
	}
	if res.Samples == 0 {
		t.Error("the cut pretraining span kept no user")
	}

	db := filepath.Join(t.TempDir(), "byb.db")
	run, err := tracking.Begin(db, tracking.RunOptions{Experiment: "test"})
	if err != nil {
		t.Fatal(err)
	}
	runDir := filepath.Join(t.TempDir(), "run")
	_, err = Pretrain(PretrainOptions{Data: dataDir, Method: "byb", Out: runDir, Backend: eng.Backend, Engine: eng.Info,
		Settings: params.MustParse("batch_size=16;steps=40;max_len=64;learning_rate=1e6;checkpoint_every=1"), Run: run, Progress: io.Discard})
	var div *train.DivergedError
	if !errors.As(err, &div) || !strings.Contains(err.Error(), "lower learning_rate (now 1e+06)") {
		t.Fatalf("learning_rate=1e6: %v; want a DivergedError that suggests a lower learning rate", err)
	}
	tracking.EndWithError(run, err) // what the command does with the error
	s, err := tracking.OpenExisting(db)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	d, err := s.GetRun(run.ID())
	if err != nil || d.Status != tracking.StatusFailed || !strings.Contains(d.EndReason, "diverged") {
		t.Fatalf("tracked as %q (%q), %v; want failed, saying it diverged", d.Status, d.EndReason, err)
	}
	h, _ := s.MetricHistory(run.ID(), "loss")
	if int64(len(h)) != div.Step-1 {
		t.Errorf("%d losses recorded for a run that diverged at step %d; want the %d finite ones", len(h), div.Step, div.Step-1)
	}
	// The run did not finish.
	if cfg, err := train.ReadConfig(runDir); err != nil || cfg.Finished == nil || *cfg.Finished {
		t.Fatalf("config.json of the diverged run: finished %v (%v); want false", cfg.Finished, err)
	}
}

// Finetuning from a pretraining that did not finish (killed after a checkpoint) warns.
func TestFinetuneFromAnUnfinishedRunWarns(t *testing.T) {
	eng := xlaOrSkip(t)
	dataDir := ciTmall(t)
	runDir := filepath.Join(t.TempDir(), "run")
	if _, err := Pretrain(PretrainOptions{Data: dataDir, Method: "byb", Out: runDir, Backend: eng.Backend, Engine: eng.Info,
		Settings: params.MustParse("batch_size=16;steps=2;max_len=64"), Progress: io.Discard}); err != nil {
		t.Fatal(err)
	}
	finetune := func() string {
		var log strings.Builder
		if _, err := Finetune(FinetuneOptions{Data: dataDir, Init: runDir, Task: "5-day", Freeze: true, Backend: eng.Backend,
			Settings: params.MustParse("batch_size=16;steps=2"), Progress: &log}); err != nil {
			t.Fatal(err)
		}
		return log.String()
	}
	if log := finetune(); strings.Contains(log, "did not finish") {
		t.Errorf("a finished pretraining was taken for unfinished:\n%s", log)
	}
	// What a kill after the last checkpoint leaves: config.json still says unfinished.
	cfg, _ := train.ReadConfig(runDir)
	unfinished := false
	cfg.Finished = &unfinished
	if err := train.WriteConfig(runDir, cfg); err != nil {
		t.Fatal(err)
	}
	if log := finetune(); !strings.Contains(log, "did not finish") {
		t.Errorf("finetuning from an unfinished pretraining did not warn:\n%s", log)
	}
}

// A resume that cannot continue a run says why in one line and writes nothing: a finished
// run with nothing left to train, a changed model shape, an --out that is some other folder.
func TestResumeRefusals(t *testing.T) {
	eng := xlaOrSkip(t)
	dataDir := ciTmall(t)
	runDir := filepath.Join(t.TempDir(), "run")
	pretrain := func(settings string) error {
		_, err := Pretrain(PretrainOptions{Data: dataDir, Method: "byb", Out: runDir, Backend: eng.Backend, Engine: eng.Info,
			Settings: params.MustParse("batch_size=16;max_len=64;" + settings), Progress: io.Discard})
		return err
	}
	if err := pretrain("steps=3"); err != nil {
		t.Fatal(err)
	}
	if cfg, err := train.ReadConfig(runDir); err != nil || cfg.Finished == nil || !*cfg.Finished || cfg.StepsDone != 3 {
		t.Fatalf("config.json after a finished run: finished %v at %d (%v)", cfg.Finished, cfg.StepsDone, err)
	}
	config, _ := os.ReadFile(filepath.Join(runDir, train.ConfigFile))
	for _, tc := range []struct{ set, want string }{
		{"steps=3;learning_rate=5e-4", "holds a finished run (3 steps): there is nothing to train"},
		{"steps=5;d=64", "was trained with d=128 (this run: 64)"},
	} {
		err := pretrain(tc.set)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v; want %q", tc.set, err, tc.want)
		}
		if now, _ := os.ReadFile(filepath.Join(runDir, train.ConfigFile)); string(now) != string(config) {
			t.Errorf("%s: the refused resume rewrote config.json with settings it never used", tc.set)
		}
	}
	if err := pretrain("steps=4"); err != nil {
		t.Fatalf("training a finished run further: %v", err)
	}

	other := t.TempDir()
	os.WriteFile(filepath.Join(other, "notes.txt"), []byte("mine"), 0o644)
	_, err := Pretrain(PretrainOptions{Data: dataDir, Method: "byb", Out: other, Backend: eng.Backend, Engine: eng.Info,
		Settings: params.MustParse("batch_size=16;steps=1;max_len=64"), Progress: io.Discard})
	if err == nil || !strings.Contains(err.Error(), "is not a byb run directory (it holds notes.txt") {
		t.Errorf("--out at a folder of other files: %v", err)
	}
}

// --budget time=: every method's pretraining trains until the same wall-clock time has gone
// into its steps (without the steps that compile the model for a new batch shape) and stops
// within 10% of it, however many steps that is; config.json records it.
func TestTimeBudgetStopsEveryMethod(t *testing.T) {
	eng := xlaOrSkip(t)
	testenv.SkipShort(t, "six pretrainings of 10 s")
	dataDir := ciTmall(t)
	const budget = 10.0
	for _, method := range []string{"byb", "nbp", "mbmv1", "mbmv2", "cts", "msdp"} {
		dir := filepath.Join(t.TempDir(), method)
		res, err := Pretrain(PretrainOptions{Data: dataDir, Method: method, Out: dir, Backend: eng.Backend, Engine: eng.Info, Progress: io.Discard,
			Settings: params.MustParse(fmt.Sprintf("d=16;layers=1;heads=2;ff=16;batch_size=16;max_len=64;checkpoint_every=0;time_budget=%gs", budget))})
		if err != nil {
			t.Fatalf("%s: %v", method, err)
		}
		took := res.Train.TrainSeconds
		cfg, err := train.ReadConfig(dir)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("%s: %d steps in %.2fs", method, res.Train.GlobalStep, took)
		if took < budget || took > 1.1*budget {
			t.Errorf("%s trained %.2fs on a %gs budget: want within 10%% above it", method, took, budget)
		}
		if res.Train.GlobalStep < 5 || cfg.StepsDone != res.Train.GlobalStep || cfg.TrainSeconds != took {
			t.Errorf("%s: %d steps, config.json %d steps and %.2fs", method, res.Train.GlobalStep, cfg.StepsDone, cfg.TrainSeconds)
		}
	}
}
