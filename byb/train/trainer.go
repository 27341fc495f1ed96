package train

import (
	"errors"
	"fmt"
	"io"
	"iter"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/byb-dev/byb/byb/data"
	"github.com/byb-dev/byb/byb/encoder"
	"github.com/byb-dev/byb/byb/objective"
	"github.com/byb-dev/byb/byb/params"
	"github.com/byb-dev/byb/byb/record"
	"github.com/gomlx/gomlx/backends"
	. "github.com/gomlx/gomlx/pkg/core/graph" //nolint:revive // GoMLX convention
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/gomlx/gomlx/pkg/ml/context"
	"github.com/gomlx/gomlx/pkg/ml/context/checkpoints"
	"github.com/gomlx/gomlx/pkg/ml/train/optimizers"
)

// Batches yields the batches of one epoch. The order must depend only on the epoch (and the
// seed the caller closed over), so that a resumed run sees the batches it would have seen.
type Batches func(epoch int) iter.Seq[*data.Batch]

// Options of a training run.
type Options struct {
	Backend backends.Backend
	// Run records params, the loss of every step and artifacts; nil records nothing.
	// Train does not End it: the caller does, once the whole command is over.
	Run record.Recorder
	// Dir is the run directory: config.json and checkpoint/. "" keeps everything in memory
	// (tests, benchmarks). A Dir with a checkpoint resumes from it.
	Dir string
	// Settings are applied after a checkpoint restored the run's hyper-parameters, so a
	// resumed run can, say, raise epochs or steps. Pass the same Set the context was built
	// with.
	Settings params.Set
	// Config is written to Dir/config.json (its Params are filled in from ctx).
	Config RunConfig
	// StepsPerEpoch sizes the progress bar (ETA); 0 = unknown.
	StepsPerEpoch int
	// Progress receives the progress bar; nil = os.Stderr, io.Discard = none.
	Progress io.Writer
	// OnStep, if set, is called after every step with the global step and its loss.
	OnStep func(step int64, loss float64)
	// BeforeFirstStep, if set, is called once the variables hold their initial (or restored)
	// values, before the first step runs (tests inspect the initial state with it).
	BeforeFirstStep func(ctx *context.Context)
	// Devices > 1 splits every batch over that many devices of Backend (data parallelism,
	// see parallel.go); the batch size must be a multiple of it. A checkpoint written on any
	// number of devices resumes on any other.
	Devices int
	// AfterEpoch, if set, is called after every whole epoch (0-based) with the global step:
	// finetuning scores its validation part there. Stop, if set, is asked with the budget
	// whether the run is over (early stopping); a checkpoint then holds whatever state
	// AfterEpoch kept in the context.
	AfterEpoch func(epoch int, step int64) error
	Stop       func() bool
	// Interrupt, if set, is asked after every step whether the user asked the run to stop
	// (SIGINT): the run then ends after that step, writes a checkpoint whatever
	// checkpoint_every says, and returns an *InterruptedError; the same command resumes it.
	Interrupt func() bool
	// Status, if set, is added to the progress bar after every step (finetuning: the epoch
	// kept so far).
	Status func() string
}

// Result of Train.
type Result struct {
	Losses     []float64 // loss of every step this call ran, in order
	FirstStep  int64     // global step (1-based) of Losses[0]
	GlobalStep int64     // global step at the end
	Resumed    bool      // whether the run started from a checkpoint
	Samples    int       // sequences seen by this call
	Seconds    float64   // wall time of this call's steps (compilation included)
	// TrainSeconds is the run's training time, with that of the runs it resumed: the steps'
	// wall time without the steps that compiled (the first one, and the first of every new
	// batch shape). A time budget counts this.
	TrainSeconds float64
	// Devices the steps ran on (the outputs came back from each).
	Devices int
}

// state variables that make a run resumable: where in the data the last step was.
const (
	stateScope        = "/train_state"
	stateEpoch        = "epoch"
	stateBatchInEpoch = "batch_in_epoch"
)

// Train optimises obj on enc with Adam until the epochs (or the steps) of ctx's
// hyper-parameters are done. Each step is one compiled graph: the objective's loss, its
// gradient, the Adam update, then the objective's per-step update (BYB's EMA).
//
// Same seed, same engine → the same losses; interrupted and resumed from Dir → the same
// losses as an uninterrupted run (the checkpoint holds the parameters, Adam's moments, the
// random state and the position in the data).
func Train(ctx *context.Context, enc *encoder.Encoder, obj objective.Objective, batches Batches, opts Options) (*Result, error) {
	run := opts.Run
	if run == nil {
		run = record.Nop{}
	}
	if opts.Dir != "" {
		unlock, note, err := lockDir(opts.Dir)
		if err != nil {
			return nil, err
		}
		defer unlock()
		if note != "" {
			fmt.Fprintln(progressWriter(opts), "note:", note)
		}
	}
	ckpt, resumed, err := Setup(ctx, opts, run)
	if err != nil {
		return nil, err
	}
	if opts.Dir != "" {
		if err := markFinished(opts.Dir, false, optimizers.GetGlobalStep(ctx), restoredSeconds(ctx)); err != nil {
			return nil, err
		}
	}

	budget, err := budgetOf(ctx)
	if err != nil {
		return nil, err
	}
	every := int64(params.Get[int](ctx, ParamCheckpointEvery))
	diagEvery := int64(params.Get[int](ctx, ParamDiagEvery))
	seed := uint64(params.Get[int](ctx, ParamSeed))
	total := TotalSteps(ctx, opts.StepsPerEpoch)

	// Unchecked: the step reuses the variables the setup pass created and adds Adam's.
	step := NewStep(enc, obj)
	exec, err := context.NewExec(opts.Backend, ctx.Checked(false), step.Graph)
	if err != nil {
		return nil, err
	}
	exec.SetMaxCache(data.MaxPackedShapes) // a packed batch's size varies: one compile per size
	defer exec.Finalize()

	epochVar, batchVar := positionVars(ctx)
	startEpoch, skip := RestoredPosition(ctx)
	globalStep := optimizers.GetGlobalStep(ctx)

	res := &Result{Resumed: resumed, FirstStep: globalStep + 1, GlobalStep: globalStep}
	if resumed {
		fmt.Fprintf(progressWriter(opts), "resuming %s from its checkpoint at step %d (epoch %d, %d batches into it)\n", opts.Dir, globalStep, startEpoch+1, skip)
	}
	// Training time, which a time budget counts, is the wall-clock time of the steps without
	// building the model and compiling the step: that is the engine's one-off cost per batch
	// shape (the first step, and the first of every new size of packed batch), not the
	// method's, and on a busy machine one compilation can take longer than a short budget.
	start, before := time.Now(), restoredSeconds(ctx)
	var compiling time.Duration
	shapes := map[string]bool{}
	elapsed := func() time.Duration { return before + time.Since(start) - compiling }
	if budget.time > 0 {
		opts.Status = joinStatus(opts.Status, func() string {
			return fmt.Sprintf("%s left", max(0, budget.time-elapsed()).Round(time.Second))
		})
	}
	bar := newProgress(opts, total, globalStep)
	save := func(at Position) error {
		if ckpt == nil {
			return nil
		}
		epochVar.MustSetValue(tensors.FromScalar(int64(at.Epoch)))
		batchVar.MustSetValue(tensors.FromScalar(int64(at.Batch)))
		secondsVar(ctx).MustSetValue(tensors.FromScalar(elapsed().Seconds()))
		if err := ckpt.Save(); err != nil {
			return fmt.Errorf("saving checkpoint: %w", err)
		}
		return nil
	}

	compiled := false
	var parallel *dataParallel
	// With a step budget the epochs are as many as the steps need; without one, the epochs
	// run, and then more of them until min_steps steps are done.
	interrupted := false
	done := func(epochsDone int, globalStep int64) bool {
		if opts.Interrupt != nil && opts.Interrupt() {
			interrupted = true
			return true
		}
		return opts.Stop != nil && opts.Stop() || budget.done(epochsDone, globalStep, elapsed())
	}
	loop := Loop[*data.Batch]{
		Batches: batches,
		Tracker: run,
		Done:    done,
		Step: func(b *data.Batch, at int64) (float64, int, error) {
			began := time.Now()
			inputs, err := step.Inputs(b, seed, at)
			if err != nil {
				return 0, 0, err
			}
			if key := shapeKey(inputs); !shapes[key] {
				shapes[key] = true
				defer func() { compiling += time.Since(began) }()
			}
			if !compiled {
				if err := firstStepSetup(ctx, opts.Backend, enc, obj, resumed, step, inputs); err != nil {
					return 0, 0, err
				}
				if parallel, err = newDataParallel(exec, opts.Devices, b.Size); err != nil {
					return 0, 0, err
				}
				compiled = true
				if opts.BeforeFirstStep != nil {
					opts.BeforeFirstStep(ctx)
				}
			}
			args, err := parallel.args(exec, inputs, b.Size)
			if err != nil {
				return 0, 0, err
			}
			out, err := exec.Exec(args...)
			if err != nil {
				return 0, 0, err
			}
			if res.Devices == 0 { // what the compiled step runs on; out holds each device's outputs, device 0's first
				res.Devices = max(1, exec.NumDevices())
			}
			if diagEvery > 0 && at%diagEvery == 0 {
				step.logDiagnostics(run, out, at)
			}
			return float64(tensors.ToScalar[float32](out[0])), b.Size, nil
		},
		AfterStep: func(at int64, loss float64, samples int, pos Position) error {
			if opts.OnStep != nil {
				opts.OnStep(at, loss)
			}
			bar.step(loss, samples)
			if every > 0 && at%every == 0 {
				return save(pos)
			}
			return nil
		},
		// No checkpoint per epoch: with min_steps an epoch of a small dataset is a few steps,
		// and checkpoint_every already bounds the work an interruption loses.
		AfterEpoch: func(epoch int, at int64) error {
			_ = run.LogMetric("epoch", float64(epoch+1), at)
			if opts.AfterEpoch != nil {
				return opts.AfterEpoch(epoch, at)
			}
			return nil
		},
	}
	end, globalStep, err := loop.Run(Position{startEpoch, skip}, globalStep, res)
	if err != nil {
		bar.abort() // the error starts on a line of its own
		var div *DivergedError
		if errors.As(err, &div) {
			div.Hint = fmt.Sprintf("lower learning_rate (now %g), e.g. --set learning_rate=%g, and train in a new --out (the last checkpoint may already hold the weights that diverged)",
				params.Get[float64](ctx, ParamLearningRate), params.Get[float64](ctx, ParamLearningRate)/10)
		}
		return nil, fmt.Errorf("training %w", err)
	}
	if len(res.Losses) > 0 {
		if err := save(end); err != nil {
			return nil, err
		}
	}
	if interrupted {
		bar.abort()
		return nil, &InterruptedError{Dir: opts.Dir, Step: globalStep, Saved: ckpt != nil}
	}
	trained := elapsed()
	if opts.Dir != "" {
		if err := markFinished(opts.Dir, true, globalStep, trained); err != nil {
			return nil, err
		}
	}
	bar.finish()
	res.GlobalStep = globalStep
	res.Seconds = time.Since(start).Seconds()
	res.TrainSeconds = trained.Seconds()
	if res.Seconds > 0 {
		_ = run.LogMetric("samples_per_s", float64(res.Samples)/res.Seconds, globalStep)
	}
	if ckpt != nil {
		_ = run.LogArtifact(ckpt.Dir(), record.ArtifactCheckpoint)
	}
	return res, nil
}

// InterruptedError is a run stopped by the user (Options.Interrupt) after step Step, with
// a checkpoint in Dir when Saved: the same command resumes it from there.
type InterruptedError struct {
	Dir   string
	Step  int64
	Saved bool
}

// Killed tells the tracker that the user stopped the run: it is recorded as killed, not failed.
func (e *InterruptedError) Killed() bool { return true }

func (e *InterruptedError) Error() string {
	if !e.Saved {
		return fmt.Sprintf("interrupted after step %d (no run directory: nothing was kept)", e.Step)
	}
	return fmt.Sprintf("interrupted after step %d; its checkpoint is in %s: run the same command again to resume from step %d", e.Step, e.Dir, e.Step)
}

// markFinished records in config.json whether the run in dir has trained to the end of its
// budget, so that a finetuning from it can tell a finished pretraining from an interrupted one,
// with the steps and training time it had then.
func markFinished(dir string, finished bool, step int64, elapsed time.Duration) error {
	cfg, err := ReadConfig(dir)
	if err != nil {
		return err
	}
	cfg.Finished, cfg.StepsDone, cfg.TrainSeconds = &finished, step, elapsed.Seconds()
	return WriteConfig(dir, cfg)
}

// positionVars are the variables that hold where in its data a run is (see Position).
func positionVars(ctx *context.Context) (epoch, batch *context.Variable) {
	state := ctx.InAbsPath(stateScope).Checked(false)
	return state.VariableWithValue(stateEpoch, int64(0)).SetTrainable(false),
		state.VariableWithValue(stateBatchInEpoch, int64(0)).SetTrainable(false)
}

// RestoredPosition returns the epoch under way and the batches of it done, as restored from a checkpoint
// (0, 0 for a fresh run).
func RestoredPosition(ctx *context.Context) (epoch, batch int) {
	e, b := positionVars(ctx)
	return int(tensors.ToScalar[int64](e.MustValue())), int(tensors.ToScalar[int64](b.MustValue()))
}

// sameModel refuses to resume a checkpoint into a model of another shape, or on another
// dataset, with a line that says what differs, instead of GoMLX's variable-shape message.
func sameModel(opts Options, built, restored map[string]any) error {
	var diff []string
	for name, v := range restored {
		if b, ok := built[name]; ok && fmt.Sprint(b) != fmt.Sprint(v) {
			diff = append(diff, fmt.Sprintf("%s=%v (this run: %v)", name, v, b))
		}
	}
	if len(diff) > 0 {
		sort.Strings(diff)
		return fmt.Errorf("%s was trained with %s: resuming needs the same model shape; pass those settings to train it further, or another --out for a new run",
			opts.Dir, strings.Join(diff, ", "))
	}
	old, err := ReadConfig(opts.Dir)
	if err == nil && len(old.Vocab) > 0 && len(opts.Config.Vocab) > 0 && fmt.Sprint(old.Vocab) != fmt.Sprint(opts.Config.Vocab) {
		return fmt.Errorf("%s was trained on a dataset with vocabularies %v, this one has %v: another dataset cannot resume it; pass another --out", opts.Dir, old.Vocab, opts.Config.Vocab)
	}
	return nil
}

// Setup prepares ctx for a run in opts.Dir: it restores the run's checkpoint if there is one
// (handler nil without a Dir), then applies opts.Settings on top of the restored
// hyper-parameters (so a resumed run can, say, raise epochs), seeds the initialisation of
// fresh variables, writes config.json and records the hyper-parameters in run.
//
// A resume that cannot continue the run is refused before anything is written: a run that is
// already finished (nothing to train), a model whose shape differs from the checkpoint's (a
// Shape parameter changed), or another dataset (other vocabularies).
func Setup(ctx *context.Context, opts Options, run record.Recorder) (ckpt *checkpoints.Handler, resumed bool, err error) {
	built := params.ShapeValues(ctx) // what the model about to be trained is built from
	if opts.Dir != "" {
		ckpt, err = checkpoints.Build(ctx).Dir(filepath.Join(opts.Dir, CheckpointDir)).Keep(2).Done()
		if err != nil {
			return nil, false, fmt.Errorf("checkpoint in %s: %w", opts.Dir, err)
		}
		if resumed, err = ckpt.HasCheckpoints(); err != nil {
			return nil, false, err
		}
	}
	if resumed {
		if err := sameModel(opts, built, params.ShapeValues(ctx)); err != nil {
			return nil, false, err
		}
	}
	if err := opts.Settings.Apply(ctx); err != nil {
		return nil, false, err
	}
	// Only Train's runs (which know their epoch length) have this budget; the frozen probe,
	// which also calls Setup, has its own.
	if resumed && opts.StepsPerEpoch > 0 {
		epoch, _ := RestoredPosition(ctx)
		b, err := budgetOf(ctx)
		if err != nil {
			return nil, false, err
		}
		if step := optimizers.GetGlobalStep(ctx); b.done(epoch, step, restoredSeconds(ctx)) {
			spent := ""
			if b.time > 0 {
				spent = fmt.Sprintf(", %s of training on a time budget of %s", restoredSeconds(ctx).Round(time.Second), b.time)
			}
			return nil, false, fmt.Errorf("%s holds a finished run (%d steps%s): there is nothing to train with these settings; raise steps, epochs, min_steps or time_budget to train it further, or pass another --out",
				opts.Dir, step, spent)
		}
	}
	// The seed drives the initialisation (GoMLX's initializers_seed) unless that is set.
	if _, found := ctx.GetParam(context.ParamInitialSeed); !found {
		ctx.SetParam(context.ParamInitialSeed, int64(params.Get[int](ctx, ParamSeed)))
	}
	if opts.Dir != "" {
		cfg := opts.Config
		cfg.Settings = opts.Settings.String()
		cfg.Params = encoder.Params(ctx)
		if err := WriteConfig(opts.Dir, cfg); err != nil {
			return nil, false, err
		}
		_ = run.LogArtifact(filepath.Join(opts.Dir, ConfigFile), record.ArtifactConfig)
	}
	if err := run.LogParams(StringParams(ctx)); err != nil {
		return nil, false, err
	}
	return ckpt, resumed, nil
}

// TotalSteps is the number of optimizer steps a run makes: steps when set (whatever epochs
// is), else epochs × stepsPerEpoch raised to min_steps; 0 = unknown (a time budget without
// steps, or epochs without a known epoch length and no min_steps).
func TotalSteps(ctx *context.Context, stepsPerEpoch int) int64 {
	if steps := int64(params.Get[int](ctx, ParamSteps)); steps > 0 {
		return steps
	}
	if params.Get[string](ctx, ParamTimeBudget) != "" {
		return 0
	}
	minSteps := int64(params.Get[int](ctx, ParamMinSteps))
	if stepsPerEpoch <= 0 {
		return minSteps
	}
	return max(int64(params.Get[int](ctx, ParamEpochs))*int64(stepsPerEpoch), minSteps)
}

// firstStepSetup creates the model's variables by running the objective's forward pass once
// (which also gives fresh variables their initial values), then lets the objective set up its
// state (BYB: teacher := student) before the first training step. A forward pass rather than
// Exec.PreCompile of the step: in GoMLX v0.26.0 PreCompile already donates (and so empties)
// the buffers of the variables the step updates.
func firstStepSetup(ctx *context.Context, backend backends.Backend, enc *encoder.Encoder, obj objective.Objective, resumed bool, step *Step, inputs []*tensors.Tensor) error {
	_, err := context.ExecOnceN(backend, ctx.Checked(false), func(ctx *context.Context, nodes []*Node) []*Node {
		return []*Node{obj.Loss(ctx, enc, step.inputsFrom(nodes))}
	}, anySlice(inputs)...)
	if err != nil {
		return fmt.Errorf("building the model: %w", err)
	}
	if init, ok := obj.(objective.Initializer); ok && !resumed {
		if err := init.Init(ctx); err != nil {
			return err
		}
	}
	return nil
}

// shapeKey names the shapes of a step's inputs: a new one compiles the step anew.
func shapeKey(inputs []*tensors.Tensor) string {
	var b strings.Builder
	for _, t := range inputs {
		b.WriteString(t.Shape().String())
		b.WriteByte(';')
	}
	return b.String()
}

func anySlice(ts []*tensors.Tensor) []any {
	out := make([]any, len(ts))
	for i, t := range ts {
		out[i] = t
	}
	return out
}

// StringParams renders ctx's hyper-parameters for the tracker.
func StringParams(ctx *context.Context) map[string]string {
	out := map[string]string{}
	for k, v := range encoder.Params(ctx) {
		switch x := v.(type) {
		case float64:
			out[k] = strconv.FormatFloat(x, 'g', -1, 64)
		default:
			out[k] = fmt.Sprint(x)
		}
	}
	return out
}
