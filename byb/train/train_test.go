package train_test

import (
	"errors"
	"fmt"
	"io"
	"iter"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/byb-dev/byb/byb/bench"
	"github.com/byb-dev/byb/byb/data"
	"github.com/byb-dev/byb/byb/encoder"
	"github.com/byb-dev/byb/byb/engine"
	"github.com/byb-dev/byb/byb/objective"
	"github.com/byb-dev/byb/byb/params"
	"github.com/byb-dev/byb/byb/train"
	"github.com/byb-dev/byb/internal/testenv"
	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/gomlx/gomlx/pkg/ml/context"
)

var vocab = []int{40, 8, 5}

const nBeh, nWin, batchSize, batchesPerEpoch = 32, 8, 4, 3

// model builds a tiny BYB model in a fresh context.
func model(t *testing.T, settings string) (*context.Context, *encoder.Encoder, objective.Objective) {
	t.Helper()
	ctx := context.New()
	encoder.SetDefaults(ctx)
	objective.BYBDefaults(ctx)
	train.SetDefaults(ctx)
	ctx.SetParams(map[string]any{encoder.ParamDim: 16, encoder.ParamLayers: 1, encoder.ParamHeads: 2,
		encoder.ParamFF: 16, train.ParamLearningRate: 1e-3, train.ParamSeed: 7, train.ParamMinSteps: 0})
	if _, err := params.Apply(ctx, settings); err != nil {
		t.Fatal(err)
	}
	enc, err := encoder.New(ctx, vocab, nWin)
	if err != nil {
		t.Fatal(err)
	}
	obj, err := objective.NewBYB(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return ctx, enc, obj
}

// randomBatches: the batches of an epoch depend only on the epoch.
func randomBatches(epoch int) iter.Seq[*data.Batch] {
	return func(yield func(*data.Batch) bool) {
		rng := rand.New(rand.NewPCG(11, uint64(epoch)))
		for range batchesPerEpoch {
			if !yield(bench.WithTargets(rng, bench.RandomPaddedBatch(rng, batchSize, nBeh, nWin, vocab), 3, 6, vocab)) {
				return
			}
		}
	}
}

func backend(t *testing.T, cfg string) backends.Backend {
	t.Helper()
	b, _, err := engine.OpenConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func run(t *testing.T, b backends.Backend, dir, settings string) []float64 {
	return runInit(t, b, dir, settings, nil)
}

// runInit trains; init, if set, is called on the initialised variables before the first step.
func runInit(t *testing.T, b backends.Backend, dir, settings string, init func(ctx *context.Context)) []float64 {
	t.Helper()
	return runOn(t, b, 1, dir, settings, init)
}

// runOn trains data-parallel over the given number of devices.
func runOn(t *testing.T, b backends.Backend, devices int, dir, settings string, init func(ctx *context.Context)) []float64 {
	t.Helper()
	res := trainOn(t, b, devices, dir, settings, init)
	if want := max(1, devices); res.Devices != want {
		t.Fatalf("the steps ran on %d devices, want %d", res.Devices, want)
	}
	return res.Losses
}

func trainOn(t *testing.T, b backends.Backend, devices int, dir, settings string, init func(ctx *context.Context)) *train.Result {
	t.Helper()
	return trainOnBatches(t, b, devices, dir, settings, init, randomBatches)
}

// trainOnBatches is trainOn over the given batches.
func trainOnBatches(t *testing.T, b backends.Backend, devices int, dir, settings string, init func(ctx *context.Context), batches func(int) iter.Seq[*data.Batch]) *train.Result {
	t.Helper()
	ctx, enc, obj := model(t, settings)
	res, err := train.Train(ctx, enc, obj, batches, train.Options{Backend: b, Dir: dir, Progress: io.Discard,
		Settings: params.MustParse(settings), BeforeFirstStep: init, Devices: devices})
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func TestSameSeedSameLosses(t *testing.T) {
	b := backend(t, engine.PureGo)
	a := run(t, b, "", "epochs=2")
	c := run(t, b, "", "epochs=2")
	if len(a) != 2*batchesPerEpoch {
		t.Fatalf("ran %d steps, want %d", len(a), 2*batchesPerEpoch)
	}
	for i := range a {
		if a[i] != c[i] {
			t.Fatalf("step %d: %v vs %v", i+1, a[i], c[i])
		}
	}
	d := run(t, b, "", "epochs=2;seed=8")
	if d[0] == a[0] {
		t.Fatalf("a different seed gave the same first loss %v", a[0])
	}
}

// Interrupting after 4 steps (mid-epoch) and resuming from the checkpoint gives the losses of
// the uninterrupted run.
func TestResumeGivesSameLosses(t *testing.T) {
	b := backend(t, engine.PureGo)
	full := run(t, b, "", "epochs=2")
	dir := t.TempDir()
	first := run(t, b, dir, "epochs=2;steps=4")
	rest := run(t, b, dir, "epochs=2;steps=0")
	got := append(append([]float64{}, first...), rest...)
	if len(got) != len(full) {
		t.Fatalf("interrupted+resumed ran %d steps (%d+%d), uninterrupted %d", len(got), len(first), len(rest), len(full))
	}
	for i := range full {
		if got[i] != full[i] {
			t.Fatalf("step %d: resumed %v, uninterrupted %v", i+1, got[i], full[i])
		}
	}
	cfg, err := train.ReadConfig(dir)
	if err != nil || cfg.Params["d"] == nil {
		t.Fatalf("config.json: %+v, %v", cfg, err)
	}
}

// XLA CPU and pure Go agree on the first steps' losses within 1e-4 relative (float32
// reductions run in different orders; the gap grows slowly with the steps). The engines'
// random generators differ, so the XLA run starts from the pure-Go run's initial weights.
func TestEnginesAgree(t *testing.T) {
	testenv.Require(t, engine.XLACPUPluginPath() != "", "the XLA CPU plugin (to compare the pure-Go engine with)",
		"`just setup` (links pjrt_c_api_cpu_plugin.so into ~/.local/lib/go-xla)")
	for _, settings := range []string{"epochs=1", "epochs=1;pool=false", "epochs=1;byb_loss=mse;byb_dt2=2"} {
		initial := map[string]*tensors.Tensor{}
		g := runInit(t, backend(t, engine.PureGo), "", settings, func(ctx *context.Context) {
			for v := range ctx.IterVariables() {
				initial[v.ScopeAndName()], _ = v.MustValue().LocalClone()
			}
		})
		x := runInit(t, backend(t, "xla:cpu"), "", settings, func(ctx *context.Context) {
			for v := range ctx.IterVariables() {
				if val, ok := initial[v.ScopeAndName()]; ok {
					c, _ := val.LocalClone()
					v.MustSetValue(c)
				}
			}
		})
		for i := range g {
			if rel := math.Abs(g[i]-x[i]) / math.Max(math.Abs(g[i]), 1e-3); rel > 1e-4 {
				t.Fatalf("%s step %d: go %v, xla %v (rel %g)", settings, i+1, g[i], x[i], rel)
			}
		}
		t.Logf("%s: go %v xla %v", settings, g, x)
	}
}

// After one step the teacher equals m·teacher₀ + (1−m)·student₁ (Eq. 12), with teacher₀ the
// initial student.
func TestEMAUpdate(t *testing.T) {
	for _, cfg := range []string{engine.PureGo, "xla:cpu"} {
		if cfg == "xla:cpu" && !testenv.Have(t, engine.XLACPUPluginPath() != "", "the XLA CPU plugin (Eq. 12 on XLA)",
			"`just setup` (links pjrt_c_api_cpu_plugin.so into ~/.local/lib/go-xla)") {
			continue
		}
		b := backend(t, cfg)
		ctx, enc, obj := model(t, "steps=1;byb_momentum=0.9")
		// Snapshot the initial student through a throwaway step-0 hook.
		var student0 map[string][]float32
		_, err := train.Train(ctx, enc, obj, randomBatches, train.Options{Backend: b, Progress: io.Discard,
			BeforeFirstStep: func(ctx *context.Context) { student0 = values(ctx, "/encoder/behavior_encoder") }})
		if err != nil {
			t.Fatal(err)
		}
		student1 := values(ctx, "/encoder/behavior_encoder")
		teacher1 := values(ctx, "/teacher/behavior_encoder")
		if len(teacher1) == 0 || len(teacher1) != len(student1) {
			t.Fatalf("teacher has %d variables, student %d", len(teacher1), len(student1))
		}
		const m = float32(0.9)
		moved := false
		for name, tv := range teacher1 {
			s0, s1 := student0[name], student1[name]
			for i := range tv {
				want := m*s0[i] + (1-m)*s1[i]
				if d := math.Abs(float64(tv[i] - want)); d > 1e-7*(1+math.Abs(float64(want))) {
					t.Fatalf("%s: teacher %s[%d] = %v, Eq. 12 gives %v", cfg, name, i, tv[i], want)
				}
				if s0[i] != s1[i] {
					moved = true
				}
			}
		}
		if !moved {
			t.Fatal("the student did not move in one step: the test is vacuous")
		}
	}
}

// values returns the float32 variables under scope, keyed by their path below it.
func values(ctx *context.Context, scope string) map[string][]float32 {
	out := map[string][]float32{}
	for v := range ctx.InAbsPath(scope).IterVariablesInScope() {
		data, _ := tensors.CopyFlatData[float32](v.MustValue())
		out[v.Scope()[len(scope):]+"/"+v.Name()] = data
	}
	return out
}

// Every ablation switch of Table 5 (and ΔT2 > 1) builds and trains: finite losses that move.
// (Their loss values are checked against a hand computation in the objective package.)
func TestAblationSwitchesTrain(t *testing.T) {
	b := backend(t, "go:ops_sequential")
	for _, settings := range []string{"byb_ema=false", "byb_predictor=false", "byb_loss=mse", "byb_dt2=3", "pool=false"} {
		t.Run(settings, func(t *testing.T) {
			losses := run(t, b, "", settings+";steps=4")
			if len(losses) != 4 {
				t.Fatalf("%d steps, want 4", len(losses))
			}
			for i, l := range losses {
				if math.IsNaN(l) || math.IsInf(l, 0) || l <= 0 {
					t.Fatalf("step %d: loss %v", i+1, l)
				}
			}
			if losses[0] == losses[3] {
				t.Fatalf("loss did not change over 4 steps: %v", losses)
			}
		})
	}
}

// steps=N runs exactly N steps whatever epochs is; epochs with min_steps run at least
// min_steps steps, over as many epochs as needed.
func TestStepsAndEpochsDoWhatTheySay(t *testing.T) {
	b := backend(t, "go:ops_sequential")
	for _, tc := range []struct {
		settings string
		want     int
	}{
		{"epochs=1;steps=7;min_steps=0", 7}, // more steps than one epoch has
		{"epochs=5;steps=2;min_steps=0", 2},
		{"epochs=1;min_steps=0", batchesPerEpoch},
		{"epochs=1;min_steps=5", 5},
		{"epochs=3;min_steps=5", 3 * batchesPerEpoch},
	} {
		if got := len(run(t, b, "", tc.settings)); got != tc.want {
			t.Errorf("%s: %d steps, want %d", tc.settings, got, tc.want)
		}
	}
}

// Ctrl-C (Options.Interrupt) stops the run after the step under way with a checkpoint, even
// when checkpoint_every is far away, and says from which step the same command goes on; the
// resumed run says so and ends with the losses of an uninterrupted one.
func TestInterruptWritesACheckpointAndResumes(t *testing.T) {
	b := backend(t, engine.PureGo)
	const settings = "epochs=2;checkpoint_every=500"
	full := run(t, b, "", settings)
	dir := t.TempDir()
	ctx, enc, obj := model(t, settings)
	var seen []float64
	_, err := train.Train(ctx, enc, obj, randomBatches, train.Options{Backend: b, Dir: dir, Progress: io.Discard, Settings: params.MustParse(settings),
		OnStep:    func(_ int64, loss float64) { seen = append(seen, loss) },
		Interrupt: func() bool { return len(seen) == 3 }})
	var stopped *train.InterruptedError
	if !errors.As(err, &stopped) || stopped.Step != 3 || !strings.Contains(err.Error(), "resume from step 3") {
		t.Fatalf("interrupted after 3 steps: %v", err)
	}
	if !train.HasCheckpoint(dir) {
		t.Fatal("no checkpoint written at the interruption (checkpoint_every=500)")
	}
	if cfg, err := train.ReadConfig(dir); err != nil || cfg.Finished == nil || *cfg.Finished {
		t.Errorf("config.json must say the run is not finished: %+v, %v", cfg, err)
	}
	var out strings.Builder
	ctx, enc, obj = model(t, settings)
	res, err := train.Train(ctx, enc, obj, randomBatches, train.Options{Backend: b, Dir: dir, Progress: &out, Settings: params.MustParse(settings)})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "from its checkpoint at step 3") {
		t.Errorf("the resumed run does not say where it goes on: %q", out.String())
	}
	got := append(seen, res.Losses...)
	if len(got) != len(full) {
		t.Fatalf("interrupted+resumed ran %d steps, uninterrupted %d", len(got), len(full))
	}
	for i := range full {
		if got[i] != full[i] {
			t.Fatalf("step %d: resumed %v, uninterrupted %v", i+1, got[i], full[i])
		}
	}
}

// Two runs writing one directory at once: the second is refused while the first holds it
// (a lock file with its pid), before it writes anything there.
func TestTrainRefusesALockedDirectory(t *testing.T) {
	dir := t.TempDir()
	host, _ := os.Hostname()
	lock := filepath.Join(dir, train.LockFile)
	if err := os.WriteFile(lock, []byte(fmt.Sprintf("%d %s 2026-12-07T06:00:00Z\n", os.Getpid(), host)), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, enc, obj := model(t, "steps=2")
	_, err := train.Train(ctx, enc, obj, randomBatches, train.Options{Backend: backend(t, engine.PureGo), Dir: dir, Progress: io.Discard, Settings: params.MustParse("steps=2")})
	if err == nil || !strings.Contains(err.Error(), "is being written by process") {
		t.Fatalf("training into a locked directory: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, train.ConfigFile)); !os.IsNotExist(err) {
		t.Errorf("the refused run wrote %s: %v", train.ConfigFile, err)
	}
	os.Remove(lock)
	if _, err := train.Train(ctx, enc, obj, randomBatches, train.Options{Backend: backend(t, engine.PureGo), Dir: dir, Progress: io.Discard, Settings: params.MustParse("steps=2")}); err != nil {
		t.Fatalf("once the lock is gone: %v", err)
	}
	if _, err := os.Stat(lock); !os.IsNotExist(err) {
		t.Errorf("a finished run left its lock: %v", err)
	}
}
