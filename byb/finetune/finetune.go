// Package finetune trains a new classification head on the shared encoder's representation E
// (paper section 5.1.3-5.1.4): a 2-layer MLP (hidden 64, one output per class), from a
// pretrained run or from scratch, with the encoder frozen (BYB(freeze): only the head learns)
// or not (BYB(unfreeze): everything learns). The pretraining optimizer state is not carried
// over. It also computes E for every user of a dataset (byb embed).
package finetune

import (
	"fmt"
	"io"
	"iter"
	"sort"
	"strings"

	"github.com/byb-dev/byb/byb/params"

	"github.com/byb-dev/byb/byb/data"
	"github.com/byb-dev/byb/byb/encoder"
	"github.com/byb-dev/byb/byb/metrics"
	"github.com/byb-dev/byb/byb/record"
	"github.com/byb-dev/byb/byb/train"
	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/pkg/core/dtypes"
	. "github.com/gomlx/gomlx/pkg/core/graph" //nolint:revive // GoMLX convention
	"github.com/gomlx/gomlx/pkg/ml/context"
	"github.com/gomlx/gomlx/pkg/ml/layers/activations"
)

// Finetuning hyper-parameters; the trainer's (epochs, learning_rate, batch_size, ...) apply
// too. epochs=0 (the default) means: train until the validation score stops improving
// (patience epochs without a better one, at most a cap) and keep the best epoch — the frozen
// probe with ft_patience and ft_max_epochs (its epochs are cheap: a head on cached E),
// unfrozen finetuning and Supervised with ft_unfrozen_patience and ft_unfrozen_max_epochs
// (each of theirs is a pass of the whole encoder). protocol=paper is the paper's one epoch
// without a validation part.
const (
	ParamHidden            = "ft_hidden"              // head hidden width: 64
	ParamFreeze            = "ft_freeze"              // train only the head
	ParamVal               = "ft_val"                 // share of the labeled finetune samples held out to choose the epoch; 0 = none
	ParamPatience          = "ft_patience"            // epochs without a better validation score before the probe stops
	ParamMaxEpochs         = "ft_max_epochs"          // the probe's epoch cap when epochs=0
	ParamUnfrozenPatience  = "ft_unfrozen_patience"   // the same for unfrozen finetuning
	ParamUnfrozenMaxEpochs = "ft_unfrozen_max_epochs" // unfrozen finetuning's epoch cap when epochs=0
	ParamNorm              = "ft_norm"                // unfrozen head: none, or NormLayer on E before its first layer
	HeadScope              = "head"
)

// Values of ft_norm.
const (
	NormNone  = "none"
	NormLayer = "layernorm"
)

// PaperSettings are what protocol=paper stands for in finetuning (section 5.1.4): one epoch
// at batch 512 and the paper's learning rate, no validation part.
func PaperSettings() params.Set {
	return train.PaperPretrain().With(train.ParamEpochs, 1).With(ParamVal, 0.0)
}

func init() {
	params.Register("finetune",
		params.Param{Name: ParamHidden, Default: 64, Help: "head hidden width", Range: params.Positive},
		params.Param{Name: ParamFreeze, Default: false, Help: "train only the head (--freeze)"},
		params.Param{Name: ParamVal, Default: 0.2, Help: "share of the labelled finetune users held out to choose the epoch (frozen and unfrozen); 0 = none: the last epoch is kept", Range: params.Fraction},
		params.Param{Name: ParamPatience, Default: 10, Help: "frozen probe: epochs without a better validation score before it stops", Range: params.Positive},
		params.Param{Name: ParamMaxEpochs, Default: 200, Help: "frozen probe: the epoch cap when epochs=0", Range: params.Positive},
		params.Param{Name: ParamUnfrozenPatience, Default: 5, Help: "unfrozen finetuning and Supervised: epochs without a better validation score before they stop", Range: params.Positive},
		params.Param{Name: ParamUnfrozenMaxEpochs, Default: 50, Help: "unfrozen finetuning and Supervised: the epoch cap when epochs=0", Range: params.Positive},
		params.Param{Name: ParamNorm, Default: NormNone, Help: "unfrozen head: none, or layernorm (learned-affine LayerNorm on E before its first layer); the frozen probe always standardises E", Shape: true},
	)
}

// SetDefaults puts every hyper-parameter in ctx with finetuning's defaults: the encoder's
// (replaced by the pretrained run's when finetuning one), the trainer's with epochs=0 (see
// above) and no min_steps, and the head's.
func SetDefaults(ctx *context.Context) {
	params.SetDefaults(ctx)
	ctx.SetParams(map[string]any{train.ParamEpochs: 0, train.ParamMinSteps: 0})
}

// Head is the finetuning objective: cross-entropy of the head's logits on E against the batch
// labels (label -1 = unlabeled, ignored).
type Head struct {
	NumClasses, Hidden int
	Freeze             bool
	Norm               string // ft_norm: NormNone or NormLayer (unfrozen only)
}

// Name implements objective.Objective.
func (h *Head) Name() string { return "finetune" }

// Loss implements objective.Objective (unfrozen finetuning; a frozen encoder is probed on
// cached features, see probe.go).
func (h *Head) Loss(ctx *context.Context, enc *encoder.Encoder, in encoder.Inputs) *Node {
	return maskedCrossEntropy(h.Logits(ctx, enc.Forward(ctx, in).E), in.Labels, h.NumClasses)
}

// maskedCrossEntropy is the mean cross-entropy of logits [B,C] against labels [B] over the
// rows whose label is ≥ 0 (label -1 = padding or unlabeled).
func maskedCrossEntropy(logits, labels *Node, numClasses int) *Node {
	valid := GreaterOrEqual(labels, ScalarZero(labels.Graph(), dtypes.Int32))
	safe := Max(labels, ScalarZero(labels.Graph(), dtypes.Int32))
	nll := Neg(ReduceSum(Mul(OneHot(safe, numClasses, logits.DType()), LogSoftmax(logits, -1)), -1))
	mask := ConvertDType(valid, logits.DType())
	count := ReduceAllSum(mask)
	return Div(ReduceAllSum(Mul(nll, mask)), Max(count, OnesLike(count)))
}

// Logits is the head: Linear(d, hidden) → ReLU → Linear(hidden, classes), on E standardised
// with the training samples' statistics when the encoder is frozen (see standardize.go). An
// unfrozen head takes E as it is, or with ft_norm=layernorm through a LayerNorm (scope
// head/norm): E's scale then moves as the encoder trains, and a fixed scaler cannot follow it.
func (h *Head) Logits(ctx *context.Context, e *Node) *Node {
	ctx = ctx.In(HeadScope)
	switch {
	case h.Freeze:
		e = standardize(ctx, e)
	case h.Norm == NormLayer:
		e = encoder.LayerNorm(ctx.In("norm"), e)
	}
	x := activations.Relu(encoder.Dense(ctx.In("hidden"), e, h.Hidden))
	return encoder.Dense(ctx.In("output"), x, h.NumClasses)
}

// newHead reads the head's hyper-parameters from ctx.
func newHead(ctx *context.Context, numClasses int) (*Head, error) {
	h := &Head{NumClasses: numClasses, Hidden: params.Get[int](ctx, ParamHidden),
		Freeze: params.Get[bool](ctx, ParamFreeze), Norm: params.Get[string](ctx, ParamNorm)}
	if h.Norm != NormNone && h.Norm != NormLayer {
		return nil, fmt.Errorf("finetune: %s=%q: use %s or %s", ParamNorm, h.Norm, NormNone, NormLayer)
	}
	return h, nil
}

// probabilities is the head's softmax over classes.
func (h *Head) probabilities(ctx *context.Context, e *Node) *Node {
	return Softmax(h.Logits(ctx, e), -1)
}

// Options of a finetuning run.
type Options struct {
	Backend backends.Backend
	Run     record.Recorder // nil records nothing
	Dir     string          // run directory of the finetuning run ("" = in memory)
	// Init is a pretraining run directory, or "" / "none" to train from scratch.
	Init string
	// Freeze trains only the head (sets ft_freeze before Settings are applied).
	Freeze bool
	// Settings override the defaults (encoder settings only matter from scratch).
	Settings params.Set
	// NumClasses of the task; 2 gives binary metrics (AUROC, KS), more macro AUROC.
	NumClasses int
	// Vocab and Windows describe the data; from a pretrained run they must match its config.
	Vocab   []int
	Windows int
	// Train yields the labeled training batches of an epoch; Test the test split once.
	Train train.Batches
	Test  iter.Seq[*data.Batch]
	// Val yields the validation samples once (see ValidationSplit): after every epoch the
	// model is scored on them, and the best epoch's weights are the ones tested. nil = no
	// validation part: the last epoch is kept.
	Val iter.Seq[*data.Batch]
	// TrainOnce yields every training sample once (a partial batch padded, not dropped): the
	// frozen probe computes E from it. nil = Train(0), which may drop a last partial batch.
	TrainOnce     iter.Seq[*data.Batch]
	StepsPerEpoch int
	Progress      io.Writer
	// ECache, for a frozen probe of a pretrained encoder, reuses the E an earlier probe of
	// the same encoder computed (another task of the same data); ECacheKey names what E
	// depends on: the pretrained run, the data and the sequence settings. nil = compute E.
	ECache    *ECache
	ECacheKey string
}

// Result of a finetuning run.
type Result struct {
	Probs     [][]float64    // test split: softmax probabilities per sample and class
	Labels    []int          // test split labels (unlabeled samples are skipped)
	Users     []int32        // test split users
	Metrics   metrics.Result // AUROC/KS (binary) or macro AUROC (multi-class) on the test split
	Train     *train.Result
	Selection Selection // how the epoch scored on the test split was chosen
}

// Selection is how a run chose the weights it is tested with.
type Selection struct {
	// Validated: a validation part chose the best epoch; false: the last epoch is kept.
	Validated bool
	Epochs    int     // whole epochs trained (including those of a resumed run)
	BestEpoch int     // the epoch tested (1-based); with no validation, the last one
	Score     float64 // its validation score
	Metric    string  // the score's metric (auroc, macro_auroc; neg_loss where AUROC is undefined)
	// Stopped: early stopping ended the run (patience epochs brought nothing better).
	Stopped  bool
	Patience int
}

// StillImproving reports a run that ended without patience epochs of no improvement after its
// best one (the cap or an explicit epoch count ended it): more epochs might have found a
// better model, so its score is not that of a model trained to its best. A run without a
// validation part cannot tell, and says false.
func (s Selection) StillImproving() bool {
	return s.Validated && !s.Stopped && s.Epochs-s.BestEpoch < s.Patience
}

// describe is the end of a finetuning's summary line: which epoch it kept and why.
func (s Selection) describe(valSamples int) string {
	if !s.Validated {
		return fmt.Sprintf(", kept the last of %d epochs (no validation part)", s.Epochs)
	}
	out := fmt.Sprintf(", kept epoch %d of %d (validation %s %.4f on %d samples)", s.BestEpoch, s.Epochs, s.Metric, s.Score, valSamples)
	if s.StillImproving() {
		out += "; still improving when it ended: raise the epoch cap"
	}
	return out
}

// sameShape refuses settings that would give the encoder started from run another shape than
// its checkpoint's (GoMLX would only say that a variable's shape differs).
func sameShape(run string, pretrained, asked map[string]any) error {
	var diff []string
	for name, v := range pretrained {
		if a, ok := asked[name]; ok && fmt.Sprint(a) != fmt.Sprint(v) {
			diff = append(diff, fmt.Sprintf("%s=%v (--set asks %v)", name, v, a))
		}
	}
	if len(diff) == 0 {
		return nil
	}
	sort.Strings(diff)
	return fmt.Errorf("%s was pretrained with %s: a finetuning starts from its weights and keeps their shape; leave those settings out of --set (or use --init none for a new encoder of that shape)",
		run, strings.Join(diff, ", "))
}

// Run finetunes and scores the test split.
func Run(opts Options) (*Result, error) {
	if opts.NumClasses < 2 {
		return nil, fmt.Errorf("finetune: need at least 2 classes, got %d", opts.NumClasses)
	}
	ctx := context.New()
	SetDefaults(ctx)
	vocab, windows := opts.Vocab, opts.Windows
	if opts.Init != "" && opts.Init != "none" {
		pre, cfg, err := LoadPretrained(opts.Init)
		if err != nil {
			return nil, err
		}
		if err := checkSameData(cfg, vocab, windows); err != nil {
			return nil, err
		}
		vocab = cfg.Vocab
		if windows == 0 {
			windows = cfg.Windows
		}
		copyEncoder(pre, ctx)
	}
	if opts.Init == "" || opts.Init == "none" {
		// A from-scratch encoder's variables are created by its E pass, which a cache hit
		// would skip, leaving the run's checkpoint without them.
		opts.ECache = nil
	}
	ctx.SetParam(ParamFreeze, opts.Freeze)
	pretrained := params.ShapeValues(ctx)
	if err := opts.Settings.Apply(ctx); err != nil {
		return nil, err
	}
	if opts.Init != "" && opts.Init != "none" {
		if err := sameShape(opts.Init, pretrained, params.ShapeValues(ctx)); err != nil {
			return nil, err
		}
	}
	enc, err := encoder.New(ctx, vocab, windows)
	if err != nil {
		return nil, err
	}
	head, err := newHead(ctx, opts.NumClasses)
	if err != nil {
		return nil, err
	}
	cfg := train.RunConfig{Method: "finetune", Vocab: vocab, Windows: windows}
	res := &Result{}
	if head.Freeze {
		tr, sel, test, probs, err := runProbe(ctx, enc, head, opts, cfg)
		if err != nil {
			return nil, err
		}
		res.Train, res.Selection, res.Users = tr, sel, test.users
		for i, row := range probs {
			res.Probs = append(res.Probs, float64s(row))
			res.Labels = append(res.Labels, int(test.labels[i]))
		}
	} else {
		tr, sel, err := runUnfrozen(ctx, enc, head, opts, cfg)
		if err != nil {
			return nil, err
		}
		res.Train, res.Selection = tr, sel
		if err := predictTest(ctx, enc, head, opts, res); err != nil {
			return nil, err
		}
	}
	if res.Metrics, err = Evaluate(res.Probs, res.Labels, opts.NumClasses); err != nil {
		return res, err
	}
	if opts.Run != nil {
		logSelection(opts.Run, res.Selection, res.Train.GlobalStep)
		for k, v := range res.Metrics {
			_ = opts.Run.LogMetric("test_"+k, v, res.Train.GlobalStep)
		}
	}
	return res, nil
}

// logSelection records how the tested epoch was chosen: the epochs trained, the epoch kept
// and its validation score (val_best, the metric a sweep picks by), and whether the run was
// still improving when it ended.
func logSelection(run record.Recorder, s Selection, step int64) {
	_ = run.LogMetric("epochs_run", float64(s.Epochs), step)
	_ = run.LogMetric("best_epoch", float64(s.BestEpoch), step)
	if s.Validated {
		_ = run.LogMetric("val_best", s.Score, step)
		improving := 0.0
		if s.StillImproving() {
			improving = 1
		}
		_ = run.LogMetric("still_improving", improving, step)
	}
}

// predictTest appends the head's test-split probabilities, labels and users to res.
func predictTest(ctx *context.Context, enc *encoder.Encoder, head *Head, opts Options, res *Result) error {
	return forEachE(opts.Backend, ctx.Reuse(), enc, head.probabilities, opts.Test, func(b *data.Batch, rows [][]float32) error {
		for i, row := range rows {
			if b.Labels[i] < 0 {
				continue
			}
			res.Probs = append(res.Probs, float64s(row))
			res.Labels = append(res.Labels, int(b.Labels[i]))
			res.Users = append(res.Users, b.Users[i])
		}
		return nil
	})
}

func float64s(row []float32) []float64 {
	out := make([]float64, len(row))
	for i, v := range row {
		out[i] = float64(v)
	}
	return out
}

// Evaluate scores test probabilities (metrics.EvaluateProbabilities).
func Evaluate(probs [][]float64, labels []int, numClasses int) (metrics.Result, error) {
	return metrics.EvaluateProbabilities(probs, labels, numClasses)
}

func checkSameData(cfg train.RunConfig, vocab []int, windows int) error {
	if vocab != nil && fmt.Sprint(vocab) != fmt.Sprint(cfg.Vocab) {
		return fmt.Errorf("finetune: the data's vocab sizes %v differ from the pretrained model's %v", vocab, cfg.Vocab)
	}
	// Shorter observation windows than pretraining's are fine (Tmall: 120-day pretraining,
	// 60-day observation): they use the last rows of the learned positional table, so the
	// last position, where E is read, keeps its encoding (encoder.Transformer).
	if windows > cfg.Windows {
		return fmt.Errorf("finetune: the data has T=%d windows, more than the %d the model was pretrained on", windows, cfg.Windows)
	}
	return nil
}

// EncoderParams are the hyper-parameters a pretrained encoder fixes for its finetuning and for
// an encoder shaped --like it: its architecture, how it pools and where it reads E.
var EncoderParams = []string{encoder.ParamDim, encoder.ParamLayers, encoder.ParamHeads, encoder.ParamFF,
	encoder.ParamDropout, encoder.ParamPool, encoder.ParamNormFirst, encoder.ParamPoolImpl, encoder.ParamMaxPositions, encoder.ParamCausal,
	encoder.ParamPoolReduce, encoder.ParamEAt}

// copyEncoder copies the encoder's architecture and variables (only those under encoder/:
// not the teacher, the predictor or the optimizer state) from a pretrained context.
func copyEncoder(from, to *context.Context) {
	for _, k := range EncoderParams {
		if v, ok := from.GetParam(k); ok {
			to.SetParam(k, v)
		}
	}
	prefix := context.RootScope + encoder.Scope
	for v := range from.IterVariables() {
		if v.Scope() == prefix || strings.HasPrefix(v.Scope(), prefix+context.ScopeSeparator) {
			value, _ := v.MustValue().LocalClone()
			to.InAbsPath(v.Scope()).VariableWithValue(v.Name(), value)
		}
	}
}
