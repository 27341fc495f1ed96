package finetune

import (
	"fmt"
	"iter"
	"math"
	"math/rand/v2"
	"os"
	"time"

	"github.com/byb-dev/byb/byb/data"
	"github.com/byb-dev/byb/byb/encoder"
	"github.com/byb-dev/byb/byb/metrics"
	"github.com/byb-dev/byb/byb/train"
	"github.com/byb-dev/byb/tracking"
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

// encode computes E for every labeled sample of batches (padding and unlabeled rows are
// dropped).
func encode(r *eRunner, batches iter.Seq[*data.Batch]) (*features, error) {
	f := &features{}
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
func runProbe(ctx *context.Context, enc *encoder.Encoder, head *Head, opts Options, cfg train.RunConfig) (*train.Result, *features, [][]float32, error) {
	run := opts.Run
	if run == nil {
		run = tracking.Nop{RunDir: opts.Dir}
	}
	progress := opts.Progress
	if progress == nil {
		progress = os.Stderr
	}
	ckpt, _, err := train.Setup(ctx, train.Options{Dir: opts.Dir, Settings: opts.Settings, Config: cfg}, run)
	if err != nil {
		return nil, nil, nil, err
	}

	start := time.Now()
	trainSet, testSet, cached, err := probeFeatures(ctx, enc, opts)
	if err != nil {
		return nil, nil, nil, err
	}
	if len(trainSet.x) == 0 {
		return nil, nil, nil, fmt.Errorf("finetune: no labeled training sample")
	}
	fitSet, valSet := holdOut(trainSet, context.GetParamOr(ctx, ParamVal, 0.2), uint64(context.GetParamOr(ctx, train.ParamSeed, 0)))
	setScaler(ctx, fitSet.x)
	encodeSeconds := time.Since(start).Seconds()

	res, err := trainHead(ctx, head, opts, run, fitSet, valSet)
	if err != nil {
		return nil, nil, nil, err
	}
	if ckpt != nil {
		if err := ckpt.Save(); err != nil {
			return nil, nil, nil, fmt.Errorf("saving checkpoint: %w", err)
		}
		_ = run.LogArtifact(ckpt.Dir(), tracking.ArtifactCheckpoint)
	}
	probs, err := predictFeatures(ctx, head, opts, testSet)
	if err != nil {
		return nil, nil, nil, err
	}
	last := "-"
	if n := len(res.Losses); n > 0 {
		last = fmt.Sprintf("%.4f", res.Losses[n-1])
	}
	kept := ""
	if valSet != nil {
		kept = fmt.Sprintf(", kept epoch %d (validation %s %.4f on %d samples)", res.BestEpoch, res.BestMetric, res.BestScore, len(valSet.x))
	}
	from := ""
	if cached {
		from = " (reused from the previous probe of this encoder)"
	}
	_, _ = fmt.Fprintf(progress, "probe: E of %d train / %d test samples in %.1fs%s; head: %d steps in %.1fs, last loss %s%s\n",
		len(fitSet.x), len(testSet.x), encodeSeconds, from, len(res.Losses), res.Seconds, last, kept)
	return res, testSet, probs, nil
}

// probeFeatures computes E of the labelled training and test samples, or takes it from
// opts.ECache when that holds this encoder's E of every one of them.
func probeFeatures(ctx *context.Context, enc *encoder.Encoder, opts Options) (trainSet, testSet *features, cached bool, err error) {
	trainBatches := opts.TrainOnce
	if trainBatches == nil {
		trainBatches = opts.Train(0)
	}
	if opts.ECache != nil {
		if trainSet, testSet, ok := opts.ECache.lookup(opts.ECacheKey, trainBatches, opts.Test); ok {
			return trainSet, testSet, true, nil
		}
	}
	// Checked(false): a from-scratch encoder's variables are created by this first pass.
	embed, err := newERunner(opts.Backend, ctx.Checked(false), enc, nil)
	if err != nil {
		return nil, nil, false, err
	}
	defer embed.Finalize()
	if trainSet, err = encode(embed, trainBatches); err != nil {
		return nil, nil, false, err
	}
	if testSet, err = encode(embed, opts.Test); err != nil {
		return nil, nil, false, err
	}
	if opts.ECache != nil {
		opts.ECache.store(opts.ECacheKey, trainSet, testSet)
	}
	return trainSet, testSet, false, nil
}

// trainHead trains the head over the cached features fit with the trainer's Adam, in shuffled
// batches of batch_size (the last one padded with masked rows, so every step has one shape).
//
// With a validation set (ft_val > 0) it scores the head on it after every epoch and keeps the
// head of the best epoch, as the PyTorch peer does; with epochs=0 (the default) it also stops
// once ft_patience epochs have not improved on the best, or after ft_max_epochs, so the probe
// trains to convergence without a guessed epoch count. The best head and the stopping state
// are variables of the context, so a probe run directory that is run again resumes them.
func trainHead(ctx *context.Context, head *Head, opts Options, run tracking.Run, fit, val *features) (*train.Result, error) {
	epochs := context.GetParamOr(ctx, train.ParamEpochs, 0)
	early := epochs <= 0
	if early {
		epochs = context.GetParamOr(ctx, ParamMaxEpochs, 200)
	}
	patience := context.GetParamOr(ctx, ParamPatience, 10)
	maxSteps := int64(context.GetParamOr(ctx, train.ParamSteps, 0))
	batchSize := min(context.GetParamOr(ctx, train.ParamBatchSize, 64), len(fit.x))
	seed := uint64(context.GetParamOr(ctx, train.ParamSeed, 0))
	step, err := context.NewExec(opts.Backend, ctx.Checked(false), func(ctx *context.Context, x, labels *Node) *Node {
		g := x.Graph()
		ctx.SetTraining(g, true)
		loss := maskedCrossEntropy(head.Logits(ctx, x), labels, head.NumClasses)
		train.ApplyAdam(ctx, g, loss)
		return loss
	})
	if err != nil {
		return nil, err
	}
	defer step.Finalize()
	state := newProbeState(ctx)
	globalStep := optimizers.GetGlobalStep(ctx)
	res := &train.Result{FirstStep: globalStep + 1, GlobalStep: globalStep}
	var validate func() (float64, string, error)
	if val != nil {
		predict, err := newPredictor(ctx, head, opts)
		if err != nil {
			return nil, err
		}
		defer predict.Finalize()
		validate = func() (float64, string, error) { return validationScore(predict, head, val) }
	}
	// An epoch that ends (or a step budget that cuts short) is scored on the validation part;
	// early stopping ends the run patience epochs after the best.
	epochEnd := func(epoch int, at int64) error {
		state.set(probeEpochsDone, epoch+1)
		if validate == nil {
			return nil
		}
		score, metric, err := validate()
		if err != nil {
			return err
		}
		_ = run.LogMetric("val_"+metric, score, at)
		if state.get(probeBestEpoch) == 0 || score > state.score() {
			state.keepBest(ctx, epoch+1, score)
		} else if early && epoch+1-state.get(probeBestEpoch) >= patience {
			state.set(probeStopped, 1)
		}
		res.BestMetric = metric
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
			return state.get(probeStopped) == 1 || epochsDone >= epochs || maxSteps > 0 && at >= maxSteps
		},
		Tracker:    run,
		AfterEpoch: epochEnd,
	}
	start := time.Now()
	end, globalStep, err := loop.Run(train.Position{Epoch: state.get(probeEpochsDone)}, globalStep, res)
	if err != nil {
		return nil, fmt.Errorf("probe %w", err)
	}
	if end.Batch > 0 { // the step budget ended an epoch part-way: score what it trained
		if err := epochEnd(end.Epoch, globalStep); err != nil {
			return nil, err
		}
	}
	if validate != nil {
		state.restoreBest(ctx)
		res.BestEpoch, res.BestScore = state.get(probeBestEpoch), state.score()
		if res.BestMetric == "" {
			_, res.BestMetric, _ = validate()
		}
	}
	res.GlobalStep = globalStep
	res.Seconds = time.Since(start).Seconds()
	return res, nil
}

// holdOut splits the labeled training features into the part the head fits and a validation
// part of the given share, by a seeded permutation of the samples (so any id pattern splits
// evenly). No validation part when it would be too small to score (fewer than 20 samples) or
// has a single class.
func holdOut(set *features, share float64, seed uint64) (fit, val *features) {
	n := len(set.x)
	nVal := int(math.Round(share * float64(n)))
	if share <= 0 || nVal < 20 || n-nVal < 1 {
		return set, nil
	}
	perm := rand.New(rand.NewPCG(seed, 0x7a1d)).Perm(n)
	fit, val = &features{}, &features{}
	for i, j := range perm {
		dst := fit
		if i < nVal {
			dst = val
		}
		dst.x = append(dst.x, set.x[j])
		dst.labels = append(dst.labels, set.labels[j])
		dst.users = append(dst.users, set.users[j])
	}
	if distinct(val.labels) < 2 {
		return set, nil
	}
	return fit, val
}

func distinct(labels []int32) int {
	seen := map[int32]bool{}
	for _, y := range labels {
		seen[y] = true
	}
	return len(seen)
}

// validationScore is the head's AUROC on the validation features (macro one-vs-rest for more
// than two classes, as the test metric), or minus its cross-entropy where AUROC is undefined.
func validationScore(predict *context.Exec, head *Head, val *features) (float64, string, error) {
	probs, err := predictWith(predict, val)
	if err != nil {
		return 0, "", err
	}
	p64 := make([][]float64, len(probs))
	labels := make([]int, len(probs))
	for i, row := range probs {
		p64[i], labels[i] = float64s(row), int(val.labels[i])
	}
	if m, err := Evaluate(p64, labels, head.NumClasses); err == nil {
		if head.NumClasses == 2 {
			return m[metrics.MetricAUROC], metrics.MetricAUROC, nil
		}
		return m[metrics.MetricMacroAUROC], metrics.MetricMacroAUROC, nil
	}
	ce := 0.0
	for i, p := range p64 {
		ce -= math.Log(max(p[labels[i]], 1e-12))
	}
	return -ce / float64(len(p64)), "neg_loss", nil
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
