package baselines

import (
	"fmt"
	"github.com/byb-dev/byb/byb/params"
	"math"
	"math/rand/v2"
	"sort"
	"strconv"
	"strings"

	"github.com/byb-dev/byb/byb/data"
	"github.com/byb-dev/byb/byb/encoder"
	"github.com/byb-dev/byb/byb/objective"
	. "github.com/gomlx/gomlx/pkg/core/graph" //nolint:revive // GoMLX convention
	"github.com/gomlx/gomlx/pkg/core/shapes"
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/gomlx/gomlx/pkg/ml/context"
	"github.com/gomlx/gomlx/pkg/ml/context/initializers"
	"github.com/gomlx/gomlx/pkg/ml/layers/activations"
)

// MSDP hyper-parameters. The paper (ref [15]) fixes K = 200 behaviors, the window-length
// prompt, the multi-label presence loss and the SimSiam regulariser weighted by λ; the rest
// are this implementation's choices, each a parameter.
const (
	// ParamMSDPField is the ID field whose values are the predicted behaviors; "" = the field
	// with the largest vocabulary (the first of equals): the items or pages, the "behavior
	// IDs" of the paper's datasets.
	ParamMSDPField = "msdp_field"
	// ParamMSDPK is K, the number of behaviors: the K most frequent values of the field in the
	// pretraining span (fewer when the field has fewer values with a non-zero count).
	ParamMSDPK = "msdp_k"
	// ParamMSDPIDs replaces the top K by a given list: comma-separated vocabulary indices of
	// the field (the paper's "manually selected" behaviors).
	ParamMSDPIDs = "msdp_ids"
	// ParamMSDPScales are the window lengths W (in ΔT1 windows, days by default) the
	// prediction windows (T, T+W] are drawn from, comma-separated. The default spans the
	// horizons of the paper's tasks up to 30 days and stops there: the future read after the
	// pretraining span must end before the label windows of the finetune and test splits
	// begin (31 days after it on the mobile-like timeline, 33 on the tmall-like one).
	ParamMSDPScales = "msdp_scales"
	// ParamMSDPWindowsPerSample is how many distinct scales each sample draws per step.
	ParamMSDPWindowsPerSample = "msdp_windows_per_sample"
	// ParamMSDPMaskRatio is the share of a sequence's behaviors masked in the consistency view.
	ParamMSDPMaskRatio = "msdp_mask_ratio"
	// ParamMSDPMaskMode is how a masked behavior is hidden: "token" (replaced by a learned mask
	// embedding, keeping its place) or "drop" (removed from the sequence).
	ParamMSDPMaskMode = "msdp_mask_mode"
	// ParamMSDPLambda is λ, the weight of the SimSiam consistency term; 0 turns it off.
	ParamMSDPLambda = "msdp_lambda"
	// ParamMSDPHidden is the width of the presence head's hidden layer; 0 = d.
	ParamMSDPHidden = "msdp_hidden"
)

// Scopes of MSDP's own variables, beside the encoder's.
const (
	MSDPScope          = "msdp"
	MSDPHeadScope      = "head"      // presence head: msdp/head/{hidden,output}, prompt table msdp/head/prompts
	MSDPPredictorScope = "predictor" // SimSiam predictor: msdp/predictor
	MSDPMaskScope      = "mask"      // learned mask embedding: msdp/mask
	MSDPPromptsVarName = "prompts"   // [scales, hidden]
)

// MSDP mask modes.
const (
	MSDPMaskToken = "token"
	MSDPMaskDrop  = "drop"
)

func init() {
	objective.Register(objective.Method{Name: "msdp", Defaults: MSDPDefaults,
		New: func(ctx *context.Context, facts objective.Facts) (objective.Objective, error) {
			return NewMSDP(ctx, facts)
		}})
}

// MSDPDefaults puts MSDP's hyper-parameters in ctx: over the raw behaviors with causal
// attention, as the paper's baselines run.
func MSDPDefaults(ctx *context.Context) {
	params.SetGroup(ctx, "msdp")
	ctx.SetParams(map[string]any{encoder.ParamPool: false, encoder.ParamCausal: true})
}

func init() {
	params.Register("msdp",
		params.Param{Name: ParamMSDPField, Default: "", Help: "field whose top-K behaviors are predicted; \"\" = the largest vocabulary"},
		params.Param{Name: ParamMSDPK, Default: 200, Help: "number of most frequent behaviors predicted", Range: params.Positive, Shape: true},
		params.Param{Name: ParamMSDPIDs, Default: "", Help: "comma-separated vocabulary indices to predict instead of the top K"},
		params.Param{Name: ParamMSDPScales, Default: "1,3,7,14,30", Help: "window lengths W in ΔT1 windows (days)"},
		params.Param{Name: ParamMSDPWindowsPerSample, Default: 2, Help: "distinct scales drawn per sample and step", Range: params.Positive},
		params.Param{Name: ParamMSDPMaskRatio, Default: 0.15, Help: "share of behaviors masked in the consistency view", Range: params.Fraction},
		params.Param{Name: ParamMSDPMaskMode, Default: MSDPMaskToken, Help: "token (a learned mask embedding) or drop"},
		params.Param{Name: ParamMSDPLambda, Default: 0.1, Help: "weight of the SimSiam consistency term", Range: params.NonNegative},
		params.Param{Name: ParamMSDPHidden, Default: 0, Help: "presence head hidden width; 0 = d", Range: params.NonNegative, Shape: true},
	)
}

// MSDP is multi-scale stochastic distribution prediction (Fu et al., CIKM 2023; the paper's
// ref [15] and its strongest baseline). From E and a prompt embedding of a window length W
// drawn from Scales, a head predicts which of K selected behaviors occur in the W windows
// after the observation window, (T, T+W]: K independent presences, a mean binary
// cross-entropy. Each sample draws PerSample distinct scales per step. A SimSiam term
// (weight Lambda) keeps E of a view with some behaviors masked close to E of the sequence:
// a shared predictor MLP on each branch, stop-gradient on the other, negative cosine
// similarity, symmetrised.
//
// The presence targets are computed on the host (Transform) from the batch's target-only
// behaviors, which the pipeline fills with every behavior (up to target_len) of the largest
// scale's windows (FutureWindows, WholeFuture). A row with more behaviors there than
// target_len keeps evenly spaced ones (data.SeqConfig.TargetLen), so its presences are
// those of that subsample. A batch without target-only behaviors has all-zero targets, as
// BYB treats its windows after the input as empty.
type MSDP struct {
	Slot      int     // ID slot of the predicted field
	Field     string  // its name
	IDs       []int32 // the K predicted vocabulary indices of the field
	Scales    []int   // window lengths W, ascending; a prompt is the index of W here
	PerSample int
	MaskRatio float64
	MaskMode  string
	Lambda    float64
	Hidden    int // head hidden width; 0 = d

	index map[int32]int // vocabulary index → position in IDs
}

// NewMSDP reads MSDP's hyper-parameters from ctx and picks its behaviors from facts.
func NewMSDP(ctx *context.Context, facts objective.Facts) (*MSDP, error) {
	o := &MSDP{
		PerSample: params.Get[int](ctx, ParamMSDPWindowsPerSample),
		MaskRatio: params.Get[float64](ctx, ParamMSDPMaskRatio),
		MaskMode:  params.Get[string](ctx, ParamMSDPMaskMode),
		Lambda:    params.Get[float64](ctx, ParamMSDPLambda),
		Hidden:    params.Get[int](ctx, ParamMSDPHidden),
	}
	var err error
	if o.Scales, err = parseMSDPScales(params.Get[string](ctx, ParamMSDPScales)); err != nil {
		return nil, err
	}
	switch {
	case o.PerSample < 1 || o.PerSample > len(o.Scales):
		return nil, fmt.Errorf("msdp: %s=%d must be in [1, %d] (the number of scales)", ParamMSDPWindowsPerSample, o.PerSample, len(o.Scales))
	case o.MaskRatio < 0 || o.MaskRatio >= 1:
		return nil, fmt.Errorf("msdp: %s=%g must be in [0, 1)", ParamMSDPMaskRatio, o.MaskRatio)
	case o.MaskMode != MSDPMaskToken && o.MaskMode != MSDPMaskDrop:
		return nil, fmt.Errorf("msdp: %s=%q: use %s or %s", ParamMSDPMaskMode, o.MaskMode, MSDPMaskToken, MSDPMaskDrop)
	case o.Lambda < 0 || math.IsNaN(o.Lambda):
		return nil, fmt.Errorf("msdp: %s=%g must be ≥ 0", ParamMSDPLambda, o.Lambda)
	case o.Hidden < 0:
		return nil, fmt.Errorf("msdp: %s=%d must be ≥ 0 (0 = d)", ParamMSDPHidden, o.Hidden)
	}
	if o.Slot, err = msdpSlot(params.Get[string](ctx, ParamMSDPField), facts); err != nil {
		return nil, err
	}
	o.Field = facts.Fields[o.Slot]
	if list := strings.TrimSpace(params.Get[string](ctx, ParamMSDPIDs)); list != "" {
		o.IDs, err = parseMSDPIDs(list, facts.Vocab[o.Slot])
	} else {
		o.IDs, err = topMSDPIDs(facts, o.Slot, params.Get[int](ctx, ParamMSDPK))
	}
	if err != nil {
		return nil, err
	}
	o.index = make(map[int32]int, len(o.IDs))
	for k, id := range o.IDs {
		o.index[id] = k
	}
	return o, nil
}

func parseMSDPScales(s string) ([]int, error) {
	var out []int
	seen := map[int]bool{}
	for _, f := range strings.Split(s, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		w, err := strconv.Atoi(f)
		if err != nil || w < 1 {
			return nil, fmt.Errorf("msdp: %s=%q: %q is not a window length ≥ 1", ParamMSDPScales, s, f)
		}
		if seen[w] {
			return nil, fmt.Errorf("msdp: %s=%q: %d given twice", ParamMSDPScales, s, w)
		}
		seen[w] = true
		out = append(out, w)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("msdp: %s=%q: no window length", ParamMSDPScales, s)
	}
	sort.Ints(out)
	return out, nil
}

// msdpSlot is the slot of the named field, or of the largest vocabulary for "".
func msdpSlot(name string, facts objective.Facts) (int, error) {
	if len(facts.Fields) == 0 || len(facts.Fields) != len(facts.Vocab) {
		return 0, fmt.Errorf("msdp: the dataset facts name %d fields for %d vocabularies", len(facts.Fields), len(facts.Vocab))
	}
	if name == "" {
		best := 0
		for j, v := range facts.Vocab {
			if v > facts.Vocab[best] {
				best = j
			}
		}
		return best, nil
	}
	for j, f := range facts.Fields {
		if f == name {
			return j, nil
		}
	}
	return 0, fmt.Errorf("msdp: %s=%q is not a field of the dataset (%s)", ParamMSDPField, name, strings.Join(facts.Fields, ", "))
}

func parseMSDPIDs(list string, vocab int) ([]int32, error) {
	var out []int32
	seen := map[int32]bool{}
	for _, f := range strings.Split(list, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		id, err := strconv.Atoi(f)
		if err != nil || id < int(data.FirstValue) || id >= vocab {
			return nil, fmt.Errorf("msdp: %s: %q is not a vocabulary index in [%d, %d)", ParamMSDPIDs, f, data.FirstValue, vocab)
		}
		if seen[int32(id)] {
			return nil, fmt.Errorf("msdp: %s: %d given twice", ParamMSDPIDs, id)
		}
		seen[int32(id)] = true
		out = append(out, int32(id))
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("msdp: %s=%q: no index", ParamMSDPIDs, list)
	}
	return out, nil
}

// topMSDPIDs is the k most frequent vocabulary indices of a slot in the pretraining span
// (ties: the lower index first), without the reserved 0 and 1 and values never seen.
func topMSDPIDs(facts objective.Facts, slot, k int) ([]int32, error) {
	if k < 1 {
		return nil, fmt.Errorf("msdp: %s=%d must be ≥ 1", ParamMSDPK, k)
	}
	if slot >= len(facts.Counts) || len(facts.Counts[slot]) == 0 {
		return nil, fmt.Errorf("msdp: no pretraining counts for field %q to pick the top %s=%d from (give %s)", facts.Fields[slot], ParamMSDPK, k, ParamMSDPIDs)
	}
	counts := facts.Counts[slot]
	var ids []int32
	for id := int(data.FirstValue); id < len(counts); id++ {
		if counts[id] > 0 {
			ids = append(ids, int32(id))
		}
	}
	if len(ids) == 0 {
		return nil, fmt.Errorf("msdp: field %q has no value with a pretraining count", facts.Fields[slot])
	}
	sort.SliceStable(ids, func(a, b int) bool { return counts[ids[a]] > counts[ids[b]] })
	return ids[:min(k, len(ids))], nil
}

// Name implements objective.Objective.
func (o *MSDP) Name() string { return "msdp" }

// K is the number of predicted behaviors.
func (o *MSDP) K() int { return len(o.IDs) }

// FutureWindows implements objective.FutureReader: the largest scale's windows.
func (o *MSDP) FutureWindows() int { return o.Scales[len(o.Scales)-1] }

// WholeFuture implements objective.WholeFutureReader: presence needs every behavior of the
// windows, not the next few.
func (o *MSDP) WholeFuture() bool { return true }

// Transform implements objective.BatchTransformer. Its tensors, in order:
//
//	scales   [B,P] int32    index in Scales of each sample's P = PerSample windows (distinct)
//	presence [B,P,K] float32 1 where behavior k occurs in (T, T+W] for that window's W
//
// and, with Lambda > 0, the masked view: mask [B,n] float32 (1 = masked) in token mode, or
// the view's ids [B,n,m] int32 and window [B,n] int32 in drop mode.
func (o *MSDP) Transform(b *data.Batch, rng *rand.Rand) ([]*tensors.Tensor, error) {
	if b.TargetLen > 0 && b.TargetWindows < o.FutureWindows() {
		return nil, fmt.Errorf("msdp: the batch carries %d windows after the input, the largest scale needs %d", b.TargetWindows, o.FutureWindows())
	}
	P := o.PerSample
	scales := make([]int32, b.Size*P)
	for r := range b.Size {
		for i, s := range rng.Perm(len(o.Scales))[:P] {
			scales[r*P+i] = int32(s)
		}
	}
	out := []*tensors.Tensor{
		tensors.FromFlatDataAndDimensions(scales, b.Size, P),
		tensors.FromFlatDataAndDimensions(o.Presence(b, scales), b.Size, P, o.K()),
	}
	if o.Lambda == 0 {
		return out, nil
	}
	mask := o.SampleMask(b, rng)
	if o.MaskMode == MSDPMaskToken {
		return append(out, tensors.FromFlatDataAndDimensions(mask, b.Size, b.MaxLen)), nil
	}
	ids, window := DropMasked(b, mask)
	return append(out, tensors.FromFlatDataAndDimensions(ids, b.Size, b.MaxLen, b.NumIDs),
		tensors.FromFlatDataAndDimensions(window, b.Size, b.MaxLen)), nil
}

// Presence is the flat [B,P,K] multi-hot target: for row r and its p-th window, of length
// W = Scales[scales[r·P+p]], 1 at k when IDs[k] is the field's value of a target-only
// behavior of the row in the windows T..T+W−1 (the W windows after the observation window).
func (o *MSDP) Presence(b *data.Batch, scales []int32) []float32 {
	P, K := o.PerSample, o.K()
	out := make([]float32, b.Size*P*K)
	for r := range b.Size {
		for j := range b.TargetLen {
			w := b.TargetWindow[r*b.TargetLen+j]
			if w < 0 {
				continue
			}
			k, ok := o.index[b.TargetIDs[(r*b.TargetLen+j)*b.NumIDs+o.Slot]]
			if !ok {
				continue
			}
			offset := int(w) - b.Windows // 0 = the first window after the input
			for p := range P {
				if offset < o.Scales[scales[r*P+p]] {
					out[(r*P+p)*K+k] = 1
				}
			}
		}
	}
	return out
}

// SampleMask draws the behaviors of the masked view, flat [B,n] (1 = masked): in a row of L
// real behaviors, round(MaskRatio·L) of them uniformly without replacement, at least one when
// MaskRatio > 0 and at most L−1, so that the view differs from the sequence yet keeps a
// behavior (a row of one behavior is not masked).
func (o *MSDP) SampleMask(b *data.Batch, rng *rand.Rand) []float32 {
	mask := make([]float32, b.Size*b.MaxLen)
	for r := range b.Size {
		L := b.Len(r)
		count := int(math.Round(o.MaskRatio * float64(L)))
		if o.MaskRatio > 0 {
			count = max(count, 1)
		}
		count = min(count, L-1)
		if count <= 0 {
			continue
		}
		for _, i := range rng.Perm(L)[:count] {
			mask[r*b.MaxLen+i] = 1
		}
	}
	return mask
}

// DropMasked is the batch without its masked behaviors (mask flat [B,n], 1 = masked), the
// kept ones left-aligned in their order and the rest padding: flat ids [B,n,m] and window
// [B,n].
func DropMasked(b *data.Batch, mask []float32) (ids, window []int32) {
	n, m := b.MaxLen, b.NumIDs
	ids = make([]int32, b.Size*n*m)
	window = make([]int32, b.Size*n)
	for i := range window {
		window[i] = -1
	}
	for r := range b.Size {
		k := 0
		for i := range n {
			if b.Window[r*n+i] < 0 || mask[r*n+i] == 1 {
				continue
			}
			window[r*n+k] = b.Window[r*n+i]
			copy(ids[(r*n+k)*m:(r*n+k+1)*m], b.IDs[(r*n+i)*m:(r*n+i+1)*m])
			k++
		}
	}
	return ids, window
}

// Loss implements objective.Objective.
func (o *MSDP) Loss(ctx *context.Context, enc *encoder.Encoder, in encoder.Inputs) *Node {
	loss, _ := o.LossWithDiagnostics(ctx, enc, in)
	return loss
}

// LossWithDiagnostics implements objective.Diagnosing: besides E, the two loss terms
// unweighted ("bce", "simsiam"), and the presence predictions at threshold 0.5 against the
// targets: accuracy, micro F1, and the share of positive targets (the accuracy of predicting
// "absent" everywhere is 1 minus it).
func (o *MSDP) LossWithDiagnostics(ctx *context.Context, enc *encoder.Encoder, in encoder.Inputs) (*Node, map[string]*Node) {
	want := 2
	if o.Lambda > 0 {
		want = 3
		if o.MaskMode == MSDPMaskDrop {
			want = 4
		}
	}
	if len(in.Extra) != want {
		panic(fmt.Errorf("msdp: %d extra inputs, want %d (the trainer feeds Transform's)", len(in.Extra), want))
	}
	out := enc.Forward(ctx, in)
	mctx := ctx.In(MSDPScope)
	logits := o.Logits(mctx.In(MSDPHeadScope), out.E, in.Extra[0])
	target := in.Extra[1]
	bce := ReduceAllMean(BinaryCrossEntropyWithLogits(logits, target))
	diag := map[string]*Node{objective.DiagE: out.E, "bce": bce}
	pred := ConvertDType(GreaterThan(logits, ZerosLike(logits)), target.DType())
	diag["presence_acc"] = ReduceAllMean(OneMinus(Abs(Sub(pred, target))))
	diag["presence_rate"] = ReduceAllMean(target)
	tp := ReduceAllSum(Mul(pred, target))
	wrong := ReduceAllSum(Abs(Sub(pred, target))) // FP + FN
	twoTP := MulScalar(tp, 2)
	diag["presence_f1"] = Div(twoTP, Max(Add(twoTP, wrong), OnesLike(tp)))
	if o.Lambda == 0 {
		return bce, diag
	}
	var view *encoder.Output
	if o.MaskMode == MSDPMaskToken {
		view = enc.ForwardBehaviors(ctx, encoder.MaskBehaviors(mctx.In(MSDPMaskScope), out.Behaviors, in.Extra[2]), in.Window)
	} else {
		view = enc.Forward(ctx, encoder.Inputs{IDs: in.Extra[2], Window: in.Extra[3]})
	}
	sim := SimSiamLoss(mctx.In(MSDPPredictorScope), out.E, view.E)
	diag["simsiam"] = sim
	return Add(bce, MulScalar(sim, o.Lambda)), diag
}

// Logits is the presence head: for E [B,d] and the prompt indices scales [B,P] (int32),
// logits [B,P,K] = Linear(ReLU(Linear(E) + prompt[W])). Adding a learned per-scale vector
// to the hidden pre-activation is a linear layer over the concatenation [E; prompt
// embedding of W], written without a Concatenate (which the pure-Go engine cannot
// differentiate).
func (o *MSDP) Logits(ctx *context.Context, e, scales *Node) *Node {
	g := e.Graph()
	B, d := e.Shape().Dim(0), e.Shape().Dim(1)
	P := scales.Shape().Dim(1)
	h := o.Hidden
	if h == 0 {
		h = d
	}
	bound := 1 / math.Sqrt(float64(d)) // nn.Linear's bias initialisation, as encoder.Dense
	prompts := ctx.WithInitializer(initializers.RandomUniformFn(ctx, -bound, bound)).
		VariableWithShape(MSDPPromptsVarName, shapes.Make(e.DType(), len(o.Scales), h)).ValueGraph(g)
	prompt := Reshape(Gather(prompts, Reshape(scales, B*P, 1)), B, P, h)
	hidden := InsertAxes(encoder.Dense(ctx.In("hidden"), e, h), 1) // [B,1,h]
	return encoder.Dense(ctx.In("output"), activations.Relu(Add(hidden, prompt)), o.K())
}

// BinaryCrossEntropyWithLogits is the elementwise binary cross-entropy of targets y ∈ [0,1]
// under probabilities sigmoid(x), in its stable form max(x,0) − x·y + log(1 + e^−|x|).
func BinaryCrossEntropyWithLogits(x, y *Node) *Node {
	return Add(Sub(activations.Relu(x), Mul(x, y)), Log1p(Exp(Neg(Abs(x)))))
}

// SimSiamLoss is SimSiam's symmetrised loss between two views' representations z1, z2
// [B,d]: ½·D(pred(z1), sg(z2)) + ½·D(pred(z2), sg(z1)), D the negative cosine similarity
// averaged over the batch, pred the two-layer MLP objective.Predict (shared by both
// branches) in ctx.
func SimSiamLoss(ctx *context.Context, z1, z2 *Node) *Node {
	p1, p2 := objective.Predict(ctx, z1), objective.Predict(ctx, z2)
	d1 := ReduceAllMean(Neg(cosine(p1, StopGradient(z2))))
	d2 := ReduceAllMean(Neg(cosine(p2, StopGradient(z1))))
	return MulScalar(Add(d1, d2), 0.5)
}

// cosine is the cosine similarity of the rows of a and b [B,d]; norms are floored at 1e-8
// (as PyTorch's F.cosine_similarity) so a zero row gives 0, not NaN.
func cosine(a, b *Node) *Node {
	norm := func(x *Node) *Node {
		return Sqrt(Max(ReduceSum(Square(x), -1), Scalar(x.Graph(), x.DType(), 1e-16)))
	}
	return Div(ReduceSum(Mul(a, b), -1), Mul(norm(a), norm(b)))
}
