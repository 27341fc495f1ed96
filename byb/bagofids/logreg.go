package bagofids

import (
	"fmt"
	"math"
	"slices"

	"gonum.org/v1/gonum/optimize"
)

// Model is a multinomial logistic regression over sparse ID features and standardised dense
// ones: logits = x·W + b.
type Model struct {
	Classes, Columns int
	// W is [Columns + NumDense][Classes], row-major: a sample's few non-zero columns are then
	// a few contiguous rows, not one scattered weight per class (10× faster on big models).
	W         []float64
	B         []float64 // [Classes]
	Mean, Std [NumDense]float64
}

// width is the number of weights per class.
func (m *Model) width() int { return m.Columns + NumDense }

// Fit trains a model on samples by L-BFGS on the mean cross-entropy plus l2/2·‖W‖² (the
// biases unpenalised), at most maxIter iterations.
//
// Only the columns that some training sample has are fitted: any other column's gradient is
// its penalty's alone, zero at the zero start, so its weights stay exactly 0. Fitting the
// present columns gives the same model for a fraction of the cost, since L-BFGS's work per
// iteration grows with the number of weights (a 50,000-ID vocabulary of which a few thousand
// users touch a third).
func Fit(samples []Sample, classes, columns int, l2 float64, maxIter int) (*Model, error) {
	if len(samples) == 0 {
		return nil, fmt.Errorf("bag-of-IDs: no training sample")
	}
	present, compact := presentColumns(samples, columns)
	m, err := fitDense(compact, classes, len(present), l2, maxIter)
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
	full := &Model{Classes: c, Columns: columns, B: m.B, Mean: m.Mean, Std: m.Std}
	full.W = make([]float64, c*full.width())
	for k, col := range present {
		copy(full.W[int(col)*c:int(col+1)*c], m.W[k*c:(k+1)*c])
	}
	copy(full.W[columns*c:], m.W[m.Columns*c:])
	return full
}

// fitDense is Fit over every one of the columns.
func fitDense(samples []Sample, classes, columns int, l2 float64, maxIter int) (*Model, error) {
	m := &Model{Classes: classes, Columns: columns}
	m.standardiser(samples)
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
		lastLoss = m.objective(samples, l2, lastGrad)
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

// standardiser sets the dense features' mean and standard deviation from samples.
func (m *Model) standardiser(samples []Sample) {
	for j := range NumDense {
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
}

// logits writes the sample's logits into out.
func (m *Model) logits(smp *Sample, out []float64) {
	c := m.Classes
	copy(out, m.B)
	for k, col := range smp.Index {
		v := float64(smp.Value[k])
		for j, w := range m.W[int(col)*c : int(col+1)*c] {
			out[j] += w * v
		}
	}
	for d := range NumDense {
		v := (smp.Dense[d] - m.Mean[d]) / m.Std[d]
		row := m.Columns + d
		for j, w := range m.W[row*c : (row+1)*c] {
			out[j] += w * v
		}
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

// objective is the mean cross-entropy of samples (label < 0 skipped) plus the L2 penalty; with
// grad non-nil it also writes the gradient (W's, then B's).
func (m *Model) objective(samples []Sample, l2 float64, grad []float64) float64 {
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
		m.logits(smp, p)
		softmax(p)
		loss -= math.Log(max(p[smp.Label], 1e-300))
		if grad == nil {
			continue
		}
		p[smp.Label]-- // d loss / d logits
		c := m.Classes
		for k, col := range smp.Index {
			v := float64(smp.Value[k])
			g := grad[int(col)*c : int(col+1)*c]
			for j, d := range p {
				g[j] += d * v
			}
		}
		for dd := range NumDense {
			v := (smp.Dense[dd] - m.Mean[dd]) / m.Std[dd]
			row := m.Columns + dd
			g := grad[row*c : (row+1)*c]
			for j, d := range p {
				g[j] += d * v
			}
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
	var penalty float64
	for _, v := range m.W {
		penalty += v * v
	}
	loss += l2 / 2 * penalty
	if grad != nil {
		for i := range grad {
			grad[i] *= inv
		}
		for i, v := range m.W {
			grad[i] += l2 * v
		}
	}
	return loss
}

// Predict returns the class probabilities of every sample.
func (m *Model) Predict(samples []Sample) [][]float64 {
	out := make([][]float64, len(samples))
	for i := range samples {
		out[i] = make([]float64, m.Classes)
		m.logits(&samples[i], out[i])
		softmax(out[i])
	}
	return out
}
