package baselines

import (
	"fmt"
	"math/rand/v2"

	"github.com/byb-dev/byb/byb/data"
	"github.com/byb-dev/byb/byb/encoder"
	"github.com/byb-dev/byb/byb/objective"
	"github.com/byb-dev/byb/byb/params"
	"github.com/gomlx/gomlx/pkg/core/dtypes"
	. "github.com/gomlx/gomlx/pkg/core/graph" //nolint:revive // GoMLX convention
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/gomlx/gomlx/pkg/ml/context"
)

// NBP hyper-parameters.
const (
	// ParamNBPFutureDays is how many day windows after the observation window the last
	// behavior's next behavior is looked for (without pooling): 7. A user with no behavior in
	// them gives its last position no target.
	ParamNBPFutureDays = "nbp_future_days"
)

// NBPScope holds NBP's own variables (the ID head, under NBPScope/idhead).
const NBPScope = "nbp"

func init() {
	objective.Register(objective.Method{Name: "nbp", Defaults: NBPDefaults,
		New: func(ctx *context.Context, facts objective.Facts) (objective.Objective, error) {
			return NewNBP(ctx, facts)
		}})
}

// NBPDefaults puts NBP's hyper-parameters in ctx, and the ID head's: the raw behavior
// sequence (pool=false, as the paper runs its baselines) with causal attention.
func NBPDefaults(ctx *context.Context) {
	params.SetGroup(ctx, "nbp")
	encoder.IDHeadDefaults(ctx)
	ctx.SetParams(map[string]any{encoder.ParamPool: false, encoder.ParamCausal: true})
}

func init() {
	params.Register("nbp",
		params.Param{Name: ParamNBPFutureDays, Default: 7, Help: "day windows after the input searched for the last behavior's next one", Range: params.Positive},
	)
}

// NBP is next behavior prediction (PTUM, Wu et al. 2020, the paper's [38]): at every position
// k of the sequence, the causal Transformer's output h_k predicts every ID field of behavior
// k+1 with the shared ID head (encoder.IDHead: one softmax per field, sampled for large
// vocabularies). The last real behavior's next behavior is the first one after the
// observation window (the batch's first target-only behavior), so the position where E is
// read is trained too; a user with none in the nbp_future_days after the input gives it no
// target. Padding positions have no target. The loss is the sum over fields of each field's
// mean cross-entropy over its valid targets.
//
// With pool=true the positions are day windows and h_k predicts every behavior of window k+1
// (its IDs, each behavior one target, so the loss per field is the mean over all next-day
// behaviors); the last window predicts the behaviors of the day after the input. Empty next
// windows give no target.
type NBP struct {
	Pool       bool
	FutureDays int
	Head       *encoder.IDHead
}

// NewNBP reads NBP's hyper-parameters from ctx and sizes its head from the dataset's facts.
func NewNBP(ctx *context.Context, facts objective.Facts) (*NBP, error) {
	o := &NBP{
		Pool:       params.Get[bool](ctx, encoder.ParamPool),
		FutureDays: params.Get[int](ctx, ParamNBPFutureDays),
	}
	if o.FutureDays < 1 {
		return nil, fmt.Errorf("nbp: %s=%d must be ≥ 1", ParamNBPFutureDays, o.FutureDays)
	}
	if !params.Get[bool](ctx, encoder.ParamCausal) {
		return nil, fmt.Errorf("nbp: %s=false would let position k attend to behavior k+1, the one it predicts: NBP needs causal attention", encoder.ParamCausal)
	}
	head, err := encoder.NewIDHead(encoder.IDHeadConfigFromContext(ctx), facts.Fields, facts.Vocab, facts.Counts)
	if err != nil {
		return nil, fmt.Errorf("nbp: %w", err)
	}
	o.Head = head
	return o, nil
}

// Name implements objective.Objective.
func (o *NBP) Name() string { return "nbp" }

// FutureWindows implements objective.FutureReader. Without pooling the pipeline then gives the
// first behaviors of the nbp_future_days after the input, of which the first is the last
// position's target; with pooling the last window's target is the day after the input.
func (o *NBP) FutureWindows() int {
	if o.Pool {
		return 1
	}
	return o.FutureDays
}

// Transform implements objective.BatchTransformer: the negatives of the sampled softmaxes.
func (o *NBP) Transform(_ *data.Batch, rng *rand.Rand) ([]*tensors.Tensor, error) {
	return o.Head.DrawNegatives(rng), nil
}

// Loss implements objective.Objective.
func (o *NBP) Loss(ctx *context.Context, enc *encoder.Encoder, in encoder.Inputs) *Node {
	loss, _ := o.LossWithDiagnostics(ctx, enc, in)
	return loss
}

// LossWithDiagnostics implements objective.Diagnosing: besides the loss, E, each field's
// next-ID accuracy and loss, and the share of target slots that hold a target.
func (o *NBP) LossWithDiagnostics(ctx *context.Context, enc *encoder.Encoder, in encoder.Inputs) (*Node, map[string]*Node) {
	if enc.Pool != o.Pool {
		panic(fmt.Errorf("nbp: built for pool=%v, the encoder has pool=%v", o.Pool, enc.Pool))
	}
	out := enc.Forward(ctx, in)
	ids, source := o.Targets(enc, in)
	valid := ConvertDType(GreaterOrEqual(source, ZerosLike(source)), out.Hidden.DType())
	res := o.Head.Loss(ctx.In(NBPScope).In("idhead"), encoder.GatherPositions(out.Hidden, source), ids, valid, in.Extra)
	diag := o.Head.Diagnostics(res)
	diag[objective.DiagE] = out.E
	diag["valid_targets"] = ReduceAllMean(valid)
	return res.Loss, diag
}

// Targets returns the behaviors NBP predicts, ids [B,N,m], and for each the sequence position
// whose output predicts it, source [B,N] int32 (-1 = not a target). Without pooling the
// behaviors are the input ones then the first target-only one (N = n+1): input behavior i ≥ 1
// is predicted from position i−1, the first target-only behavior from the row's last real
// position. With pooling they are the input then all target-only behaviors (N = n+nt): a
// behavior of window w ≥ 1 is predicted from position w−1, one of the window after the input
// (T) from position T−1. A row without input behaviors (the loader's padding rows) has no
// target.
func (o *NBP) Targets(enc *encoder.Encoder, in encoder.Inputs) (ids, source *Node) {
	g := in.IDs.Graph()
	zero, minus1 := ScalarZero(g, dtypes.Int32), Scalar(g, dtypes.Int32, -1)
	isReal := GreaterOrEqual(in.Window, zero)
	var src *Node
	if enc.Pool {
		// window − 1: window 0 gives −1, padding (−1) gives −2, both below zero.
		src = Sub(in.Window, OnesLike(in.Window))
	} else {
		idx := Iota(g, in.Window.Shape(), 1)
		src = Where(And(isReal, GreaterThan(idx, zero)), Sub(idx, OnesLike(idx)), BroadcastToShape(minus1, idx.Shape()))
	}
	src = Where(GreaterOrEqual(src, zero), src, BroadcastToShape(minus1, src.Shape()))
	if in.TargetIDs == nil {
		return in.IDs, src
	}
	// The row's last real position; −1 for a row without input behaviors, which has no target.
	last := InsertAxes(Sub(ReduceSum(ConvertDType(isReal, dtypes.Int32), 1), ScalarOne(g, dtypes.Int32)), -1)
	tIDs, tWin := in.TargetIDs, in.TargetWindow
	var tSrc *Node
	if enc.Pool {
		T := enc.Windows
		next := And(Equal(tWin, Scalar(g, dtypes.Int32, T)), GreaterOrEqual(last, zero))
		tSrc = Where(next, BroadcastToShape(Scalar(g, dtypes.Int32, T-1), tWin.Shape()), BroadcastToShape(minus1, tWin.Shape()))
	} else {
		// Integer inputs, off the gradient path: slicing them is fine on every engine.
		tIDs = Slice(tIDs, AxisRange(), AxisRange(0, 1), AxisRange())
		tWin = Slice(tWin, AxisRange(), AxisRange(0, 1))
		tSrc = Where(And(GreaterOrEqual(tWin, zero), GreaterOrEqual(last, zero)), last, BroadcastToShape(minus1, tWin.Shape()))
	}
	return Concatenate([]*Node{in.IDs, tIDs}, 1), Concatenate([]*Node{src, tSrc}, 1)
}
