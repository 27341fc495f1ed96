package pipeline

import (
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"sync"

	"github.com/byb-dev/byb/byb/bagofids"
	"github.com/byb-dev/byb/byb/encoder"
	"github.com/byb-dev/byb/byb/metrics"
	"github.com/byb-dev/byb/byb/params"
	"github.com/byb-dev/byb/tracking"
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
	Settings   string
	Run        tracking.Run
	Progress   io.Writer
}

// BagResult of a bag-of-IDs run.
type BagResult struct {
	Task        string
	NumClasses  int
	Train, Test int // labelled finetune and test samples
	Columns     int
	L2          float64 // the strength chosen on validation
	Metrics     metrics.Result
}

// Bag trains the bag-of-IDs reference on the finetune split and scores the test split, as
// Finetune does: counts of each ID in the most recent max_len behaviors of the observation
// window, the number of behaviors, of active windows and the windows since the last one, into
// a logistic regression whose L2 strength is chosen on 20% of the finetune users.
func Bag(o BagOptions) (*BagResult, error) {
	ds, taskIdx, task, ft, test, err := taskSamples(o.Data, o.Task)
	if err != nil {
		return nil, err
	}
	defer ds.Close()
	ctx := newContext()
	settings := o.Settings
	if o.Like != "" {
		like, err := LikeSettings(o.Like)
		if err != nil {
			return nil, err
		}
		settings = like + ";" + settings
	}
	if _, err := encoder.ApplySettings(ctx, settings); err != nil {
		return nil, fmt.Errorf("--set %q: %w", o.Settings, err)
	}
	seq, err := seqConfig(ctx, ds, ft, true) // the behaviors a pooled encoder sees (all of them at max_len=0)
	if err != nil {
		return nil, err
	}
	if o.Run != nil {
		_ = o.Run.LogParams(map[string]string{ParamMaxLen: fmt.Sprint(seq.MaxLen), ParamDT1: context.GetParamOr(ctx, ParamDT1, "day")})
	}
	cols := bagofids.NewColumns(ds.Meta.VocabSizes(), context.GetParamOr(ctx, ParamBagMaxIDs, 50000))
	maxIter := context.GetParamOr(ctx, ParamBagMaxIter, 100)
	train := bagofids.Features(ds, ft, cols, seq, taskIdx)
	testSet := bagofids.Features(ds, test, cols, seq, taskIdx)
	progress := o.Progress
	if progress == nil {
		progress = os.Stderr
	}

	// Choose L2 on a validation part, then refit on every finetune sample.
	perm := rand.New(rand.NewPCG(0, 0x7a1d)).Perm(len(train))
	nVal := len(train) / 5
	var fit, val []bagofids.Sample
	for i, j := range perm {
		if i < nVal {
			val = append(val, train[j])
		} else {
			fit = append(fit, train[j])
		}
	}
	best, bestScore := bagL2[len(bagL2)-1], -1.0
	if nVal >= 20 {
		// The candidates' fits are independent: one goroutine each, on as many cores.
		scores, errs := make([]float64, len(bagL2)), make([]error, len(bagL2))
		var wg sync.WaitGroup
		for i, l2 := range bagL2 {
			wg.Go(func() {
				m, err := bagofids.Fit(fit, task.NumClasses(), cols.Total, l2, maxIter)
				if err != nil {
					errs[i] = err
					return
				}
				scores[i] = headlineOf(m.Predict(val), val, task.NumClasses())
			})
		}
		wg.Wait()
		if err := errors.Join(errs...); err != nil {
			return nil, err
		}
		for i, l2 := range bagL2 {
			_, _ = fmt.Fprintf(progress, "bag-of-IDs: l2=%g validation AUROC %.4f\n", l2, scores[i])
			if scores[i] > bestScore {
				best, bestScore = l2, scores[i]
			}
		}
	}
	m, err := bagofids.Fit(train, task.NumClasses(), cols.Total, best, maxIter)
	if err != nil {
		return nil, err
	}
	res := &BagResult{Task: o.Task, NumClasses: task.NumClasses(), Train: len(train), Test: len(testSet), Columns: cols.Total, L2: best}
	if res.Metrics, err = metrics.EvaluateProbabilities(m.Predict(testSet), labelsOf(testSet), task.NumClasses()); err != nil {
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
