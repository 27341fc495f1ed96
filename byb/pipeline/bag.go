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
	"github.com/byb-dev/byb/byb/metrics"
	"github.com/byb-dev/byb/byb/params"
	"github.com/byb-dev/byb/byb/record"
	"github.com/byb-dev/byb/byb/train"
	"github.com/gomlx/gomlx/backends"
)

// The bag-of-IDs reference's hyper-parameters.
const (
	ParamBagMaxIDs  = "bag_max_ids"  // columns per field: its most frequent IDs
	ParamBagMaxIter = "bag_max_iter" // L-BFGS iterations per fit
	ParamBagL2      = "bag_l2"       // the counts' L2 strength; 0 = chosen on validation among bagL2
)

func init() {
	params.Register("bag",
		params.Param{Name: ParamBagMaxIDs, Default: 50000, Help: "bag-of-IDs: count at most this many of each field's most frequent IDs", Range: params.Positive},
		params.Param{Name: ParamBagMaxIter, Default: 100, Help: "bag-of-IDs: L-BFGS iterations per fit", Range: params.Positive},
		params.Param{Name: ParamBagL2, Default: 0.0, Help: "bag-of-IDs: the L2 strength of the counts' weights; 0 = chosen on 20% of the finetune users among 1e-3, 1e-2, 1e-1", Range: params.NonNegative},
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
	Settings params.Set
	Backend  backends.Backend // runs the encoder of WithE (unused without it)
	// ECache, if not nil, lets runs with the same WithE encoder on several tasks of one data
	// set compute its E once (see BagECache).
	ECache   *BagECache
	Run      record.Recorder
	Progress io.Writer
}

// BagResult of a bag-of-IDs run.
type BagResult struct {
	Task        string
	NumClasses  int
	Train, Test int // labelled finetune and test samples
	Columns     int
	Dense       int     // dense features per sample in the model: the summary ones, then E's if it uses them
	L2          float64 // the counts' and summary features' strength chosen on validation
	// UsesE: with WithE, E's weights (strength EL2) scored above the bag alone on validation
	// and are in the model; false: E added nothing on validation, and the model is the bag's.
	UsesE   bool
	EL2     float64
	Metrics metrics.Result
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
	choice, err := fitBag(b.train, b.classes, b.columns, b.maxIter, b.l2, progress)
	if err != nil {
		return nil, err
	}
	m := choice.Model
	_, _ = fmt.Fprintf(progress, "bag-of-IDs: %d dense features per sample, L2 chosen and the model refit in %.1fs\n", m.Dense, time.Since(start).Seconds())
	res := &BagResult{Task: o.Task, NumClasses: b.classes, Train: len(b.train), Test: len(b.test), Columns: b.columns,
		Dense: m.Dense, L2: choice.L2, Encoder: b.enc, UsesE: choice.UsesE}
	if choice.UsesE {
		res.EL2 = choice.E
	}
	probs, err := m.Predict(choice.features(b.test))
	if err != nil {
		return nil, err
	}
	if res.Metrics, err = metrics.EvaluateProbabilities(probs, labelsOf(b.test), b.classes); err != nil {
		return nil, err
	}
	if o.Run != nil {
		_ = o.Run.LogMetric("l2", choice.L2, 0)
		if b.enc != nil {
			used := 0.0
			if choice.UsesE {
				used = 1
				_ = o.Run.LogMetric("e_l2", choice.E, 0)
			}
			_ = o.Run.LogMetric("e_used", used, 0)
		}
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
	l2                        float64     // the counts' L2 strength; 0 = choose it
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
	if b.enc, err = bagEncoderOf(o); err != nil {
		return nil, err
	}
	// The sequence settings: those of the encoder WithE names when it is a pretraining run (as
	// a frozen probe of it sees them), else Like's; then o.Settings.
	trained := ""
	if b.enc != nil {
		trained = b.enc.Run
	}
	rs, err := resolveSettings(trained, o.Like, o.Settings)
	if err != nil {
		return nil, err
	}
	ctx, settings := rs.ctx, rs.settings
	if b.enc != nil && b.enc.Run == "" {
		b.enc.Seed = params.Get[int](ctx, train.ParamSeed)
	}
	if b.seq, err = seqConfig(ctx, ds, ft, true); err != nil { // the behaviors a pooled encoder sees (all of them at max_len=0)
		return nil, err
	}
	if o.Run != nil {
		_ = o.Run.LogParams(map[string]string{ParamMaxLen: fmt.Sprint(b.seq.MaxLen), ParamDT1: params.Get[string](ctx, ParamDT1)})
	}
	cols := bagofids.NewColumns(ds.Meta.VocabSizes(), params.Get[int](ctx, ParamBagMaxIDs))
	b.columns, b.maxIter, b.l2 = cols.Total, params.Get[int](ctx, ParamBagMaxIter), params.Get[float64](ctx, ParamBagL2)
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

// fitBag chooses the model on a validation part of the samples (a fixed 20%), then refits it
// on every one of them. The counts' and summary features' L2 strength is chosen first, on
// those features alone: the plain bag's choice (l2 > 0 gives it: a table passes the plain
// bag's, already chosen). With E appended (Bag-of-IDs + E), E's weights then get their own
// strength, chosen from bagEL2 with the first one fixed — or no E at all, when no strength of
// E scores above the bag alone on validation: E then adds nothing the counts do not, and the
// model is the bag's.
func fitBag(samples []bagofids.Sample, classes, columns, maxIter int, l2 float64, progress io.Writer) (*bagChoice, error) {
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
	withE := len(samples) > 0 && len(samples[0].Dense) > bagofids.NumSummary
	counts := bagL2
	if l2 > 0 {
		counts = []float64{l2}
	}
	choice := &bagChoice{Penalty: bagofids.Penalty{L2: counts[len(counts)-1]}, Val: -1}
	switch {
	case nVal < 20: // too few users to choose on: the strongest penalties
		choice.E, choice.UsesE = bagEL2[len(bagEL2)-1], withE
	case len(counts) == 1 && !withE: // nothing to choose
	default:
		// The bag alone at each candidate strength of the counts; with that strength given,
		// E's candidates are fitted in the same round.
		var alone, withEs []bagofids.Penalty
		for _, c := range counts {
			alone = append(alone, bagofids.Penalty{L2: c, E: c})
		}
		if withE && len(counts) == 1 {
			withEs = ePenalties(counts[0])
		}
		scores, err := validateBags(fit, val, append(alone, withEs...), len(alone), classes, columns, maxIter)
		if err != nil {
			return nil, err
		}
		for i, p := range alone {
			_, _ = fmt.Fprintf(progress, "bag-of-IDs: l2=%g validation AUROC %.4f\n", p.L2, scores[i])
			if scores[i] > choice.Val {
				choice.Penalty, choice.Val = p, scores[i]
			}
		}
		if !withE {
			break
		}
		eScores := scores[len(alone):]
		if withEs == nil { // the counts' strength chosen above: now E's
			withEs = ePenalties(choice.L2)
			if eScores, err = validateBags(fit, val, withEs, 0, classes, columns, maxIter); err != nil {
				return nil, err
			}
		}
		bag := choice.Val
		for i, p := range withEs {
			_, _ = fmt.Fprintf(progress, "bag-of-IDs + E: l2=%g, E's l2=%g validation AUROC %.4f (the bag alone: %.4f)\n", p.L2, p.E, eScores[i], bag)
			if eScores[i] > choice.Val {
				choice.Penalty, choice.Val, choice.UsesE = p, eScores[i], true
			}
		}
	}
	if !choice.UsesE {
		samples = withoutE(samples)
		choice.E = choice.L2
	}
	var err error
	choice.Model, err = bagofids.FitPenalised(samples, classes, columns, choice.Penalty, maxIter)
	return choice, err
}

// ePenalties are Bag-of-IDs + E's candidates: the counts' strength l2, and each of E's.
func ePenalties(l2 float64) []bagofids.Penalty {
	out := make([]bagofids.Penalty, len(bagEL2))
	for i, e := range bagEL2 {
		out[i] = bagofids.Penalty{L2: l2, E: e}
	}
	return out
}

// bagEL2 are the L2 strengths E's weights choose from in Bag-of-IDs + E: stronger than the
// counts', since E gives every user d standardised values where the counts give a few.
var bagEL2 = []float64{1e-1, 1, 10}

// bagChoice is the model fitBag chose and what it chose.
type bagChoice struct {
	Model *bagofids.Model
	bagofids.Penalty
	UsesE bool    // E is in the model (Bag-of-IDs + E, and E scored above the bag alone)
	Val   float64 // the validation AUROC it was chosen with (-1: no validation part)
}

// features are samples as the chosen model takes them: without E when it does not use it.
func (c *bagChoice) features(samples []bagofids.Sample) []bagofids.Sample {
	if c.UsesE {
		return samples
	}
	return withoutE(samples)
}

// validateBags fits one model per penalty on fit and returns each one's validation AUROC; the
// first alone of them fit the bag alone (E cut from the samples). The fits are independent:
// one goroutine each, on as many cores.
func validateBags(fit, val []bagofids.Sample, pens []bagofids.Penalty, alone, classes, columns, maxIter int) ([]float64, error) {
	scores, errs := make([]float64, len(pens)), make([]error, len(pens))
	var wg sync.WaitGroup
	for i, p := range pens {
		wg.Go(func() {
			fit, val := fit, val
			if i < alone {
				fit, val = withoutE(fit), withoutE(val)
			}
			m, err := bagofids.FitPenalised(fit, classes, columns, p, maxIter)
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
	return scores, errors.Join(errs...)
}

// withoutE returns samples with their dense features cut to the bag's summary ones.
func withoutE(samples []bagofids.Sample) []bagofids.Sample {
	if len(samples) == 0 || len(samples[0].Dense) <= bagofids.NumSummary {
		return samples
	}
	out := make([]bagofids.Sample, len(samples))
	for i, s := range samples {
		out[i] = s
		out[i].Dense = s.Dense[:bagofids.NumSummary]
	}
	return out
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
