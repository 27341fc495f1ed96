package objective_test

import (
	"math"
	"testing"

	"github.com/byb-dev/byb/byb/engine"
	"github.com/byb-dev/byb/byb/objective"
	"github.com/gomlx/gomlx/backends"
	. "github.com/gomlx/gomlx/pkg/core/graph" //nolint:revive
)

func goBackend(t *testing.T) backends.Backend {
	t.Helper()
	b, _, err := engine.OpenConfig(engine.PureGo)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func softmax(x []float64, tau float64) []float64 {
	out := make([]float64, len(x))
	s := 0.0
	for i, v := range x {
		out[i] = math.Exp(v / tau)
		s += out[i]
	}
	for i := range out {
		out[i] /= s
	}
	return out
}

// CE (Eq. 10) and MSE (Eq. 11) on two 3-dim rows, by hand.
func TestLossesMatchHand(t *testing.T) {
	pred := [][]float64{{0.1, -0.2, 0.3}, {1, 0, -1}}
	target := [][]float64{{0.0, 0.5, -0.5}, {0.2, 0.2, 0.1}}
	const tau = 0.1
	var wantCE, wantMSE [2]float64
	for r := range pred {
		p, q := softmax(target[r], tau), softmax(pred[r], tau)
		for i := range p {
			wantCE[r] -= p[i] * math.Log(q[i])
			wantMSE[r] += (pred[r][i] - target[r][i]) * (pred[r][i] - target[r][i]) / 3
		}
	}
	b := goBackend(t)
	out := MustExecOnceN(b, func(p, q *Node) []*Node {
		return []*Node{objective.SoftCrossEntropy(p, q, tau), objective.MeanSquaredError(p, q)}
	}, pred, target)
	ce, mse := out[0].Value().([]float64), out[1].Value().([]float64)
	for r := range 2 {
		if math.Abs(ce[r]-wantCE[r]) > 1e-9 || math.Abs(mse[r]-wantMSE[r]) > 1e-12 {
			t.Errorf("row %d: CE %g want %g, MSE %g want %g", r, ce[r], wantCE[r], mse[r], wantMSE[r])
		}
	}
}

// A masked position does not contribute: changing its target leaves the loss unchanged, and
// the loss is the mean over valid positions only.
func TestMaskedPrefixesDoNotContribute(t *testing.T) {
	b := goBackend(t)
	byb := &objective.BYB{LossKind: "ce", Tau: 0.1}
	pred := [][][]float32{{{0.1, 0.2}, {0.3, -0.1}, {0.5, 0.5}}}
	target := [][][]float32{{{1, 0}, {0, 1}, {0.2, 0.3}}}
	valid := [][]float32{{1, 0, 1}}
	loss := func(target [][][]float32) float32 {
		return MustExecOnce(b, func(p, q, v *Node) *Node { return byb.PositionLoss(p, q, v) }, pred, target, valid).Value().(float32)
	}
	l1 := loss(target)
	target[0][1] = []float32{100, -100}
	if l2 := loss(target); l2 != l1 {
		t.Fatalf("loss changed from %v to %v when a masked target changed", l1, l2)
	}
	per := MustExecOnce(b, func(p, q *Node) *Node { return objective.SoftCrossEntropy(p, q, 0.1) }, pred, target).Value().([][]float32)
	if want := (per[0][0] + per[0][2]) / 2; math.Abs(float64(l1-want)) > 1e-6 {
		t.Fatalf("loss %v, want the mean over valid positions %v", l1, want)
	}
}

// AheadWindows: with ΔT2 = 2 over L = 3 input windows and the 2 windows after them, position
// k sums windows k+1 and k+2, the last input position the two windows after the input.
func TestAheadWindows(t *testing.T) {
	b := goBackend(t)
	sums := [][][]float32{{{1}, {2}, {4}, {8}, {16}}}
	counts := [][]float32{{1, 1, 0, 2, 1}}
	out := MustExecOnceN(b, func(s, c *Node) []*Node {
		as, ac := objective.AheadWindows(s, c, 2)
		return []*Node{as, ac}
	}, sums, counts)
	as, ac := out[0].Value().([][][]float32), out[1].Value().([][]float32)
	wantS := []float32{2 + 4, 4 + 8, 8 + 16}
	wantC := []float32{1, 2, 3}
	if len(as[0]) != 3 || len(ac[0]) != 3 {
		t.Fatalf("got %d positions, want 3", len(as[0]))
	}
	for k := range 3 {
		if as[0][k][0] != wantS[k] || ac[0][k] != wantC[k] {
			t.Errorf("position %d: sum %v count %v, want %v %v", k, as[0][k][0], ac[0][k], wantS[k], wantC[k])
		}
	}
}
