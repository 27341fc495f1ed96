package encoder

import (
	"fmt"
	"math"
	"math/rand/v2"
	"sort"

	"github.com/byb-dev/byb/byb/params"
	"github.com/gomlx/gomlx/pkg/core/dtypes"
	. "github.com/gomlx/gomlx/pkg/core/graph" //nolint:revive // GoMLX convention
	"github.com/gomlx/gomlx/pkg/core/shapes"
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/gomlx/gomlx/pkg/ml/context"
)

// Hyper-parameters of the ID-prediction head (group "idhead"), shared by the methods that
// predict behavior IDs (NBP, MBM); each such method puts them in its Defaults with
// IDHeadDefaults.
const (
	// ParamIDHeadFullMax: a field with at most this many classes gets a full softmax, a larger
	// one a sampled softmax. 10000: the full softmax's cost grows with the vocabulary, and
	// beyond about ten thousand classes it outweighs the rest of the model's step.
	ParamIDHeadFullMax = "idhead_full_max"
	// ParamIDHeadNegatives: S, the negatives of a sampled softmax, drawn once per batch and
	// field and shared by every position of the batch: 512.
	ParamIDHeadNegatives = "idhead_negatives"
	// ParamIDHeadSamplePower: the sampled softmax's proposal is q(i) ∝ count(i)^power over the
	// field's values (counts of the pretraining span): 1 = the unigram distribution, 0 =
	// uniform.
	ParamIDHeadSamplePower = "idhead_sample_power"
)

// IDHeadGroup is the registry group of the ID head's hyper-parameters.
const IDHeadGroup = "idhead"

func init() {
	params.Register(IDHeadGroup,
		params.Param{Name: ParamIDHeadFullMax, Default: 10000, Help: "largest field (in classes) with a full softmax; larger ones are sampled", Range: params.NonNegative, Shape: true},
		params.Param{Name: ParamIDHeadNegatives, Default: 512, Help: "negatives of a sampled softmax, shared by the batch", Range: params.Positive},
		params.Param{Name: ParamIDHeadSamplePower, Default: 1.0, Help: "sampled softmax proposal ∝ count^power (1 unigram, 0 uniform)", Range: params.NonNegative},
	)
}

// IDHeadDefaults puts the ID head's hyper-parameters in ctx.
func IDHeadDefaults(ctx *context.Context) { params.SetGroup(ctx, IDHeadGroup) }

// IDHeadConfig is the ID head's hyper-parameters.
type IDHeadConfig struct {
	FullMax     int
	Negatives   int
	SamplePower float64
}

// IDHeadConfigFromContext reads the ID head's hyper-parameters.
func IDHeadConfigFromContext(ctx *context.Context) IDHeadConfig {
	return IDHeadConfig{
		FullMax:     params.Get[int](ctx, ParamIDHeadFullMax),
		Negatives:   params.Get[int](ctx, ParamIDHeadNegatives),
		SamplePower: params.Get[float64](ctx, ParamIDHeadSamplePower),
	}
}

// reservedIDs are the vocabulary indices that are no value: 0 (no ID) and 1 (OOV).
const reservedIDs = 2

// IDHead predicts every ID field of a behavior from a hidden state h [d], each field with its
// own softmax over that field's values: logits W_j h + b_j, W_j [C_j, d] and b_j [C_j] under
// ctx/field_j, initialised as PyTorch's nn.Linear.
//
// The classes of field j are its real values, vocabulary indices 2..V_j-1 (C_j = V_j − 2).
// Index 0 (the behavior has no ID in that field, or padding) is no target. OOV (1) is neither
// a target nor a class: it lumps together every rare and every unseen value, so predicting it
// means recognising "some rare value", a task of another kind than predicting a value; under a
// capped vocabulary it can be the most frequent target of a field and would dominate its loss;
// and the pretraining counts, hence a sampled softmax's proposal, know nothing of it. A
// behavior whose value in one field is OOV still is a target of its other fields. A field with
// no real value (V_j ≤ 2) is left out.
//
// A field with C_j ≤ FullMax gets a full softmax. A larger one gets a sampled softmax
// (Jean et al. 2015, Bengio & Senécal 2008): the candidates of a position are its true class y
// and S negatives n_1..n_S drawn with replacement from the fixed proposal q(i) ∝
// count(i)^SamplePower, the same S for the whole batch (one [S]×[N,d] product instead of a
// gather per position), each candidate's logit corrected by −log q(i), the standard logQ
// correction that makes the sampled loss estimate the full softmax's (the constant log S of
// the expected counts S·q(i) cancels). A negative equal to the position's true class (an
// "accidental hit") is masked out of that position's candidates, as TensorFlow's
// remove_accidental_hits does: else the true class would be its own negative. The unigram
// proposal is the default because it is the marginal the model's predictions approach, so it
// gives the estimator less variance than a uniform one, whose negatives are nearly all
// long-tail values the model already rates low. The negatives are drawn on the host
// (DrawNegatives), by the method's batch transform, so a resumed run draws the same.
//
// The loss is the sum over fields of each field's mean cross-entropy over its valid targets
// (valid position and an ID ≥ 2 in that field); per field it also reports that mean and the
// accuracy: the argmax over all classes for a full softmax, the true class ranked above every
// (non-hit) sampled negative by raw logit for a sampled one.
type IDHead struct {
	IDHeadConfig
	Names   []string // per field, for diagnostics
	Classes []int    // C_j per field
	sampled []bool
	cdf     [][]float64 // per sampled field: cumulative proposal over classes
	logQ    [][]float32 // per sampled field with a non-uniform proposal: log q per class
}

// NewIDHead builds the head for ID fields with the given vocabulary sizes (reserved indices
// included) and pretraining counts per vocabulary index (counts may be nil: a uniform proposal).
// fields names them (may be nil).
func NewIDHead(cfg IDHeadConfig, fields []string, vocab []int, counts [][]int64) (*IDHead, error) {
	switch {
	case len(vocab) == 0:
		return nil, fmt.Errorf("idhead: no ID field")
	case cfg.FullMax < 0:
		return nil, fmt.Errorf("idhead: %s=%d must be ≥ 0", ParamIDHeadFullMax, cfg.FullMax)
	case cfg.SamplePower < 0 || math.IsNaN(cfg.SamplePower) || math.IsInf(cfg.SamplePower, 0):
		return nil, fmt.Errorf("idhead: %s=%g must be a finite number ≥ 0", ParamIDHeadSamplePower, cfg.SamplePower)
	case counts != nil && len(counts) != len(vocab):
		return nil, fmt.Errorf("idhead: counts for %d fields, vocabularies for %d", len(counts), len(vocab))
	}
	h := &IDHead{IDHeadConfig: cfg, Names: make([]string, len(vocab)), Classes: make([]int, len(vocab)),
		sampled: make([]bool, len(vocab)), cdf: make([][]float64, len(vocab)), logQ: make([][]float32, len(vocab))}
	for j, v := range vocab {
		h.Names[j] = fmt.Sprintf("field%d", j)
		if j < len(fields) && fields[j] != "" {
			h.Names[j] = fields[j]
		}
		h.Classes[j] = max(v-reservedIDs, 0)
		if h.Classes[j] <= cfg.FullMax || h.Classes[j] == 0 {
			continue
		}
		if cfg.Negatives < 1 {
			return nil, fmt.Errorf("idhead: %s=%d must be ≥ 1 (field %s has %d classes, more than %s=%d, so its softmax is sampled)",
				ParamIDHeadNegatives, cfg.Negatives, h.Names[j], h.Classes[j], ParamIDHeadFullMax, cfg.FullMax)
		}
		h.sampled[j] = true
		var c []int64
		if counts != nil {
			if len(counts[j]) != v {
				return nil, fmt.Errorf("idhead: field %s has %d counts for a vocabulary of %d", h.Names[j], len(counts[j]), v)
			}
			c = counts[j][reservedIDs:]
		}
		h.cdf[j], h.logQ[j] = proposal(c, h.Classes[j], cfg.SamplePower)
	}
	return h, nil
}

// proposal returns the cumulative distribution of q(i) ∝ max(count(i), 1)^power over C
// classes, and log q (nil when q is uniform: the correction is then the same for every
// candidate and cancels). A value of the vocabulary has been seen at least once; the floor at
// one only keeps made-up counts of zero from giving a class no chance at all.
func proposal(counts []int64, C int, power float64) (cdf []float64, logQ []float32) {
	if counts == nil || power == 0 {
		return nil, nil
	}
	w := make([]float64, C)
	total := 0.0
	uniform := true
	for i := range w {
		w[i] = math.Pow(float64(max(counts[i], 1)), power)
		total += w[i]
		uniform = uniform && w[i] == w[0]
	}
	if uniform {
		return nil, nil
	}
	cdf, logQ = make([]float64, C), make([]float32, C)
	acc := 0.0
	for i, x := range w {
		acc += x / total
		cdf[i] = acc
		logQ[i] = float32(math.Log(x / total))
	}
	cdf[C-1] = 1
	return cdf, logQ
}

// Sampled reports whether field j uses a sampled softmax.
func (h *IDHead) Sampled(j int) bool { return h.sampled[j] }

// NumNegativeInputs is how many tensors DrawNegatives returns: one per sampled field.
func (h *IDHead) NumNegativeInputs() int {
	n := 0
	for _, s := range h.sampled {
		if s {
			n++
		}
	}
	return n
}

// DrawNegatives draws the negatives of one batch: for each sampled field in field order, S
// vocabulary indices (≥ 2) [S] int32 drawn with replacement from the proposal. Methods return
// them from their batch transform and pass the matching graph inputs to Loss.
func (h *IDHead) DrawNegatives(rng *rand.Rand) []*tensors.Tensor {
	var out []*tensors.Tensor
	for j, s := range h.sampled {
		if !s {
			continue
		}
		neg := make([]int32, h.Negatives)
		for k := range neg {
			var c int
			if h.cdf[j] == nil {
				c = rng.IntN(h.Classes[j])
			} else {
				c = sort.SearchFloat64s(h.cdf[j], rng.Float64())
				c = min(c, h.Classes[j]-1)
			}
			neg[k] = int32(c + reservedIDs)
		}
		out = append(out, tensors.FromValue(neg))
	}
	return out
}

// IDHeadResult is the head's loss and its per-field parts.
type IDHeadResult struct {
	Loss      *Node   // scalar: Σ over fields of FieldLoss
	FieldLoss []*Node // per field: mean cross-entropy over its valid targets (nil: field left out)
	Accuracy  []*Node // per field (nil: field left out)
	Targets   []*Node // per field: its number of valid targets
}

// Diagnostics names the per-field scalars for objective.Diagnosing: "acc_FIELD" (for a sampled
// field "acc_FIELD_sampled", the accuracy among the sampled candidates) and "loss_FIELD".
func (h *IDHead) Diagnostics(r IDHeadResult) map[string]*Node {
	out := map[string]*Node{}
	for j, name := range h.Names {
		if r.FieldLoss[j] == nil {
			continue
		}
		acc := "acc_" + name
		if h.sampled[j] {
			acc += "_sampled"
		}
		out[acc] = r.Accuracy[j]
		out["loss_"+name] = r.FieldLoss[j]
	}
	return out
}

// Loss predicts ids [..., m] int32 from hidden [..., d] (the same leading axes) where valid
// [...] (float 0/1; nil = everywhere) is 1. negatives are the graph inputs of DrawNegatives'
// tensors, one [S] int32 per sampled field in field order. The head's variables live under
// ctx (ctx/field_j).
func (h *IDHead) Loss(ctx *context.Context, hidden, ids, valid *Node, negatives []*Node) IDHeadResult {
	g := hidden.Graph()
	m := len(h.Classes)
	if ids.Shape().Dim(-1) != m {
		panicf("idhead: ids have %d fields, the head %d", ids.Shape().Dim(-1), m)
	}
	if len(negatives) != h.NumNegativeInputs() {
		panicf("idhead: %d negative inputs given, %d sampled fields (the method's batch transform must pass DrawNegatives' tensors)",
			len(negatives), h.NumNegativeInputs())
	}
	d := hidden.Shape().Dim(-1)
	N := hidden.Shape().Size() / d
	if ids.Shape().Size() != N*m {
		panicf("idhead: hidden %s and ids %s do not have the same positions", hidden.Shape(), ids.Shape())
	}
	x := Reshape(hidden, N, d)
	flatIDs := Reshape(ids, N, m)
	var ok *Node
	if valid == nil {
		ok = Ones(g, shapes.Make(x.DType(), N))
	} else {
		ok = Reshape(ConvertDType(valid, x.DType()), N)
	}
	res := IDHeadResult{FieldLoss: make([]*Node, m), Accuracy: make([]*Node, m), Targets: make([]*Node, m)}
	next := 0
	for j, C := range h.Classes {
		var neg *Node
		if h.sampled[j] {
			neg = negatives[next]
			next++
		}
		if C == 0 {
			continue
		}
		id := Reshape(Slice(flatIDs, AxisRange(), AxisElem(j)), N)
		reserved := Scalar(g, id.DType(), reservedIDs)
		isTarget := ConvertDType(GreaterOrEqual(id, reserved), x.DType())
		target := Mul(ok, isTarget)
		class := Max(Sub(id, reserved), ZerosLike(id)) // any class where there is no target; masked
		fctx := ctx.Inf("field_%d", j)
		w := fctx.WithInitializer(torchInit(fctx, d)).VariableWithShape("weights", shapes.Make(x.DType(), C, d)).ValueGraph(g)
		b := fctx.WithInitializer(torchInit(fctx, d)).VariableWithShape("biases", shapes.Make(x.DType(), C)).ValueGraph(g)
		var ce, correct *Node
		if h.sampled[j] {
			ce, correct = h.sampledCE(j, x, w, b, class, neg)
		} else {
			ce, correct = fullCE(x, w, b, class)
		}
		count := ReduceAllSum(target)
		denom := Max(count, OnesLike(count))
		res.FieldLoss[j] = Div(ReduceAllSum(Mul(ce, target)), denom)
		res.Accuracy[j] = Div(ReduceAllSum(Mul(ConvertDType(correct, x.DType()), target)), denom)
		res.Targets[j] = count
		if res.Loss == nil {
			res.Loss = res.FieldLoss[j]
		} else {
			res.Loss = Add(res.Loss, res.FieldLoss[j])
		}
	}
	if res.Loss == nil {
		res.Loss = ScalarZero(g, x.DType())
	}
	return res
}

// fullCE is the cross-entropy of a full softmax per position: x [N,d], w [C,d], b [C], class
// [N]. It also returns whether the argmax is the class.
func fullCE(x, w, b, class *Node) (ce, correct *Node) {
	g := x.Graph()
	N, C := x.Shape().Dim(0), w.Shape().Dim(0)
	logits := Add(DotGeneral(x, []int{1}, nil, w, []int{1}, nil), InsertAxes(b, 0)) // [N,C]
	logp := LogSoftmax(logits, -1)
	// The log-probability of each position's class by a Gather on the flat [N·C] values:
	// N reads instead of a one-hot product over N·C.
	flat := Add(MulScalar(Iota(g, shapes.Make(dtypes.Int32, N), 0), float64(C)), ConvertDType(class, dtypes.Int32))
	ce = Neg(Reshape(Gather(Reshape(logp, N*C, 1), Reshape(flat, N, 1)), N))
	correct = Equal(ArgMax(logits, -1, dtypes.Int32), ConvertDType(class, dtypes.Int32))
	return ce, correct
}

// hitPenalty is added to a masked candidate's logit: exp of it underflows to exactly zero.
const hitPenalty = -1e9

// sampledCE is the cross-entropy of field j's sampled softmax per position: x [N,d], w [C,d],
// b [C], class [N], neg [S] vocabulary indices.
func (h *IDHead) sampledCE(j int, x, w, b, class, neg *Node) (ce, correct *Node) {
	g := x.Graph()
	N := x.Shape().Dim(0)
	S := neg.Shape().Size()
	negClass := Reshape(Sub(ConvertDType(neg, dtypes.Int32), Scalar(g, dtypes.Int32, reservedIDs)), S, 1)
	cls := Reshape(ConvertDType(class, dtypes.Int32), N, 1)
	b2 := Reshape(b, b.Shape().Dim(0), 1)
	// True class: ⟨h, w_y⟩ + b_y; negatives: h·W_negᵀ + b_neg, one product for the batch.
	trueLogit := Add(ReduceSum(Mul(x, Gather(w, cls)), -1), Reshape(Gather(b2, cls), N))
	negLogits := Add(DotGeneral(x, []int{1}, nil, Gather(w, negClass), []int{1}, nil), Reshape(Gather(b2, negClass), 1, S))
	// hits [N,S]: negative s is position n's true class.
	hits := Equal(Reshape(negClass, 1, S), cls)
	penalty := Scalar(g, x.DType(), hitPenalty)
	rawNeg := Where(hits, BroadcastToShape(penalty, negLogits.Shape()), negLogits)
	correct = GreaterThan(trueLogit, ReduceMax(rawNeg, -1))
	trueCorr, negCorr := trueLogit, negLogits
	if lq := h.logQ[j]; lq != nil {
		table := Reshape(Const(g, lq), len(lq), 1)
		trueCorr = Sub(trueCorr, Reshape(Gather(table, cls), N))
		negCorr = Sub(negCorr, Reshape(Gather(table, negClass), 1, S))
	}
	negCorr = Where(hits, BroadcastToShape(penalty, negCorr.Shape()), negCorr)
	// log Σ exp over the candidates {y} ∪ negatives, without concatenating them (the pure-Go
	// engine cannot differentiate Concatenate); the shift by the maximum only keeps exp finite.
	top := StopGradient(Max(trueCorr, ReduceMax(negCorr, -1)))
	sum := Add(Exp(Sub(trueCorr, top)), ReduceSum(Exp(Sub(negCorr, InsertAxes(top, -1))), -1))
	ce = Sub(Add(top, Log(sum)), trueCorr)
	return ce, correct
}

// GatherPositions picks, for every row b and slot k, hidden[b, pos[b,k]]: hidden [B,L,d], pos
// [B,K] int32 (a negative position picks position 0: mask it) → [B,K,d]. A Gather, not a
// Slice, so it is differentiable on the pure-Go engine.
func GatherPositions(hidden, pos *Node) *Node {
	g := hidden.Graph()
	B, L, d := hidden.Shape().Dim(0), hidden.Shape().Dim(1), hidden.Shape().Dim(2)
	K := pos.Shape().Dim(1)
	p := Max(ConvertDType(pos, dtypes.Int32), ScalarZero(g, dtypes.Int32))
	idx := Add(MulScalar(Iota(g, shapes.Make(dtypes.Int32, B, K), 0), float64(L)), p)
	return Reshape(Gather(Reshape(hidden, B*L, d), Reshape(idx, B*K, 1)), B, K, d)
}
