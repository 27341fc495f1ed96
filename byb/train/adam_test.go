package train_test

import (
	"fmt"
	"math"
	"testing"

	"github.com/byb-dev/byb/byb/engine"
	"github.com/byb-dev/byb/byb/train"
	. "github.com/gomlx/gomlx/pkg/core/graph" //nolint:revive // GoMLX convention
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/gomlx/gomlx/pkg/ml/context"
)

// The toy problem: a of shape [2] and b of shape [2,2] (flattened after a in every []float64
// below), loss = Σ ca·a + Σ (½·sb·b² + cb·b), so ∂loss/∂a = ca and ∂loss/∂b = sb·b + cb.
//
// Adam is nearly blind to a per-coordinate scale of the gradient, and coupled decay on a purely
// quadratic loss would only be such a scale (sb·b + wd·b): the offsets cb and ca[1], and a
// learning rate large enough to move θ a lot in a few steps, make the size of the coupled
// decay (not only its presence) show in θ.
//
// ca[0] = 1e-6 keeps that gradient close enough to epsilon that Adam's step on a[0],
// lr·g/(|g|+ε), is about 0.99·lr with ε = 1e-8 but 0.91·lr with GoMLX's default 1e-7: without
// weight decay (where nothing adds to that gradient) the wrong epsilon misses by far more than
// the tolerance, which TestAdamStepsMatchHandComputed checks on the reference itself.
var (
	adamA0 = []float32{0.5, -1.5}
	adamB0 = [][]float32{{1, -0.25}, {2, 0.75}}
	adamCA = []float64{1e-6, -3e-2}
	adamSB = []float64{1, 0.5, 2, 4}
	adamCB = []float64{0.3, -0.2, -1, 0.5}
)

const (
	adamLR    = 0.1
	adamWD    = 0.1 // large, so the decay moves the variables well beyond the tolerance
	adamSteps = 3
	adamTol   = 1e-6 // relative to max(1, |want|): the graph runs in float32
)

func adamTheta0() []float64 {
	out := make([]float64, 0, 6)
	for _, x := range adamA0 {
		out = append(out, float64(x))
	}
	for _, row := range adamB0 {
		for _, x := range row {
			out = append(out, float64(x))
		}
	}
	return out
}

func adamGrad(theta []float64) []float64 {
	g := make([]float64, len(theta))
	g[0], g[1] = adamCA[0], adamCA[1]
	for i := range adamSB {
		g[2+i] = adamSB[i]*theta[2+i] + adamCB[i]
	}
	return g
}

func adamLoss(theta []float64) float64 {
	l := adamCA[0]*theta[0] + adamCA[1]*theta[1]
	for i := range adamSB {
		l += 0.5*adamSB[i]*theta[2+i]*theta[2+i] + adamCB[i]*theta[2+i]
	}
	return l
}

// adamReference is PyTorch's Adam (coupled: g ← g + wd·θ) or AdamW (θ ← θ·(1 − lr·wd), then
// the Adam step), in float64, with bias correction; it returns θ after each step.
func adamReference(theta0 []float64, lr, wd, eps float64, coupled bool, steps int) [][]float64 {
	const beta1, beta2 = 0.9, 0.999
	theta := append([]float64(nil), theta0...)
	m := make([]float64, len(theta))
	v := make([]float64, len(theta))
	var out [][]float64
	for t := 1; t <= steps; t++ {
		g := adamGrad(theta)
		for i := range theta {
			if coupled {
				g[i] += wd * theta[i]
			} else {
				theta[i] *= 1 - lr*wd
			}
			m[i] = beta1*m[i] + (1-beta1)*g[i]
			v[i] = beta2*v[i] + (1-beta2)*g[i]*g[i]
			mHat := m[i] / (1 - math.Pow(beta1, float64(t)))
			vHat := v[i] / (1 - math.Pow(beta2, float64(t)))
			theta[i] -= lr * mHat / (math.Sqrt(vHat) + eps)
		}
		out = append(out, append([]float64(nil), theta...))
	}
	return out
}

// maxRelDiff is the largest |x−y| / max(1, |y|).
func maxRelDiff(x, y []float64) float64 {
	d := 0.0
	for i := range x {
		d = max(d, math.Abs(x[i]-y[i])/max(1, math.Abs(y[i])))
	}
	return d
}

func flat(t *testing.T, v *context.Variable) []float64 {
	t.Helper()
	var out []float64
	for _, x := range tensors.MustCopyFlatData[float32](v.MustValue()) {
		out = append(out, float64(x))
	}
	return out
}

// adamToy holds the toy problem's context, with a frozen (non-trainable) variable the loss reads
// and a trainable variable the graph never touches.
type adamToy struct {
	ctx                  *context.Context
	a, b, frozen, unused *context.Variable
	exec                 *context.Exec
}

func newAdamToy(t *testing.T, wd float64, coupled bool) *adamToy {
	t.Helper()
	ctx := context.New()
	train.SetDefaults(ctx)
	ctx.SetParams(map[string]any{train.ParamLearningRate: adamLR, train.ParamWeightDecay: wd,
		train.ParamCoupledWD: coupled})
	m := ctx.In("m")
	toy := &adamToy{ctx: ctx,
		a:      m.VariableWithValue("a", adamA0),
		b:      m.VariableWithValue("b", adamB0),
		frozen: m.VariableWithValue("frozen", []float32{3, -4}).SetTrainable(false),
		unused: m.VariableWithValue("unused", []float32{5, -6}),
	}
	exec, err := context.NewExec(backend(t, engine.PureGo), ctx, func(ctx *context.Context, g *Graph) *Node {
		ca := Const(g, []float32{float32(adamCA[0]), float32(adamCA[1])})
		sb := Const(g, [][]float32{{float32(adamSB[0]), float32(adamSB[1])}, {float32(adamSB[2]), float32(adamSB[3])}})
		cb := Const(g, [][]float32{{float32(adamCB[0]), float32(adamCB[1])}, {float32(adamCB[2]), float32(adamCB[3])}})
		b := toy.b.ValueGraph(g)
		loss := Add(ReduceAllSum(Mul(ca, toy.a.ValueGraph(g))),
			ReduceAllSum(Add(MulScalar(Mul(sb, Square(b)), 0.5), Mul(cb, b))))
		// The frozen variable's term does not depend on a or b: it only puts it in use by g.
		loss = Add(loss, MulScalar(ReduceAllSum(toy.frozen.ValueGraph(g)), 0))
		train.ApplyAdam(ctx, g, loss)
		return loss
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(exec.Finalize)
	toy.exec = exec
	return toy
}

// step runs one training step and returns the loss it reported.
func (toy *adamToy) step(t *testing.T) float64 {
	t.Helper()
	out, err := toy.exec.Exec()
	if err != nil {
		t.Fatal(err)
	}
	return float64(tensors.ToScalar[float32](out[0]))
}

func (toy *adamToy) theta(t *testing.T) []float64 {
	return append(flat(t, toy.a), flat(t, toy.b)...)
}

func TestAdamStepsMatchHandComputed(t *testing.T) {
	theta0 := adamTheta0()
	cases := []struct {
		name    string
		wd      float64
		coupled bool
	}{
		{"no_weight_decay", 0, true},
		{"coupled_weight_decay", adamWD, true},
		{"decoupled_weight_decay", adamWD, false},
	}
	refs := map[string][][]float64{}
	for _, c := range cases {
		refs[c.name] = adamReference(theta0, adamLR, c.wd, 1e-8, c.coupled, adamSteps)
	}

	// The cases must be told apart by the comparison below, or it could not catch a wrong
	// epsilon or the decay in the wrong mode (or in none).
	last := adamSteps - 1
	distinct := map[string][]float64{
		"epsilon 1e-7":           adamReference(theta0, adamLR, 0, 1e-7, true, adamSteps)[last],
		"coupled as decoupled":   adamReference(theta0, adamLR, adamWD, 1e-8, false, adamSteps)[last],
		"decoupled as coupled":   adamReference(theta0, adamLR, adamWD, 1e-8, true, adamSteps)[last],
		"decay ignored":          refs["no_weight_decay"][last],
		"decoupled decay missed": refs["no_weight_decay"][last],
		"coupled decay doubled":  adamReference(theta0, adamLR, 2*adamWD, 1e-8, true, adamSteps)[last],
		"coupled decay halved":   adamReference(theta0, adamLR, adamWD/2, 1e-8, true, adamSteps)[last],
	}
	against := map[string]string{"epsilon 1e-7": "no_weight_decay", "coupled as decoupled": "coupled_weight_decay",
		"decoupled as coupled": "decoupled_weight_decay", "decay ignored": "coupled_weight_decay",
		"decoupled decay missed": "decoupled_weight_decay", "coupled decay doubled": "coupled_weight_decay",
		"coupled decay halved": "coupled_weight_decay"}
	for wrong, x := range distinct {
		if d := maxRelDiff(x, refs[against[wrong]][last]); d < 100*adamTol {
			t.Fatalf("reference for %q is within %g of %s: the test could not see that mistake", wrong, d, against[wrong])
		}
	}

	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			toy := newAdamToy(t, c.wd, c.coupled)
			prev := theta0
			for s, want := range refs[c.name] {
				loss := toy.step(t)
				// The reported loss is the objective's, without the coupled L2 penalty.
				if wantLoss := adamLoss(prev); math.Abs(loss-wantLoss) > adamTol*max(1, math.Abs(wantLoss)) {
					t.Errorf("step %d: loss %.9g, want %.9g", s+1, loss, wantLoss)
				}
				got := toy.theta(t)
				if d := maxRelDiff(got, want); d > adamTol {
					t.Errorf("step %d: θ = %v, want %v (max relative difference %g)", s+1, got, want, d)
				}
				prev = want
			}
		})
	}
}

// TestAdamWeightDecayOnlyUpdatedVariables: a non-trainable variable the graph reads, and a
// trainable one the graph does not use, are neither stepped nor decayed, in either mode, and
// get no Adam moments.
func TestAdamWeightDecayOnlyUpdatedVariables(t *testing.T) {
	for _, coupled := range []bool{true, false} {
		t.Run(fmt.Sprintf("coupled=%v", coupled), func(t *testing.T) {
			toy := newAdamToy(t, adamWD, coupled)
			want := adamReference(adamTheta0(), adamLR, adamWD, 1e-8, coupled, adamSteps)
			for s := range adamSteps {
				toy.step(t)
				if got := toy.theta(t); maxRelDiff(got, want[s]) > adamTol {
					t.Fatalf("step %d: trained θ = %v, want %v", s+1, got, want[s])
				}
				for _, fixed := range []struct {
					v    *context.Variable
					want []float64
				}{{toy.frozen, []float64{3, -4}}, {toy.unused, []float64{5, -6}}} {
					if got := flat(t, fixed.v); got[0] != fixed.want[0] || got[1] != fixed.want[1] {
						t.Errorf("step %d: %s = %v, want it untouched at %v", s+1, fixed.v.Name(), got, fixed.want)
					}
				}
			}
			for _, name := range []string{"frozen", "unused"} {
				for _, moment := range []string{"_1st_moment", "_2nd_moment"} {
					if v := toy.ctx.GetVariableByScopeAndName("/AdamOptimizer/m", name+moment); v != nil {
						t.Errorf("Adam created %s%s for a variable it must not update", name, moment)
					}
				}
			}
			if v := toy.ctx.GetVariableByScopeAndName("/AdamOptimizer/m", "a_1st_moment"); v == nil {
				t.Errorf("no /AdamOptimizer/m/a_1st_moment: the moments' scope changed, so the check above proves nothing")
			}
		})
	}
}
