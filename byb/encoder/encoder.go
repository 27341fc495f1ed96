package encoder

import (
	"fmt"

	"github.com/byb-dev/byb/byb/data"
	"github.com/gomlx/gomlx/pkg/core/dtypes"
	. "github.com/gomlx/gomlx/pkg/core/graph" //nolint:revive // GoMLX convention
	"github.com/gomlx/gomlx/pkg/core/shapes"
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/gomlx/gomlx/pkg/ml/context"
)

// Encoder is the shared encoder: an architecture (Config) plus the dataset facts it needs,
// the vocabulary size of each ID slot and the number T of pooling windows. Its variables live
// in the context passed to its methods, under Scope.
type Encoder struct {
	Config
	Vocab   []int // per ID slot, including the reserved IDs 0 (none) and 1 (OOV)
	Windows int   // T
}

// New reads the architecture from ctx's hyper-parameters.
func New(ctx *context.Context, vocab []int, windows int) (*Encoder, error) {
	_ = InstallDotGeneralVJP() // faster DotGeneral/Dot gradients; if refused, DotGeneralVJPStatus says why
	cfg := ConfigFromContext(ctx)
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if len(vocab) == 0 || windows <= 0 {
		return nil, fmt.Errorf("encoder: need at least one vocab size (got %v) and T > 0 (got %d)", vocab, windows)
	}
	return &Encoder{Config: cfg, Vocab: vocab, Windows: windows}, nil
}

// Inputs are a batch's graph nodes (see data.Batch).
type Inputs struct {
	IDs    *Node // [B,n,m] int32
	Window *Node // [B,n] int32, -1 = padding
	Labels *Node // [B] int32 (-1 = none); may be nil
	// Target-only behaviors after the observation window (data.Batch's TargetIDs and
	// TargetWindow); nil when the batch has none. Only objectives read them, never Forward.
	TargetIDs    *Node // [B,nt,m] int32
	TargetWindow *Node // [B,nt] int32 in [T, T+ΔT2), -1 = padding
	// Extra are the objective's own inputs from its host-side batch transform
	// (objective.BatchTransformer), in the order it returned them.
	Extra []*Node
}

// BatchTensors converts a batch to the tensors that become Inputs, in the order InputsFrom
// expects: ids, window, labels, then target ids and target window when the batch has them.
func BatchTensors(b *data.Batch) []*tensors.Tensor {
	ids := int32Tensor(b.IDs, b.Size, b.MaxLen, b.NumIDs)
	win := int32Tensor(b.Window, b.Size, b.MaxLen)
	labels := b.Labels
	if len(labels) != b.Size {
		labels = make([]int32, b.Size)
		for i := range labels {
			labels[i] = -1
		}
	}
	out := []*tensors.Tensor{ids, win, int32Tensor(labels, b.Size)}
	if b.TargetLen > 0 {
		out = append(out, int32Tensor(b.TargetIDs, b.Size, b.TargetLen, b.NumIDs), int32Tensor(b.TargetWindow, b.Size, b.TargetLen))
	}
	return out
}

func int32Tensor(values []int32, dims ...int) *tensors.Tensor {
	t := tensors.FromShape(shapes.Make(dtypes.Int32, dims...))
	tensors.MutableFlatData(t, func(flat []int32) { copy(flat, values) })
	return t
}

// InputsFrom builds Inputs from the graph parameters made of BatchTensors' tensors.
func InputsFrom(nodes []*Node) Inputs {
	in := Inputs{IDs: nodes[0], Window: nodes[1]}
	if len(nodes) > 2 {
		in.Labels = nodes[2]
	}
	if len(nodes) > 4 {
		in.TargetIDs, in.TargetWindow = nodes[3], nodes[4]
	}
	return in
}

// Output is everything the objectives and probes may need from one forward pass.
type Output struct {
	Behaviors *Node   // [B,n,d] behavior embeddings e_x
	Sums      *Node   // [B,L,d] per-position sums of behavior embeddings (L = T pooled, n unpooled)
	Counts    *Node   // [B,L] behaviors per position (0 = empty window or padding)
	Hidden    *Node   // [B,L,d] Transformer outputs
	E         *Node   // [B,d] the sequence representation
	Attention []*Node // per layer [B,heads,L,L]
}

// SeqLen is the Transformer's sequence length for a batch with n behaviors.
func (e *Encoder) SeqLen(n int) int {
	if e.Pool {
		return e.Windows
	}
	return n
}

// BehaviorEncoder runs the student's behavior encoder (scope encoder/behavior_encoder).
func (e *Encoder) BehaviorEncoder(ctx *context.Context, ids *Node) *Node {
	return BehaviorEncoder(ctx.In(Scope).In(BehaviorEncoderScope), e.Config, e.Vocab, ids)
}

// Group sums behavior embeddings per sequence position (see the function Group).
func (e *Encoder) Group(x, window *Node) (sums, counts *Node) {
	return Group(e.Config, x, window, e.Windows)
}

// Sequence runs the Transformer over already pooled (or unpooled) inputs [B,L,d].
func (e *Encoder) Sequence(ctx *context.Context, x *Node) (hidden *Node, attention []*Node) {
	return Transformer(ctx.In(Scope).In(TransformerScope), e.Config, x)
}

// Forward runs the whole encoder: the behavior encoder, then ForwardBehaviors, so that every
// objective's forward pass, edited or not, makes the same pooling and attention choices.
func (e *Encoder) Forward(ctx *context.Context, in Inputs) *Output {
	if in.IDs.Shape().Dim(2) != len(e.Vocab) {
		panicf("encoder: batch has %d ID slots, the model %d", in.IDs.Shape().Dim(2), len(e.Vocab))
	}
	return e.ForwardBehaviors(ctx, e.BehaviorEncoder(ctx, in.IDs), in.Window)
}

// Last picks E from hidden [B,L,d]: the last window with pooling, the last real behavior
// without (the first position for an empty row). A Gather rather than a Slice keeps it
// differentiable on the pure-Go engine (finetuning with an unfrozen encoder needs that).
func (e *Encoder) Last(hidden, window *Node) *Node {
	g := hidden.Graph()
	B, L, d := hidden.Shape().Dim(0), hidden.Shape().Dim(1), hidden.Shape().Dim(2)
	var last *Node
	if e.Pool {
		last = Scalar(g, dtypes.Int32, L-1)
	} else {
		valid := ConvertDType(GreaterOrEqual(window, ScalarZero(g, dtypes.Int32)), dtypes.Int32)
		last = Max(Sub(ReduceSum(valid, 1), ScalarOne(g, dtypes.Int32)), ScalarZero(g, dtypes.Int32))
	}
	idx := Add(MulScalar(Iota(g, shapes.Make(dtypes.Int32, B), 0), L), last)
	return Gather(Reshape(hidden, B*L, d), Reshape(idx, B, 1))
}
