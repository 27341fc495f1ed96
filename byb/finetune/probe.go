package finetune

import (
	"fmt"
	"iter"
	"math/rand/v2"
	"os"
	"time"

	"github.com/byb-dev/byb/byb/data"
	"github.com/byb-dev/byb/byb/encoder"
	"github.com/byb-dev/byb/byb/params"
	"github.com/byb-dev/byb/byb/record"
	"github.com/byb-dev/byb/byb/train"
	"github.com/gomlx/gomlx/pkg/core/dtypes"
	. "github.com/gomlx/gomlx/pkg/core/graph" //nolint:revive // GoMLX convention
	"github.com/gomlx/gomlx/pkg/core/shapes"
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/gomlx/gomlx/pkg/ml/context"
	"github.com/gomlx/gomlx/pkg/ml/train/optimizers"
)

// Frozen finetuning (BYB(freeze)) is a probe: the encoder never changes, so E is computed once
// for every training and test sample and the head trains on these cached features. That is
// the same problem as training the head on the frozen encoder batch by batch, at one encoder
// pass per sample instead of one per sample and epoch, so a probe can afford the epochs a
// small labelled set needs (tens, where the paper's millions of samples need one).

// features are E (and labels, users) of the labeled samples of one split.
type features struct {
	x      [][]float32
	labels []int32
	users  []int32
}

// encode collects what r computes (E, or a head's probabilities) for every labeled sample of
// batches (padding and unlabeled rows are dropped); nil batches have none.
func encode(r *eRunner, batches iter.Seq[*data.Batch]) (*features, error) {
	f := &features{}
	if batches == nil {
		return f, nil
	}
	err := r.run(batches, func(b *data.Batch, rows [][]float32) error {
		for i, row := range rows {
			if b.Users[i] < 0 || i >= len(b.Labels) || b.Labels[i] < 0 {
				continue
			}
			f.x = append(f.x, row)
			f.labels = append(f.labels, b.Labels[i])
			f.users = append(f.users, b.Users[i])
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return f, nil
}

// runProbe trains the head on the frozen encoder's cached E and returns the test split's
// softmax probabilities (one row per labeled test sample, in features order).
func runProbe(ctx *context.Context, enc *encoder.Encoder, head *Head, opts Options, cfg train.RunConfig) (*train.Result, Selection, *features, [][]float32, error) {
	run := opts.Run
	if run == nil {
		run = record.Nop{}
	}
	progress := opts.Progress
	if progress == nil {
		progress = os.Stderr
	}
	ckpt, _, err := train.Setup(ctx, train.Options{Dir: opts.Dir, Settings: opts.Settings, Config: cfg}, run)
	if err != nil {
		return nil, Selection{}, nil, nil, err
	}

	start := time.Now()
	sets, cached, err := probeFeatures(ctx, enc, opts)
	if err != nil {
		return nil, Selection{}, nil, nil, err
	}
	fitSet, valSet, testSet := sets[0], sets[1], sets[2]
	if len(fitSet.x) == 0 {
		return nil, Selection{}, nil, nil, fmt.Errorf("finetune: no labeled training sample")
	}
	setScaler(ctx, fitSet.x)
	encodeSeconds := time.Since(start).Seconds()

	res, sel, err := trainHead(ctx, head, opts, run, fitSet, valSet)
	if err != nil {
		return nil, Selection{}, nil, nil, err
	}
	if ckpt != nil {
		if err := ckpt.Save(); err != nil {
			return nil, Selection{}, nil, nil, fmt.Errorf("saving checkpoint: %w", err)
		}
		_ = run.LogArtifact(ckpt.Dir(), record.ArtifactCheckpoint)
	}
	probs, err := predictFeatures(ctx, head, opts, testSet)
	if err != nil {
		return nil, Selection{}, nil, nil, err
	}
	last := "-"
	if n := len(res.Losses); n > 0 {
		last = fmt.Sprintf("%.4f", res.Losses[n-1])
	}
	from := ""
	if cached {
		from = " (reused from the previous probe of this encoder)"
	}
	_, _ = fmt.Fprintf(progress, "probe: E of %d train / %d validation / %d test samples in %.1fs%s; head: %d steps in %.1fs, last loss %s%s\n",
		len(fitSet.x), len(valSet.x), len(testSet.x), encodeSeconds, from, len(res.Losses), res.Seconds, last, sel.describe(len(valSet.x)))
	return res, sel, testSet, probs, nil
}

// probeFeatures computes E of the labelled training, validation and test samples, or takes
// it from opts.ECache when that holds this encoder's E of every one of them.
func probeFeatures(ctx *context.Context, enc *encoder.Encoder, opts Options) (sets [3]*features, cached bool, err error) {
	trainBatches := opts.TrainOnce
	if trainBatches == nil {
		trainBatches = opts.Train(0)
	}
	splits := [3]iter.Seq[*data.Batch]{trainBatches, opts.Val, opts.Test}
	if opts.ECache != nil {
		if sets, ok := opts.ECache.lookup(opts.ECacheKey, splits); ok {
			return sets, true, nil
		}
	}
	// Checked(false): a from-scratch encoder's variables are created by this first pass.
	embed, err := newERunner(opts.Backend, ctx.Checked(false), enc, nil)
	if err != nil {
		return sets, false, err
	}
	defer embed.Finalize()
	for i, batches := range splits {
		if sets[i], err = encode(embed, batches); err != nil {
			return sets, false, err
		}
	}
	if opts.ECache != nil {
		opts.ECache.store(opts.ECacheKey, sets)
	}
	return sets, false, nil
}

// trainHead trains the head over the cached features fit with the trainer's Adam, in shuffled
// batches of batch_size (the last one padded with masked rows, so every step has one shape).
//
// With a validation set it scores the head on it after every epoch and keeps the head of the
// best epoch, as the PyTorch peer does; with epochs=0 (the default) it also stops once
// ft_patience epochs have not improved on the best, or after ft_max_epochs, so the probe
// trains to convergence without a guessed epoch count. The best head and the stopping state
// are variables of the context, so a probe run directory that is run again resumes them.
func trainHead(ctx *context.Context, head *Head, opts Options, run record.Recorder, fit, val *features) (*train.Result, Selection, error) {
	epochs := params.Get[int](ctx, train.ParamEpochs)
	early := epochs <= 0
	if early {
		epochs = params.Get[int](ctx, ParamMaxEpochs)
	}
	patience := params.Get[int](ctx, ParamPatience)
	maxSteps := int64(params.Get[int](ctx, train.ParamSteps))
	batchSize := min(params.Get[int](ctx, train.ParamBatchSize), len(fit.x))
	seed := uint64(params.Get[int](ctx, train.ParamSeed))
	step, err := context.NewExec(opts.Backend, ctx.Checked(false), func(ctx *context.Context, x, labels *Node) *Node {
		g := x.Graph()
		ctx.SetTraining(g, true)
		loss := maskedCrossEntropy(head.Logits(ctx, x), labels, head.NumClasses)
		train.ApplyAdam(ctx, g, loss)
		return loss
	})
	if err != nil {
		return nil, Selection{}, err
	}
	defer step.Finalize()
	state := newEarlyStopping(ctx, HeadScope)
	globalStep := optimizers.GetGlobalStep(ctx)
	res := &train.Result{FirstStep: globalStep + 1, GlobalStep: globalStep}
	var validate func() (float64, string, error)
	if len(val.x) > 0 {
		predict, err := newPredictor(ctx, head, opts)
		if err != nil {
			return nil, Selection{}, err
		}
		defer predict.Finalize()
		validate = func() (float64, string, error) {
			probs, err := predictWith(predict, val)
			if err != nil {
				return 0, "", err
			}
			score, metric := validationScore(probs, val.labels, head.NumClasses)
			return score, metric, nil
		}
	}
	sel := Selection{Validated: validate != nil, Patience: patience}
	// An epoch that ends (or a step budget that cuts short) is scored on the validation part;
	// early stopping ends the run patience epochs after the best.
	epochEnd := func(epoch int, at int64) error {
		if validate == nil {
			state.set(epochsDone, epoch+1)
			return nil
		}
		score, metric, err := validate()
		if err != nil {
			return err
		}
		_ = run.LogMetric("val_"+metric, score, at)
		state.epochEnd(ctx, epoch+1, score, early, patience, inWarmup(ctx, at))
		sel.Metric = metric
		return nil
	}
	loop := train.Loop[[]int]{
		Batches: func(epoch int) iter.Seq[[]int] {
			order := rand.New(rand.NewPCG(seed, uint64(epoch))).Perm(len(fit.x))
			return func(yield func([]int) bool) {
				for from := 0; from < len(order); from += batchSize {
					if !yield(order[from:min(from+batchSize, len(order))]) {
						return
					}
				}
			}
		},
		Step: func(idx []int, _ int64) (float64, int, error) {
			x, labels := featureBatch(fit, idx, batchSize)
			out, err := step.Exec(x, labels)
			if err != nil {
				return 0, 0, err
			}
			return float64(tensors.ToScalar[float32](out[0])), len(idx), nil
		},
		Done: func(epochsDone int, at int64) bool {
			return state.stopped() || epochsDone >= epochs || maxSteps > 0 && at >= maxSteps
		},
		Tracker:    run,
		AfterEpoch: epochEnd,
	}
	start := time.Now()
	end, globalStep, err := loop.Run(train.Position{Epoch: state.get(epochsDone)}, globalStep, res)
	if err != nil {
		return nil, Selection{}, fmt.Errorf("probe %w", err)
	}
	if end.Batch > 0 { // the step budget ended an epoch part-way: score what it trained
		if err := epochEnd(end.Epoch, globalStep); err != nil {
			return nil, Selection{}, err
		}
	}
	sel.Epochs, sel.BestEpoch = state.get(epochsDone), state.get(epochsDone)
	if validate != nil {
		state.restoreBest(ctx)
		sel.BestEpoch, sel.Score, sel.Stopped = state.get(bestEpochVar), state.score(), state.stopped()
		if sel.Metric == "" { // a resumed run with nothing left to train
			_, sel.Metric, _ = validate()
		}
	}
	res.GlobalStep = globalStep
	res.Seconds = time.Since(start).Seconds()
	return res, sel, nil
}

// featureBatch gathers rows idx of set into x [size,d] and labels [size]; rows past len(idx)
// are zeros with label -1 (ignored by the loss).
func featureBatch(set *features, idx []int, size int) (x, labels *tensors.Tensor) {
	d := len(set.x[0])
	x = tensors.FromShape(shapes.Make(dtypes.Float32, size, d))
	tensors.MutableFlatData(x, func(flat []float32) {
		for r, i := range idx {
			copy(flat[r*d:(r+1)*d], set.x[i])
		}
	})
	labels = tensors.FromShape(shapes.Make(dtypes.Int32, size))
	tensors.MutableFlatData(labels, func(flat []int32) {
		for r := range flat {
			flat[r] = -1
			if r < len(idx) {
				flat[r] = set.labels[idx[r]]
			}
		}
	})
	return x, labels
}

// predictFeatures returns the head's softmax probabilities for every row of set.
func predictFeatures(ctx *context.Context, head *Head, opts Options, set *features) ([][]float32, error) {
	if len(set.x) == 0 {
		return nil, nil
	}
	exec, err := newPredictor(ctx, head, opts)
	if err != nil {
		return nil, err
	}
	defer exec.Finalize()
	return predictWith(exec, set)
}

// predictBatch is the row count of a prediction step (one compiled shape for any set size).
const predictBatch = 256

// newPredictor compiles (on first use) the head's softmax over cached features.
func newPredictor(ctx *context.Context, head *Head, opts Options) (*context.Exec, error) {
	return context.NewExec(opts.Backend, ctx.Reuse(), head.probabilities)
}

// predictWith runs a predictor over every row of set.
func predictWith(exec *context.Exec, set *features) ([][]float32, error) {
	var probs [][]float32
	idx := make([]int, 0, predictBatch)
	for from := 0; from < len(set.x); from += predictBatch {
		idx = idx[:0]
		for i := from; i < min(from+predictBatch, len(set.x)); i++ {
			idx = append(idx, i)
		}
		x, _ := featureBatch(set, idx, predictBatch)
		out, err := exec.Exec(x)
		if err != nil {
			return nil, err
		}
		probs = append(probs, out[0].Value().([][]float32)[:len(idx)]...)
	}
	return probs, nil
}
