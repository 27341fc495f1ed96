package pipeline

import (
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"sync"
	"time"

	"github.com/byb-dev/byb/byb/bagofids"
	"github.com/byb-dev/byb/byb/data"
	"github.com/byb-dev/byb/byb/encoder"
	"github.com/byb-dev/byb/byb/metrics"
	"github.com/byb-dev/byb/byb/params"
	"github.com/byb-dev/byb/byb/train"
	"github.com/byb-dev/byb/tracking"
	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/pkg/ml/context"
)

// The bag-of-IDs reference's hyper-parameters.
const (
	ParamBagMaxIDs  = "bag_max_ids"  // columns per field: its most frequent IDs
	ParamBagMaxIter = "bag_max_iter" // L-BFGS iterations per fit
)

func init() {
	params.Register("bag",
		params.Param{Name: ParamBagMaxIDs, Default: 50000, Help: "bag-of-IDs: count at most this many of each field's most frequent IDs", Range: params.Positive},
		params.Param{Name: ParamBagMaxIter, Default: 100, Help: "bag-of-IDs: L-BFGS iterations per fit", Range: params.Positive},
	)
}

// bagL2 are the L2 strengths the reference chooses from on a validation part of the
// finetune users (as the frozen probe chooses its epoch).
var bagL2 = []float64{1e-3, 1e-2, 1e-1}

// BagOptions of a bag-of-IDs run: the same data, task, splits and sequence settings as
// finetuning (Like takes a run's max_len and dt1).
type BagOptions struct {
	Data, Task string
	Like       string
	// WithE names an encoder whose E, frozen, is appended to every user's features (the
	// "Bag-of-IDs + E" reference: do the embeddings add to counting IDs?): a pretraining run
	// directory (its student encoder, on its own sequence settings, as a frozen probe of it
	// sees them; Like must then be empty), or "none": a random encoder with Like's
	// architecture and sequence settings and Settings' seed, the encoder of the Random init
	// (freeze) row. "" = the bag alone. See bage.go.
	WithE    string
	Settings string
	Backend  backends.Backend // runs the encoder of WithE (unused without it)
	Run      tracking.Run
	Progress io.Writer
}

// BagResult of a bag-of-IDs run.
type BagResult struct {
	Task        string
	NumClasses  int
	Train, Test int // labelled finetune and test samples
	Columns     int
	Dense       int     // dense features per sample: the summary ones, then E's
	L2          float64 // the strength chosen on validation
	Metrics     metrics.Result
	// Encoder is the encoder whose E was appended (nil: the bag alone).
	Encoder *BagEncoder
}

// Bag trains the bag-of-IDs reference on the finetune split and scores the test split, as
// Finetune does: counts of each ID in the most recent max_len behaviors of the observation
// window, the number of behaviors, of active windows and the windows since the last one, into
// a logistic regression whose L2 strength is chosen on 20% of the finetune users. With
// o.WithE, a frozen encoder's E of each user joins these features in the same regression.
func Bag(o BagOptions) (*BagResult, error) {
	progress := o.Progress
	if progress == nil {
		progress = os.Stderr
	}
	b, err := bagFeatures(o, progress)
	if err != nil {
		return nil, err
	}
	defer b.ds.Close()
	start := time.Now()
	m, best, err := fitBag(b.train, b.classes, b.columns, b.maxIter, progress)
	if err != nil {
		return nil, err
	}
	_, _ = fmt.Fprintf(progress, "bag-of-IDs: %d dense features per sample, L2 chosen and the model refit in %.1fs\n", m.Dense, time.Since(start).Seconds())
	res := &BagResult{Task: o.Task, NumClasses: b.classes, Train: len(b.train), Test: len(b.test), Columns: b.columns,
		Dense: m.Dense, L2: best, Encoder: b.enc}
	probs, err := m.Predict(b.test)
	if err != nil {
		return nil, err
	}
	if res.Metrics, err = metrics.EvaluateProbabilities(probs, labelsOf(b.test), b.classes); err != nil {
		return nil, err
	}
	if o.Run != nil {
		_ = o.Run.LogMetric("l2", best, 0)
		for k, v := range res.Metrics {
			_ = o.Run.LogMetric("test_"+k, v, 0)
		}
	}
	return res, nil
}

// bagSet is what a bag-of-IDs run fits and scores.
type bagSet struct {
	ds                        *data.Dataset // the caller closes it
	ft, testSplit             *data.Samples // the task's labelled finetune and test samples
	seq                       data.SeqConfig
	train, test               []bagofids.Sample // their features, in the same order
	classes, columns, maxIter int
	enc                       *BagEncoder // nil: no E
}

// bagFeatures computes the features of the task's labelled finetune and test samples, with
// the sequence settings o resolves to, and E appended when o.WithE names an encoder.
func bagFeatures(o BagOptions, progress io.Writer) (*bagSet, error) {
	ds, taskIdx, task, ft, test, err := taskSamples(o.Data, o.Task)
	if err != nil {
		return nil, err
	}
	b := &bagSet{ds: ds, ft: ft, testSplit: test, classes: task.NumClasses()}
	defer func() {
		if err != nil {
			_ = ds.Close()
		}
	}()
	ctx := newContext()
	var settings string
	if settings, b.enc, err = bagSettings(ctx, o); err != nil {
		return nil, err
	}
	if b.seq, err = seqConfig(ctx, ds, ft, true); err != nil { // the behaviors a pooled encoder sees (all of them at max_len=0)
		return nil, err
	}
	if o.Run != nil {
		_ = o.Run.LogParams(map[string]string{ParamMaxLen: fmt.Sprint(b.seq.MaxLen), ParamDT1: context.GetParamOr(ctx, ParamDT1, "day")})
	}
	cols := bagofids.NewColumns(ds.Meta.VocabSizes(), context.GetParamOr(ctx, ParamBagMaxIDs, 50000))
	b.columns, b.maxIter = cols.Total, context.GetParamOr(ctx, ParamBagMaxIter, 100)
	b.train = bagofids.Features(ds, ft, cols, b.seq, taskIdx)
	b.test = bagofids.Features(ds, test, cols, b.seq, taskIdx)
	if b.enc != nil {
		if err = b.enc.appendE(o, ds, settings, b.seq, []*data.Samples{ft, test}, [][]bagofids.Sample{b.train, b.test}, progress); err != nil {
			return nil, err
		}
		if o.Run != nil {
			_ = o.Run.LogParams(b.enc.params())
		}
	}
	return b, nil
}

// bagSettings applies to ctx the sequence settings of the run: those of the encoder WithE
// names when it is a pretraining run (as finetuning it would), else Like's; then o.Settings.
// It returns the settings text (what a random encoder is built from) and the encoder whose E
// is appended (nil: none).
func bagSettings(ctx *context.Context, o BagOptions) (string, *BagEncoder, error) {
	settings := o.Settings
	enc, err := bagEncoderOf(o)
	if err != nil {
		return "", nil, err
	}
	if enc != nil && enc.Run != "" {
		cfg, err := train.ReadConfig(enc.Run)
		if err != nil {
			return "", nil, err
		}
		useTrainedSequence(ctx, cfg)
	} else if o.Like != "" {
		like, err := LikeSettings(o.Like)
		if err != nil {
			return "", nil, err
		}
		settings = like + ";" + settings
	}
	if _, err := encoder.ApplySettings(ctx, settings); err != nil {
		return "", nil, fmt.Errorf("--set %q: %w", o.Settings, err)
	}
	if enc != nil && enc.Run == "" {
		enc.Seed = context.GetParamOr(ctx, train.ParamSeed, 0)
	}
	return settings, enc, nil
}

// fitBag chooses the L2 strength on a validation part of the samples (a fixed 20%), then
// refits on every one of them.
func fitBag(samples []bagofids.Sample, classes, columns, maxIter int, progress io.Writer) (*bagofids.Model, float64, error) {
	perm := rand.New(rand.NewPCG(0, 0x7a1d)).Perm(len(samples))
	nVal := len(samples) / 5
	var fit, val []bagofids.Sample
	for i, j := range perm {
		if i < nVal {
			val = append(val, samples[j])
		} else {
			fit = append(fit, samples[j])
		}
	}
	best, bestScore := bagL2[len(bagL2)-1], -1.0
	if nVal >= 20 {
		// The candidates' fits are independent: one goroutine each, on as many cores.
		scores, errs := make([]float64, len(bagL2)), make([]error, len(bagL2))
		var wg sync.WaitGroup
		for i, l2 := range bagL2 {
			wg.Go(func() {
				m, err := bagofids.Fit(fit, classes, columns, l2, maxIter)
				if err != nil {
					errs[i] = err
					return
				}
				probs, err := m.Predict(val)
				if err != nil {
					errs[i] = err
					return
				}
				scores[i] = headlineOf(probs, val, classes)
			})
		}
		wg.Wait()
		if err := errors.Join(errs...); err != nil {
			return nil, 0, err
		}
		for i, l2 := range bagL2 {
			_, _ = fmt.Fprintf(progress, "bag-of-IDs: l2=%g validation AUROC %.4f\n", l2, scores[i])
			if scores[i] > bestScore {
				best, bestScore = l2, scores[i]
			}
		}
	}
	m, err := bagofids.Fit(samples, classes, columns, best, maxIter)
	return m, best, err
}

func labelsOf(samples []bagofids.Sample) []int {
	out := make([]int, len(samples))
	for i, s := range samples {
		out[i] = int(s.Label)
	}
	return out
}

// headlineOf is the AUROC (macro for multi-class) of probs, or -1 when undefined (one class).
func headlineOf(probs [][]float64, samples []bagofids.Sample, classes int) float64 {
	m, err := metrics.EvaluateProbabilities(probs, labelsOf(samples), classes)
	if err != nil {
		return -1
	}
	if v, ok := m[metrics.MetricMacroAUROC]; ok {
		return v
	}
	return m[metrics.MetricAUROC]
}
