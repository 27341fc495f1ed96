package bagofids

import (
	"fmt"
	"math"
	"slices"

	"gonum.org/v1/gonum/floats"
	"gonum.org/v1/gonum/optimize"
)

// Model is a multinomial logistic regression over sparse ID features and standardised dense
// ones: logits = x·W + b.
type Model struct {
	Classes, Columns int
	// Dense is the number of dense features of every sample: NumSummary for the bag, more with
	// an encoder's E appended (Bag-of-IDs + E). It is fixed by the samples the model is fitted on.
	Dense int
	// W is [Columns + Dense][Classes], row-major: a sample's few non-zero columns are then a
	// few contiguous rows, not one scattered weight per class (10× faster on big models), and
	// each dense feature is one row the loops add at once.
	W         []float64
	B         []float64 // [Classes]
	Mean, Std []float64 // [Dense]
}

// width is the number of weights per class.
func (m *Model) width() int { return m.Columns + m.Dense }

// denseWidth is the number of dense features that every one of samples has, or an error
// naming the first sample that has another number: a model has one weight row per dense
// feature, so a sample with more or fewer (E of another encoder, or none) cannot be scored.
func denseWidth(samples []Sample, want int) (int, error) {
	for i := range samples {
		if want < 0 {
			want = len(samples[i].Dense)
		}
		if n := len(samples[i].Dense); n != want {
			return 0, fmt.Errorf("bag-of-IDs: sample %d has %d dense features, not %d as the model's: every sample of a model has the same dense features (the same E, or none)", i, n, want)
		}
	}
	return max(want, 0), nil
}

// Penalty is the L2 strength on a model's weights: L2 on those of the ID counts and the
// summary features, E on those of the dense features after the summary ones (an encoder's E in
// Bag-of-IDs + E). Two strengths, because the two blocks differ in kind: a few sparse
// log-counts per user against d standardised values for every user; one strength for both
// would shrink the counts' weights as hard as E's, or E's as little as the counts'.
type Penalty struct{ L2, E float64 }

// Fit trains a model on samples by L-BFGS on the mean cross-entropy plus l2/2·‖W‖² (the
// biases unpenalised), at most maxIter iterations.
//
// Only the columns that some training sample has are fitted: any other column's gradient is
// its penalty's alone, zero at the zero start, so its weights stay exactly 0. Fitting the
// present columns gives the same model for a fraction of the cost, since L-BFGS's work per
// iteration grows with the number of weights (a 50,000-ID vocabulary of which a few thousand
// users touch a third).
func Fit(samples []Sample, classes, columns int, l2 float64, maxIter int) (*Model, error) {
	return FitPenalised(samples, classes, columns, Penalty{L2: l2, E: l2}, maxIter)
}

// FitPenalised is Fit with the penalty L2/2·‖W_counts,summary‖² + E/2·‖W_E‖².
func FitPenalised(samples []Sample, classes, columns int, penalty Penalty, maxIter int) (*Model, error) {
	if len(samples) == 0 {
		return nil, fmt.Errorf("bag-of-IDs: no training sample")
	}
	if _, err := denseWidth(samples, -1); err != nil {
		return nil, err
	}
	present, compact := presentColumns(samples, columns)
	m, err := fitDense(compact, classes, len(present), penalty, maxIter)
	if err != nil {
		return nil, err
	}
	return m.expand(present, columns), nil
}

// presentColumns lists the columns some sample has, increasing, and returns the samples with
// their columns renumbered as indices into that list.
func presentColumns(samples []Sample, columns int) (present []int32, compact []Sample) {
	index := make([]int32, columns)
	for i := range index {
		index[i] = -1
	}
	for _, smp := range samples {
		for _, col := range smp.Index {
			index[col] = 0
		}
	}
	for col, v := range index {
		if v == 0 {
			index[col] = int32(len(present))
			present = append(present, int32(col))
		}
	}
	compact = make([]Sample, len(samples))
	for i, smp := range samples {
		compact[i] = smp
		compact[i].Index = make([]int32, len(smp.Index))
		for k, col := range smp.Index {
			compact[i].Index[k] = index[col]
		}
	}
	return present, compact
}

// expand returns the model over all columns of a model fitted over the present ones (the
// others' weights 0).
func (m *Model) expand(present []int32, columns int) *Model {
	c := m.Classes
	full := &Model{Classes: c, Columns: columns, Dense: m.Dense, B: m.B, Mean: m.Mean, Std: m.Std}
	full.W = make([]float64, c*full.width())
	for k, col := range present {
		copy(full.W[int(col)*c:int(col+1)*c], m.W[k*c:(k+1)*c])
	}
	copy(full.W[columns*c:], m.W[m.Columns*c:])
	return full
}

// fitDense is Fit over every one of the columns.
func fitDense(samples []Sample, classes, columns int, penalty Penalty, maxIter int) (*Model, error) {
	m := &Model{Classes: classes, Columns: columns}
	z := m.standardiser(samples)
	nw := classes * m.width()
	x0 := make([]float64, nw+classes)
	// L-BFGS asks for the loss and then the gradient at the same point: compute both once.
	var lastX, lastGrad []float64
	var lastLoss float64
	eval := func(x []float64) {
		if lastX != nil && slices.Equal(x, lastX) {
			return
		}
		m.W, m.B = x[:nw], x[nw:]
		lastGrad = make([]float64, len(x))
		lastLoss = m.objective(samples, z, penalty, lastGrad)
		lastX = append(lastX[:0], x...)
	}
	p := optimize.Problem{
		Func: func(x []float64) float64 { eval(x); return lastLoss },
		Grad: func(grad, x []float64) { eval(x); copy(grad, lastGrad) },
	}
	res, err := optimize.Minimize(p, x0, &optimize.Settings{MajorIterations: maxIter, GradientThreshold: 1e-6}, &optimize.LBFGS{})
	if err != nil && res == nil {
		return nil, fmt.Errorf("bag-of-IDs: %w", err)
	}
	// Hitting the iteration cap is not a failure: the model is what it reached.
	m.W, m.B = append([]float64(nil), res.X[:nw]...), append([]float64(nil), res.X[nw:]...)
	return m, nil
}

// standardiser sets the dense features' number, mean and standard deviation from samples
// (which denseWidth has checked), and returns the samples' standardised dense features,
// row-major [len(samples)][Dense]. The objective, which L-BFGS evaluates at every step, then
// reads one contiguous block per sample instead of standardising it again (with an encoder's
// E there are d of them per sample, not 3).
func (m *Model) standardiser(samples []Sample) []float64 {
	m.Dense = 0
	if len(samples) > 0 {
		m.Dense = len(samples[0].Dense)
	}
	m.Mean, m.Std = make([]float64, m.Dense), make([]float64, m.Dense)
	for j := range m.Dense {
		var s, ss float64
		for _, smp := range samples {
			s += smp.Dense[j]
			ss += smp.Dense[j] * smp.Dense[j]
		}
		n := float64(len(samples))
		m.Mean[j] = s / n
		m.Std[j] = math.Sqrt(max(ss/n-m.Mean[j]*m.Mean[j], 0))
		if m.Std[j] < 1e-9 {
			m.Std[j] = 1
		}
	}
	z := make([]float64, len(samples)*m.Dense)
	for i := range samples {
		m.standardise(samples[i].Dense, z[i*m.Dense:(i+1)*m.Dense])
	}
	return z
}

// standardise writes the standardised values of dense features x into z.
func (m *Model) standardise(x, z []float64) {
	for d, v := range x {
		z[d] = (v - m.Mean[d]) / m.Std[d]
	}
}

// logits writes into out the logits of a sample with standardised dense features z.
// floats.AddScaled adds a weight row times a feature in one vectorised call (the same sums in
// the same order as a plain loop, so the same model to the last bit).
func (m *Model) logits(smp *Sample, z []float64, out []float64) {
	c := m.Classes
	copy(out, m.B)
	for k, col := range smp.Index {
		floats.AddScaled(out, float64(smp.Value[k]), m.W[int(col)*c:int(col+1)*c])
	}
	dense := m.W[m.Columns*c:]
	for d, v := range z {
		floats.AddScaled(out, v, dense[d*c:(d+1)*c])
	}
}

// softmax turns logits into probabilities in place.
func softmax(z []float64) {
	top := math.Inf(-1)
	for _, v := range z {
		top = max(top, v)
	}
	var sum float64
	for i, v := range z {
		z[i] = math.Exp(v - top)
		sum += z[i]
	}
	for i := range z {
		z[i] /= sum
	}
}

// objective is the mean cross-entropy of samples (label < 0 skipped; z their standardised
// dense features, see standardiser) plus the L2 penalty; with grad non-nil it also writes the
// gradient (W's, then B's).
func (m *Model) objective(samples []Sample, z []float64, pen Penalty, grad []float64) float64 {
	if grad != nil {
		clear(grad)
	}
	p := make([]float64, m.Classes)
	loss, n := 0.0, 0
	for i := range samples {
		smp := &samples[i]
		if smp.Label < 0 {
			continue
		}
		n++
		zi := z[i*m.Dense : (i+1)*m.Dense]
		m.logits(smp, zi, p)
		softmax(p)
		loss -= math.Log(max(p[smp.Label], 1e-300))
		if grad == nil {
			continue
		}
		p[smp.Label]-- // d loss / d logits
		c := m.Classes
		for k, col := range smp.Index {
			floats.AddScaled(grad[int(col)*c:int(col+1)*c], float64(smp.Value[k]), p)
		}
		dense := grad[m.Columns*c:]
		for d, v := range zi {
			floats.AddScaled(dense[d*c:(d+1)*c], v, p)
		}
		for j, d := range p {
			grad[len(m.W)+j] += d
		}
	}
	if n == 0 {
		return 0
	}
	inv := 1 / float64(n)
	loss *= inv
	// The weights of the counts and the summary features, then E's (past the summary rows).
	// With one strength for both, one sum, as before E had its own.
	split := min(len(m.W), (m.Columns+NumSummary)*m.Classes)
	if pen.E == pen.L2 {
		split = len(m.W)
	}
	var counts, e float64
	for _, v := range m.W[:split] {
		counts += v * v
	}
	for _, v := range m.W[split:] {
		e += v * v
	}
	loss += pen.L2/2*counts + pen.E/2*e
	if grad != nil {
		for i := range grad {
			grad[i] *= inv
		}
		for i, v := range m.W[:split] {
			grad[i] += pen.L2 * v
		}
		for i, v := range m.W[split:] {
			grad[split+i] += pen.E * v
		}
	}
	return loss
}

// Predict returns the class probabilities of every sample, or an error when a sample has not
// the model's number of dense features.
func (m *Model) Predict(samples []Sample) ([][]float64, error) {
	if _, err := denseWidth(samples, m.Dense); err != nil {
		return nil, err
	}
	out := make([][]float64, len(samples))
	z := make([]float64, m.Dense)
	for i := range samples {
		out[i] = make([]float64, m.Classes)
		m.standardise(samples[i].Dense, z)
		m.logits(&samples[i], z, out[i])
		softmax(out[i])
	}
	return out, nil
}
