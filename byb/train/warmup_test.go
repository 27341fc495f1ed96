package train_test

import (
	"math"
	"path/filepath"
	"testing"

	"github.com/byb-dev/byb/byb/engine"
	"github.com/byb-dev/byb/byb/train"
	. "github.com/gomlx/gomlx/pkg/core/graph" //nolint:revive // GoMLX convention
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/gomlx/gomlx/pkg/ml/context"
	"github.com/gomlx/gomlx/pkg/ml/context/checkpoints"
)

// With a constant gradient Adam's debiased moments are exactly g and g², so a step moves θ by
// lr_t·g/(|g|+ε): the loss θ (g = 1) turns each step's move into its learning rate, to 1e-8.
// warmup_steps=4 at learning_rate 0.1 gives 0.025, 0.05 (N/2), 0.075, 0.1 (N), then 0.1
// (N+1); a run checkpointed after step 2 and restored into a new context resumes at 0.075;
// warmup_steps=0 is the constant rate from step 1.
func TestWarmupLearningRate(t *testing.T) {
	const lr, n = 0.1, 4
	b := backend(t, engine.PureGo)
	newRun := func(ctx *context.Context) (*context.Exec, *context.Variable) {
		theta := ctx.Checked(false).In("m").VariableWithValue("theta", float32(0)) // a restored context has it
		return context.MustNewExec(b, ctx, func(ctx *context.Context, g *Graph) *Node {
			loss := theta.ValueGraph(g)
			train.ApplyAdam(ctx, g, loss)
			return loss
		}), theta
	}
	newContext := func(warmup int) *context.Context {
		ctx := context.New()
		train.SetDefaults(ctx)
		ctx.SetParams(map[string]any{train.ParamLearningRate: lr, train.ParamWeightDecay: 0.0, train.ParamWarmupSteps: warmup})
		return ctx
	}
	// steps runs k steps and returns each one's move of θ.
	steps := func(exec *context.Exec, theta *context.Variable, k int) []float64 {
		var moves []float64
		for range k {
			before := tensors.ToScalar[float32](theta.MustValue())
			exec.MustExec()
			moves = append(moves, float64(before-tensors.ToScalar[float32](theta.MustValue())))
		}
		return moves
	}
	check := func(what string, got, want []float64) {
		t.Helper()
		for i := range want {
			if math.Abs(got[i]-want[i]) > 1e-6 {
				t.Fatalf("%s: learning rates %v, want %v", what, got, want)
			}
		}
	}

	exec, theta := newRun(newContext(n))
	check("warm-up", steps(exec, theta, n+1), []float64{lr / 4, lr / 2, 3 * lr / 4, lr, lr})

	dir := filepath.Join(t.TempDir(), "ckpt")
	ctx := newContext(n)
	exec, theta = newRun(ctx)
	check("before the checkpoint", steps(exec, theta, 2), []float64{lr / 4, lr / 2})
	ckpt, err := checkpoints.Build(ctx).Dir(dir).Done()
	if err != nil {
		t.Fatal(err)
	}
	if err := ckpt.Save(); err != nil {
		t.Fatal(err)
	}
	restored := newContext(n)
	if _, err := checkpoints.Build(restored).Dir(dir).Done(); err != nil {
		t.Fatal(err)
	}
	exec, theta = newRun(restored)
	check("resumed", steps(exec, theta, 3), []float64{3 * lr / 4, lr, lr})

	exec, theta = newRun(newContext(0))
	check("no warm-up", steps(exec, theta, 2), []float64{lr, lr})
}
