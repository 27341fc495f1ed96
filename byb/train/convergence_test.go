package train

import (
	"math"
	"math/rand/v2"
	"testing"
)

func TestLossConvergenceByHand(t *testing.T) {
	curve := func(n int, f func(i int) float64) []float64 {
		out := make([]float64, n)
		for i := range out {
			out[i] = f(i)
		}
		return out
	}
	// A straight line 10 − 0.01·i over 200 steps: the tail (last 20 steps) has slope −0.01
	// with no residual, so it drops 0.2; the line ends at 8.01, the first 10 steps average
	// 9.955, so the run dropped 1.945 and the tail made 0.2 / 1.945 = 10.28% of it.
	line := LossConvergence(curve(200, func(i int) float64 { return 10 - 0.01*float64(i) }))
	if math.Abs(line.TailDrop-0.2/1.945) > 1e-9 || !line.Significant || !line.Undertrained() {
		t.Errorf("straight line: %+v, want tail drop %.6f, undertrained", line, 0.2/1.945)
	}
	// 1 + e^(−i/20) over 200 steps (ten time constants): the tail's drop is about
	// e^(−9)·(1 − e^(−1)) ≈ 7.8e-5 of a total of about 0.9: flat.
	exp := LossConvergence(curve(200, func(i int) float64 { return 1 + math.Exp(-float64(i)/20) }))
	if exp.TailDrop <= 0 || exp.TailDrop > 2e-4 || exp.Undertrained() {
		t.Errorf("decayed exponential: %+v, want a tail drop near 1e-4, not undertrained", exp)
	}
	// The same decay stopped after one time constant (20 steps of 200 → 200 steps of τ=200):
	// the tail still makes e^(−0.9) − e^(−1) ≈ 0.0387 of 0.63 ≈ 6%.
	short := LossConvergence(curve(200, func(i int) float64 { return 1 + math.Exp(-float64(i)/200) }))
	if short.TailDrop < 0.05 || short.TailDrop > 0.07 || !short.Undertrained() {
		t.Errorf("one time constant: %+v, want a tail drop near 0.06, undertrained", short)
	}
	// Noise around a plateau after a drop: the tail's slope is not distinguishable from 0.
	rng := rand.New(rand.NewPCG(1, 2))
	noisy := LossConvergence(curve(300, func(i int) float64 {
		base := 2.0
		if i < 30 {
			base = 5 - 0.1*float64(i)
		}
		return base + 0.3*(rng.Float64()-0.5)
	}))
	if noisy.Undertrained() {
		t.Errorf("noisy plateau: %+v, not undertrained", noisy)
	}
	// A loss that rises at the end (BYB's teacher moving away) is not undertrained.
	rising := LossConvergence(curve(200, func(i int) float64 { return 5 - 0.02*float64(i) + 0.0004*float64(i*i)/2 }))
	if rising.TailDrop >= 0 || rising.Undertrained() {
		t.Errorf("rising tail: %+v", rising)
	}
	// Too short to judge.
	if c := LossConvergence(curve(50, func(i int) float64 { return 10 - float64(i) })); !math.IsNaN(c.TailDrop) || c.Undertrained() {
		t.Errorf("50 steps: %+v, want NaN, not judged", c)
	}
}
