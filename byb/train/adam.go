package train

import (
	"github.com/byb-dev/byb/byb/params"
	. "github.com/gomlx/gomlx/pkg/core/graph" //nolint:revive // GoMLX convention
	"github.com/gomlx/gomlx/pkg/ml/context"
	"github.com/gomlx/gomlx/pkg/ml/train/optimizers"
)

// ApplyAdam adds to g one Adam step on loss for every trainable variable in use by g, with
// the learning rate (warmed up over warmup_steps, see warmUp), weight decay and epsilon of
// ctx's hyper-parameters (betas 0.9, 0.999 as PyTorch's). It leaves loss itself alone:
// callers return and record the objective's loss.
//
// wd_coupled=true (the default) is PyTorch's Adam(weight_decay=wd), which the paper and the
// peer use: g ← g + wd·θ, then the moments. It is built as the penalty ½·wd·Σ‖θ‖² added to
// the loss the gradients are taken of, so the decay goes through the same gradient-to-variable
// pairing as the objective's gradient and cannot be attached to the wrong variable.
//
// wd_coupled=false is GoMLX's AdamW (AdamConfig.WeightDecay): from the pre-step θ it computes
// θ ← θ − lr·m̂/(√v̂+ε) − lr·wd·θ, the decay scaled by the current learning rate and applied to
// the same variables as the Adam step. PyTorch's AdamW does θ ← θ·(1 − lr·wd), then
// θ ← θ − lr·m̂/(√v̂+ε); the Adam step does not depend on θ, so the two are the same update and
// differ only in float rounding order, and in that GoMLX's clip_step_by_value (unset in byb)
// would clip the decay together with the step.
//
// One difference from PyTorch remains in both modes: a variable in use by g that the loss does
// not depend on gets a zero gradient from GoMLX and is still stepped (its momentum) and decayed,
// where PyTorch skips a parameter whose grad is None.
func ApplyAdam(ctx *context.Context, g *Graph, loss *Node) {
	lr := params.Get[float64](ctx, ParamLearningRate)
	wd := params.Get[float64](ctx, ParamWeightDecay)
	coupled := params.Get[bool](ctx, ParamCoupledWD)
	eps := params.Get[float64](ctx, ParamAdamEpsilon)
	if n := params.Get[int](ctx, ParamWarmupSteps); n > 0 {
		warmUp(ctx, g, lr, n, loss.DType())
	}
	cfg := optimizers.Adam().LearningRate(lr).Betas(0.9, 0.999).Epsilon(eps)
	if coupled {
		if wd > 0 {
			loss = Add(loss, l2Penalty(ctx, g, wd, loss))
		}
	} else {
		cfg = cfg.WeightDecay(wd)
	}
	cfg.Done().UpdateGraph(ctx, g, loss)
}

// l2Penalty is ½·wd·Σ‖θ‖² over the variables GoMLX's Adam updates: both its gradient list
// (Context.BuildTrainableVariablesGradientsGraph) and its update loop take every variable of
// the context that is Trainable and InUseByGraph, so the same test here decays exactly those.
// They are collected before their values are read, so reading cannot change the set.
func l2Penalty(ctx *context.Context, g *Graph, wd float64, loss *Node) *Node {
	var decayed []*context.Variable
	for v := range ctx.IterVariables() {
		if v.Trainable && v.InUseByGraph(g) {
			decayed = append(decayed, v)
		}
	}
	sum := ScalarZero(g, loss.DType())
	for _, v := range decayed {
		x := v.ValueGraph(g)
		if x.DType() != loss.DType() {
			x = ConvertDType(x, loss.DType())
		}
		sum = Add(sum, ReduceAllSum(Square(x)))
	}
	return MulScalar(sum, 0.5*wd)
}
