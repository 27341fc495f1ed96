package encoder

import (
	. "github.com/gomlx/gomlx/pkg/core/graph" //nolint:revive // GoMLX convention
	"github.com/gomlx/gomlx/pkg/core/shapes"
	"github.com/gomlx/gomlx/pkg/ml/context"
	"github.com/gomlx/gomlx/pkg/ml/context/initializers"
)

// MaskEmbeddingVarName is the variable of MaskBehaviors' learned mask embedding.
const MaskEmbeddingVarName = "mask_embedding"

// maskEmbeddingStd initialises the mask embedding as MAE's mask token, N(0, 0.02): small
// next to the behavior embeddings, so the masked view starts close to "behavior removed".
const maskEmbeddingStd = 0.02

// ForwardBehaviors is the encoder after its behavior encoder, from behavior embeddings
// [B,n,d] that an objective may have edited (a masked view: MaskBehaviors): pooling (or not),
// the Transformer with the attention mode of the configuration, and E. Forward is
// ForwardBehaviors of e.BehaviorEncoder(ctx, ids).
func (e *Encoder) ForwardBehaviors(ctx *context.Context, behaviors, window *Node) *Output {
	out := &Output{Behaviors: behaviors}
	out.Sums, out.Counts = e.Group(behaviors, window)
	e.sequence(ctx, out)
	return out
}

// sequence fills out's Hidden, Attention and E from its Sums and Counts: the Transformer over
// the pooled positions (means, or sums with pool_reduce=sum), with the attention mode of the
// configuration.
func (e *Encoder) sequence(ctx *context.Context, out *Output) {
	x := Pooled(e.Config, out.Sums, out.Counts)
	if !e.Causal && !e.Pool {
		keys := ConvertDType(GreaterThan(out.Counts, ZerosLike(out.Counts)), out.Counts.DType())
		out.Hidden, out.Attention = TransformerWithKeys(ctx.In(Scope).In(TransformerScope), e.Config, x, keys)
	} else {
		out.Hidden, out.Attention = e.Sequence(ctx, x)
	}
	out.E = e.Last(out.Hidden, out.Counts)
}

// MaskBehaviors replaces the behaviors [B,n,d] where mask [B,n] (float 0/1) is 1 by a learned
// mask embedding (variable MaskEmbeddingVarName [d] in ctx, the objective's own scope): a
// masked behavior keeps its place and its window but none of its IDs. Written as a blend
// rather than a Where so both operands get their gradient on every engine.
func MaskBehaviors(ctx *context.Context, behaviors, mask *Node) *Node {
	g := behaviors.Graph()
	d := behaviors.Shape().Dim(-1)
	token := ctx.WithInitializer(initializers.RandomNormalFn(ctx, maskEmbeddingStd)).
		VariableWithShape(MaskEmbeddingVarName, shapes.Make(behaviors.DType(), d)).ValueGraph(g)
	m := InsertAxes(ConvertDType(mask, behaviors.DType()), -1) // [B,n,1]
	return Add(Mul(behaviors, OneMinus(m)), Mul(m, Reshape(token, 1, 1, d)))
}
