package finetune

import (
	"fmt"
	"iter"
	"math/rand/v2"
	"os"
	"time"

	"github.com/byb-dev/byb/byb/data"
	"github.com/byb-dev/byb/byb/encoder"
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
func encode(exec *context.Exec, batches iter.Seq[*data.Batch]) (*features, error) {
	f := &features{}
	for b := range batches {
		in := encoder.BatchTensors(b)
		out, err := exec.Exec(in[0], in[1])
		if err != nil {
			return nil, fmt.Errorf("computing E: %w", err)
		}
		for i, row := range out[0].Value().([][]float32) {
			if b.Users[i] < 0 || i >= len(b.Labels) || b.Labels[i] < 0 {
				continue
			}
			f.x = append(f.x, row)
			f.labels = append(f.labels, b.Labels[i])
			f.users = append(f.users, b.Users[i])
		}
	}
	return f, nil
}

// probeState records the epochs done, so that a probe run directory that is run again
// continues (or, when all its epochs are done, only predicts) instead of starting over.
const (
	probeStateScope = "/probe_state"
	probeEpochsDone = "epochs_done"
)

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
	embed, err := context.NewExec(opts.Backend, ctx.Checked(false), func(ctx *context.Context, ids, window *Node) *Node {
		return enc.Forward(ctx, encoder.Inputs{IDs: ids, Window: window}).E
	})
	if err != nil {
		return nil, nil, nil, err
	}
	trainBatches := opts.TrainOnce
	if trainBatches == nil {
		trainBatches = opts.Train(0)
	}
	trainSet, err := encode(embed, trainBatches)
	var testSet *features
	if err == nil {
		testSet, err = encode(embed, opts.Test)
	}
	embed.Finalize()
	if err != nil {
		return nil, nil, nil, err
	}
	if len(trainSet.x) == 0 {
		return nil, nil, nil, fmt.Errorf("finetune: no labeled training sample")
	}
	setScaler(ctx, trainSet.x)
	encodeSeconds := time.Since(start).Seconds()

	res, err := trainHead(ctx, head, opts, run, trainSet)
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
	_, _ = fmt.Fprintf(progress, "probe: E of %d train / %d test samples in %.1fs; head: %d steps in %.1fs, last loss %s\n",
		len(trainSet.x), len(testSet.x), encodeSeconds, len(res.Losses), res.Seconds, last)
	return res, testSet, probs, nil
}

// trainHead runs the epochs (or steps) of ctx's hyper-parameters over the cached features
// with the trainer's Adam, in shuffled batches of batch_size (the last one padded with
// masked rows, so every step has one shape).
func trainHead(ctx *context.Context, head *Head, opts Options, run tracking.Run, set *features) (*train.Result, error) {
	epochs := context.GetParamOr(ctx, train.ParamEpochs, 1)
	maxSteps := int64(context.GetParamOr(ctx, train.ParamSteps, 0))
	batchSize := min(context.GetParamOr(ctx, train.ParamBatchSize, 64), len(set.x))
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
	done := ctx.InAbsPath(probeStateScope).Checked(false).VariableWithValue(probeEpochsDone, int64(0)).SetTrainable(false)
	globalStep := optimizers.GetGlobalStep(ctx)
	res := &train.Result{FirstStep: globalStep + 1, GlobalStep: globalStep}
	start := time.Now()
	for epoch := int(tensors.ToScalar[int64](done.MustValue())); epoch < epochs; epoch++ {
		order := rand.New(rand.NewPCG(seed, uint64(epoch))).Perm(len(set.x))
		for from := 0; from < len(order); from += batchSize {
			x, labels := featureBatch(set, order[from:min(from+batchSize, len(order))], batchSize)
			out, err := step.Exec(x, labels)
			if err != nil {
				return nil, fmt.Errorf("probe step %d: %w", globalStep+1, err)
			}
			loss := float64(tensors.ToScalar[float32](out[0]))
			globalStep++
			res.Losses = append(res.Losses, loss)
			res.Samples += min(batchSize, len(order)-from)
			_ = run.LogMetric("loss", loss, globalStep)
			if maxSteps > 0 && globalStep >= maxSteps {
				break
			}
		}
		done.MustSetValue(tensors.FromScalar(int64(epoch + 1)))
		if maxSteps > 0 && globalStep >= maxSteps {
			break
		}
	}
	res.GlobalStep = globalStep
	res.Seconds = time.Since(start).Seconds()
	return res, nil
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
	exec, err := context.NewExec(opts.Backend, ctx.Reuse(), func(ctx *context.Context, x *Node) *Node {
		return Softmax(head.Logits(ctx, x), -1)
	})
	if err != nil {
		return nil, err
	}
	defer exec.Finalize()
	const size = 256
	var probs [][]float32
	idx := make([]int, 0, size)
	for from := 0; from < len(set.x); from += size {
		idx = idx[:0]
		for i := from; i < min(from+size, len(set.x)); i++ {
			idx = append(idx, i)
		}
		x, _ := featureBatch(set, idx, size)
		out, err := exec.Exec(x)
		if err != nil {
			return nil, err
		}
		probs = append(probs, out[0].Value().([][]float32)[:len(idx)]...)
	}
	return probs, nil
}
