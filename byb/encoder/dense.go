package encoder

import (
	"math"

	"github.com/gomlx/gomlx/pkg/core/dtypes"
	. "github.com/gomlx/gomlx/pkg/core/graph" //nolint:revive // GoMLX convention
	"github.com/gomlx/gomlx/pkg/core/shapes"
	"github.com/gomlx/gomlx/pkg/ml/context"
	"github.com/gomlx/gomlx/pkg/ml/layers"
)

// Dense is layers.Dense (weights and bias, under ctx/dense) initialised as PyTorch's
// nn.Linear: weights and bias uniform in ±1/√fan_in. GoMLX's default (He normal, zero bias)
// has √6 times the spread, which makes BYB's τ=0.1 softmax targets nearly one-hot at
// initialisation (a cross-entropy far above the log d of uniform targets) and slows pretraining; the paper's and the
// peer's models are PyTorch ones. Every linear layer of byb (encoder, predictor, heads, and
// the baselines) should use it.
func Dense(ctx *context.Context, x *Node, out int) *Node {
	return layers.Dense(ctx.WithInitializer(torchInit(ctx, x.Shape().Dim(-1))), x, true, out)
}

// torchInit is nn.Linear's initialiser: uniform in ±1/√fan_in.
func torchInit(ctx *context.Context, fanIn int) context.VariableInitializer {
	bound := 1 / math.Sqrt(float64(fanIn))
	return func(g *Graph, shape shapes.Shape) *Node {
		u := ctx.RandomUniform(g, shape) // [0,1)
		return MulScalar(AddScalar(MulScalar(u, 2), -1), bound)
	}
}

// DenseParts creates (or reuses) the variables of Dense(ctx, x, out) for an input of width
// in, and returns them: weights [in,out] and bias [out]. For layers whose product is
// rearranged (see BehaviorEncoder) while keeping Dense's variables and initialisation.
func DenseParts(ctx *context.Context, g *Graph, dtype dtypes.DType, in, out int) (weights, bias *Node) {
	c := ctx.In("dense").WithInitializer(torchInit(ctx, in))
	weights = c.VariableWithShape("weights", shapes.Make(dtype, in, out)).ValueGraph(g)
	bias = c.VariableWithShape("biases", shapes.Make(dtype, out)).ValueGraph(g)
	return weights, bias
}
