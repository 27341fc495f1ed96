package train

import "math"

// Whether a run has trained to its best is judged from its loss curve: a loss still falling
// fast at the end says more steps would change the model, so scores of it are those of an
// unfinished model. The test is deliberately simple, so that a reader can redo it by hand:
// fit a straight line to the loss over the last tenth of the steps, project the drop that
// line makes over that tenth, and compare it with the whole run's drop so far.

// UndertrainedShare is the share of a run's loss decrease that its last tenth of steps may
// still make before the run counts as undertrained. A loss decaying exponentially makes
// about 3.5% of its decrease in the last tenth of a run two time constants long, and 1.8% in
// one three time constants long; a run whose loss is still falling in a straight line makes
// 10%.
const UndertrainedShare = 0.03

// Convergence summarises the end of a loss curve.
type Convergence struct {
	Steps int // points in the curve
	// TailDrop is the decrease of the fitted line over the last tenth of the steps as a share
	// of the run's decrease so far (the mean of its first twentieth minus the line's end);
	// negative when the loss rises at the end. NaN with too few points or no decrease.
	TailDrop float64
	// Significant: the tail's slope is more than three standard errors from zero, so the drop
	// is not batch-to-batch noise.
	Significant bool
}

// Undertrained reports a run whose loss is still falling fast: significantly, and by more
// than UndertrainedShare of its decrease in its last tenth.
func (c Convergence) Undertrained() bool {
	return c.Significant && c.TailDrop > UndertrainedShare
}

// minCurve is the fewest loss points the test judges (ten in the tail).
const minCurve = 100

// LossConvergence judges a loss curve (one value per step, in order).
func LossConvergence(losses []float64) Convergence {
	n := len(losses)
	c := Convergence{Steps: n, TailDrop: math.NaN()}
	if n < minCurve {
		return c
	}
	tail := losses[n-n/10:]
	slope, se := lineFit(tail)
	end := mean(tail) + slope*float64(len(tail)-1)/2 // the line's value at the last step
	total := mean(losses[:max(1, n/20)]) - end
	if total <= 0 {
		return c
	}
	c.TailDrop = -slope * float64(len(tail)) / total
	c.Significant = se > 0 && math.Abs(slope) > 3*se || se == 0 && slope != 0
	return c
}

// lineFit is the least-squares slope of y against its index, and its standard error.
func lineFit(y []float64) (slope, stderr float64) {
	n := float64(len(y))
	mx, my := (n-1)/2, mean(y)
	var sxx, sxy float64
	for i, v := range y {
		dx := float64(i) - mx
		sxx += dx * dx
		sxy += dx * (v - my)
	}
	slope = sxy / sxx
	var rss float64
	for i, v := range y {
		r := v - my - slope*(float64(i)-mx)
		rss += r * r
	}
	if len(y) > 2 {
		stderr = math.Sqrt(rss / (n - 2) / sxx)
	}
	return slope, stderr
}

func mean(v []float64) float64 {
	s := 0.0
	for _, x := range v {
		s += x
	}
	return s / float64(len(v))
}
