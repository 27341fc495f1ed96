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

// Inputs are a batch's graph nodes (see data.Batch). A packed batch (Row not nil) has its
// behaviors flat: IDs [N,m], Window [N], Row [N]; a padded one IDs [B,n,m], Window [B,n].
type Inputs struct {
	IDs    *Node // [B,n,m] int32; packed [N,m]
	Window *Node // [B,n] int32, -1 = padding; packed [N]
	Labels *Node // [B] int32 (-1 = none); may be nil for a padded batch
	Row    *Node // packed batches only: [N] int32, the row of each behavior (-1 = padding)
	// Target-only behaviors after the observation window (data.Batch's TargetIDs and
	// TargetWindow); nil when the batch has none. Only objectives read them, never Forward.
	TargetIDs    *Node // [B,nt,m] int32
	TargetWindow *Node // [B,nt] int32 in [T, T+ΔT2), -1 = padding
	// Extra are the objective's own inputs from its host-side batch transform
	// (objective.BatchTransformer), in the order it returned them.
	Extra []*Node
}

// Packed reports whether the batch's behaviors are packed (see Inputs).
func (in Inputs) Packed() bool { return in.Row != nil }

// Size is the batch's row count B.
func (in Inputs) Size() int {
	if in.Packed() {
		return in.Labels.Shape().Dim(0)
	}
	return in.IDs.Shape().Dim(0)
}

// BatchTensors converts a batch to the tensors that become Inputs, in the order InputsFrom
// expects: ids, window, labels, for a packed batch row, then target ids and target window
// when the batch has them.
func BatchTensors(b *data.Batch) []*tensors.Tensor {
	var ids, win *tensors.Tensor
	if b.Packed {
		ids, win = int32Tensor(b.IDs, b.MaxLen, b.NumIDs), int32Tensor(b.Window, b.MaxLen)
	} else {
		ids, win = int32Tensor(b.IDs, b.Size, b.MaxLen, b.NumIDs), int32Tensor(b.Window, b.Size, b.MaxLen)
	}
	labels := b.Labels
	if len(labels) != b.Size {
		labels = make([]int32, b.Size)
		for i := range labels {
			labels[i] = -1
		}
	}
	out := []*tensors.Tensor{ids, win, int32Tensor(labels, b.Size)}
	if b.Packed {
		out = append(out, int32Tensor(b.Row, b.MaxLen))
	}
	if b.TargetLen > 0 {
		out = append(out, int32Tensor(b.TargetIDs, b.Size, b.TargetLen, b.NumIDs), int32Tensor(b.TargetWindow, b.Size, b.TargetLen))
	}
	return out
}

// BatchArgs are BatchTensors as the arguments of an Exec whose graph function takes
// (ctx, nodes []*Node) and reads them with InputsFrom.
func BatchArgs(b *data.Batch) []any {
	ts := BatchTensors(b)
	out := make([]any, len(ts))
	for i, t := range ts {
		out[i] = t
	}
	return out
}

func int32Tensor(values []int32, dims ...int) *tensors.Tensor {
	t := tensors.FromShape(shapes.Make(dtypes.Int32, dims...))
	tensors.MutableFlatData(t, func(flat []int32) { copy(flat, values) })
	return t
}

// InputsFrom builds Inputs from the graph parameters made of BatchTensors' tensors (a
// packed batch's IDs have rank 2).
func InputsFrom(nodes []*Node) Inputs {
	in := Inputs{IDs: nodes[0], Window: nodes[1]}
	if len(nodes) > 2 {
		in.Labels = nodes[2]
	}
	rest := nodes[min(3, len(nodes)):]
	if in.IDs.Rank() == 2 {
		in.Row, rest = rest[0], rest[1:]
	}
	if len(rest) >= 2 {
		in.TargetIDs, in.TargetWindow = rest[0], rest[1]
	}
	return in
}

// Output is everything the objectives and probes may need from one forward pass.
type Output struct {
	Behaviors *Node   // [B,n,d] behavior embeddings e_x; packed [N,d]
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
	if in.IDs.Shape().Dim(-1) != len(e.Vocab) {
		panicf("encoder: batch has %d ID slots, the model %d", in.IDs.Shape().Dim(-1), len(e.Vocab))
	}
	if in.Packed() {
		return e.forwardPacked(ctx, in)
	}
	return e.ForwardBehaviors(ctx, e.BehaviorEncoder(ctx, in.IDs), in.Window)
}

// forwardPacked is Forward of a packed batch: the behavior encoder over the N flat behaviors,
// each added into its row's window. Only pooling models take packed batches (without pooling
// a behavior is its own position, and positions need a row axis).
func (e *Encoder) forwardPacked(ctx *context.Context, in Inputs) *Output {
	if !e.Pool {
		panicf("encoder: a packed batch needs pooling (pool=true); without pooling batches are padded to max_len")
	}
	behaviors := FlatBehaviorEncoder(ctx.In(Scope).In(BehaviorEncoderScope), e.Config, e.Vocab, in.IDs)
	out := &Output{Behaviors: behaviors}
	out.Sums, out.Counts = GroupRows(behaviors, in.Row, in.Window, in.Size(), e.Windows)
	e.sequence(ctx, out)
	return out
}

// FlatBehaviorEncoder is BehaviorEncoder over flat ids [N,m]: [N,d].
func FlatBehaviorEncoder(ctx *context.Context, cfg Config, vocab []int, ids *Node) *Node {
	n := ids.Shape().Dim(0)
	x := BehaviorEncoder(ctx, cfg, vocab, Reshape(ids, 1, n, ids.Shape().Dim(1)))
	return Reshape(x, n, x.Shape().Dim(-1))
}

// Last picks E from hidden [B,L,d], given each position's behavior count counts [B,L]:
//
//   - with pooling and e_at=last (Eq. 5, the default), the last window, even when the user
//     had no behavior in it: E is then the Transformer's output for a zero input at that
//     position, as in the PyTorch peer;
//   - with pooling and e_at=last_active, the last window with a behavior (the last window
//     for a user with none), so E is read where the user's latest activity is;
//   - without pooling, the last real behavior (rows are right-padded; the first position for
//     an empty row), whatever e_at says: that already is the last active position.
//
// A Gather rather than a Slice keeps it differentiable on the pure-Go engine (finetuning with
// an unfrozen encoder needs that).
func (e *Encoder) Last(hidden, counts *Node) *Node {
	g := hidden.Graph()
	B, L, d := hidden.Shape().Dim(0), hidden.Shape().Dim(1), hidden.Shape().Dim(2)
	zero := ScalarZero(g, dtypes.Int32)
	active := GreaterThan(counts, ZerosLike(counts))
	var last *Node
	switch {
	case !e.Pool:
		last = Max(Sub(ReduceSum(ConvertDType(active, dtypes.Int32), 1), ScalarOne(g, dtypes.Int32)), zero)
	case e.EAt == EAtLastActive:
		// The last active position, -1 when there is none.
		found := ReduceMax(Where(active, Iota(g, shapes.Make(dtypes.Int32, B, L), 1), Scalar(g, dtypes.Int32, -1)), 1)
		last = Where(GreaterOrEqual(found, zero), found, Scalar(g, dtypes.Int32, L-1))
	default:
		last = Scalar(g, dtypes.Int32, L-1)
	}
	idx := Add(MulScalar(Iota(g, shapes.Make(dtypes.Int32, B), 0), L), last)
	return Gather(Reshape(hidden, B*L, d), Reshape(idx, B, 1))
}
