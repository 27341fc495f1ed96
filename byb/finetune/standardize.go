package finetune

import (
	"fmt"
	"math"

	. "github.com/gomlx/gomlx/pkg/core/graph" //nolint:revive // GoMLX convention
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/gomlx/gomlx/pkg/ml/context"
)

// A frozen encoder's E is standardised before the head: (E − mean) / std per dimension, with
// the mean and std of the training samples, fixed while the head trains (the peer's probe
// does the same; MAE's linear probe uses a BatchNorm without affine for the same reason).
// Without it the probe compares feature scales as much as features: self-supervised
// encoders shrink or grow their output's spread (BYB's shrinks as it partly collapses),
// and a head trained for a few epochs at a fixed learning rate then underfits one encoder
// and not the other. Unfrozen finetuning changes E as it trains, so it has no fixed scaler.
const (
	standardizeScope = "standardize"
	stdEpsilon       = 1e-6
)

// standardize applies the stored scaler to e [B,d].
func standardize(ctx *context.Context, e *Node) *Node {
	sctx := ctx.In(standardizeScope)
	mean, scale := sctx.GetVariable("mean"), sctx.GetVariable("inv_std")
	if mean == nil || scale == nil {
		panic(fmt.Sprintf("finetune: the frozen head's scaler (%s) was not fitted", sctx.Scope()))
	}
	g := e.Graph()
	m := BroadcastToShape(InsertAxes(mean.ValueGraph(g), 0), e.Shape())
	s := BroadcastToShape(InsertAxes(scale.ValueGraph(g), 0), e.Shape())
	return Mul(Sub(e, m), s)
}

// setScaler stores the per-dimension mean and 1/std of the training samples' E x under
// head/standardize.
func setScaler(ctx *context.Context, x [][]float32) {
	sum, sumSq := make([]float64, len(x[0])), make([]float64, len(x[0]))
	for _, row := range x {
		for j, v := range row {
			sum[j] += float64(v)
			sumSq[j] += float64(v) * float64(v)
		}
	}
	mean, inv := scalerFrom(sum, sumSq, len(x))
	sctx := ctx.In(HeadScope).In(standardizeScope).Checked(false)
	sctx.VariableWithValue("mean", tensors.FromValue(mean)).SetTrainable(false)
	sctx.VariableWithValue("inv_std", tensors.FromValue(inv)).SetTrainable(false)
}

// scalerFrom turns sums into the mean and 1/(std+ε) (population std) per dimension.
func scalerFrom(sum, sumSq []float64, n int) (mean, invStd []float32) {
	mean, invStd = make([]float32, len(sum)), make([]float32, len(sum))
	for j := range sum {
		m := sum[j] / float64(n)
		v := max(sumSq[j]/float64(n)-m*m, 0)
		mean[j] = float32(m)
		invStd[j] = float32(1 / (math.Sqrt(v) + stdEpsilon))
	}
	return mean, invStd
}
