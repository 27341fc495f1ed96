// Package tsne is exact t-SNE (van der Maaten and Hinton, 2008) for the few thousand
// embeddings a figure shows (the paper's Figure 6): the affinities P are calibrated on the
// host, one binary search per point, and the O(N²) gradient descent on the 2-D map runs as a
// GoMLX graph, so it uses the same engine (XLA CPU or CUDA, or the pure-Go fallback) as the
// rest of byb. No Go t-SNE module is served here; this follows the paper's algorithm with the
// optimisation schedule of its reference implementation (early exaggeration, momentum
// 0.5 → 0.8, per-parameter gains).
package tsne

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/gomlx/gomlx/backends"
	. "github.com/gomlx/gomlx/pkg/core/graph" //nolint:revive // GoMLX convention
	"github.com/gomlx/gomlx/pkg/core/tensors"
)

// Options of a t-SNE run; the zero value of a field takes its default.
type Options struct {
	Perplexity        float64 // effective number of neighbours: 30 (capped at (N-1)/3)
	Iterations        int     // gradient steps: 1000
	LearningRate      float64 // max(N / EarlyExaggeration / 4, 50), scikit-learn's "auto" (Belkina et al., 2019): a fixed 200 oscillates on a few dozen points
	EarlyExaggeration float64 // P is multiplied by this for the first ExaggerationIters steps: 12
	ExaggerationIters int     // 250
	Seed              uint64  // the map's random initialisation
}

func (o Options) withDefaults(n int) Options {
	if o.Perplexity == 0 {
		o.Perplexity = 30
	}
	if limit := float64(n-1) / 3; o.Perplexity > limit {
		o.Perplexity = limit
	}
	if o.Iterations == 0 {
		o.Iterations = 1000
	}
	if o.EarlyExaggeration == 0 {
		o.EarlyExaggeration = 12
	}
	if o.LearningRate == 0 {
		o.LearningRate = max(float64(n)/o.EarlyExaggeration/4, 50)
	}
	if o.ExaggerationIters == 0 {
		o.ExaggerationIters = 250
	}
	return o
}

// Result is the 2-D map, one point per input row, and the KL divergence KL(P‖Q) it reaches.
type Result struct {
	Y  [][2]float32
	KL float64
}

// Embed maps the rows of x (N points of any dimension) to 2-D.
func Embed(backend backends.Backend, x [][]float32, o Options) (*Result, error) {
	n := len(x)
	if n < 4 {
		return nil, fmt.Errorf("t-SNE needs at least 4 points, got %d", n)
	}
	for i := range x {
		if len(x[i]) != len(x[0]) {
			return nil, fmt.Errorf("t-SNE: point %d has %d dimensions, point 0 has %d", i, len(x[i]), len(x[0]))
		}
	}
	o = o.withDefaults(n)
	p := JointP(x, o.Perplexity)
	pT := tensors.FromFlatDataAndDimensions(p, n, n)
	defer pT.FinalizeAll()

	step, err := NewExec(backend, func(in []*Node) []*Node {
		y, update, gains := descentStep(in[0], in[1], in[2], in[3], in[4], in[5], in[6])
		return []*Node{y, update, gains}
	})
	if err != nil {
		return nil, err
	}
	defer step.Finalize()

	rng := rand.New(rand.NewPCG(o.Seed, 0x75e))
	y0 := make([]float32, 2*n)
	for i := range y0 {
		y0[i] = float32(1e-4 * rng.NormFloat64())
	}
	gains0 := make([]float32, 2*n)
	for i := range gains0 {
		gains0[i] = 1
	}
	y := tensors.FromFlatDataAndDimensions(y0, n, 2)
	update := tensors.FromFlatDataAndDimensions(make([]float32, 2*n), n, 2)
	gains := tensors.FromFlatDataAndDimensions(gains0, n, 2)
	for it := 0; it < o.Iterations; it++ {
		exaggeration, momentum := float32(1), float32(0.8)
		if it < o.ExaggerationIters {
			exaggeration, momentum = float32(o.EarlyExaggeration), 0.5
		}
		out, err := step.Exec(pT, y, update, gains, exaggeration, momentum, float32(o.LearningRate))
		if err != nil {
			return nil, fmt.Errorf("t-SNE step %d: %w", it, err)
		}
		y.FinalizeAll()
		update.FinalizeAll()
		gains.FinalizeAll()
		y, update, gains = out[0], out[1], out[2]
	}
	defer y.FinalizeAll()
	defer update.FinalizeAll()
	defer gains.FinalizeAll()
	flat := tensors.MustCopyFlatData[float32](y)
	res := &Result{Y: make([][2]float32, n)}
	for i := range res.Y {
		res.Y[i] = [2]float32{flat[2*i], flat[2*i+1]}
		if math.IsNaN(float64(flat[2*i])) || math.IsNaN(float64(flat[2*i+1])) {
			return nil, errors.New("t-SNE diverged (NaN in the map): lower the learning rate")
		}
	}
	res.KL = KL(p, res.Y)
	return res, nil
}

// descentStep is one gradient step on the map y [N,2] with the reference implementation's
// momentum and gains. The KL gradient (the paper's Eq. 5) is
//
//	∂C/∂y_i = 4 Σ_j (p_ij − q_ij) (y_i − y_j) / (1 + ‖y_i − y_j‖²),
//
// computed as 4 (rowsum(W) y_i − (W y)_i) with W = (p − q) ⊙ num, so that no [N,N,2] tensor
// is built.
func descentStep(p, y, update, gains, exaggeration, momentum, lr *Node) (newY, newUpdate, newGains *Node) {
	grad := KLGradient(Mul(p, exaggeration), y)
	// Gains shrink where the gradient keeps pointing along the last update's direction
	// (strictly: their product is positive), and grow where it turned.
	sameSign := GreaterThan(Mul(grad, update), ZerosLike(grad))
	newGains = Where(sameSign, MulScalar(gains, 0.8), AddScalar(gains, 0.2))
	newGains = MaxScalar(newGains, 0.01)
	newUpdate = Sub(Mul(momentum, update), Mul(lr, Mul(newGains, grad)))
	newY = Add(y, newUpdate)
	newY = Sub(newY, ReduceAndKeep(newY, ReduceMean, 0)) // keep the map centred
	return newY, newUpdate, newGains
}

// KLGradient is ∂KL(P‖Q)/∂y for the joint affinities p [N,N] (any scale: exaggerated p is
// allowed) and the map y [N,2].
func KLGradient(p, y *Node) *Node {
	num := studentT(y)
	q := Div(num, ReduceAllSum(num))
	w := Mul(Sub(p, MaxScalar(q, 1e-12)), num)
	return MulScalar(Sub(Mul(ReduceAndKeep(w, ReduceSum, 1), y), MatMul(w, y)), 4)
}

// studentT is the unnormalised Q: 1 / (1 + ‖y_i − y_j‖²), with zeros on the diagonal.
func studentT(y *Node) *Node {
	g := y.Graph()
	sq := ReduceSum(Square(y), 1)                                                                     // [N]
	d2 := Sub(Add(InsertAxes(sq, 1), InsertAxes(sq, 0)), MulScalar(MatMul(y, Transpose(y, 0, 1)), 2)) // [N,N]
	num := Reciprocal(OnePlus(MaxScalar(d2, 0)))
	shape := num.Shape()
	offDiagonal := NotEqual(Iota(g, shape, 0), Iota(g, shape, 1))
	return Where(offDiagonal, num, ZerosLike(num))
}

// JointP returns the symmetric affinities p_ij = (p_j|i + p_i|j) / 2N, row-major [N·N], where
// each conditional distribution p_·|i is a Gaussian around x_i whose width is set by binary
// search so that its perplexity 2^H is perp.
func JointP(x [][]float32, perp float64) []float32 {
	n := len(x)
	d2 := make([]float64, n*n)
	for i := 0; i < n; i++ {
		for j := i + 1; j < n; j++ {
			var s float64
			for k := range x[i] {
				d := float64(x[i][k]) - float64(x[j][k])
				s += d * d
			}
			d2[i*n+j], d2[j*n+i] = s, s
		}
	}
	cond := make([]float64, n*n)
	for i := 0; i < n; i++ {
		conditional(d2[i*n:(i+1)*n], i, math.Log(perp), cond[i*n:(i+1)*n])
	}
	p := make([]float32, n*n)
	for i := 0; i < n; i++ {
		for j := 0; j < n; j++ {
			v := (cond[i*n+j] + cond[j*n+i]) / float64(2*n)
			p[i*n+j] = float32(max(v, 1e-12))
		}
		p[i*n+i] = 0
	}
	return p
}

// conditional fills out with p_j|i ∝ exp(−β d2_j) (out[self] = 0), β found by bisection:
// the entropy H(β) of the conditional falls as β grows, and the search stops at H = logPerp
// (nats), the perplexity's log.
func conditional(d2 []float64, self int, logPerp float64, out []float64) {
	beta, lo, hi := 1.0, 0.0, math.Inf(1)
	// Distances are shifted by the nearest neighbour's so that exp does not underflow for
	// far-apart points; the shift cancels in the normalisation.
	minD := math.Inf(1)
	for j, v := range d2 {
		if j != self && v < minD {
			minD = v
		}
	}
	for iter := 0; iter < 100; iter++ {
		h := entropy(d2, self, beta, minD, out)
		if math.Abs(h-logPerp) < 1e-6 {
			break
		}
		if h > logPerp { // too flat: narrow the Gaussian
			lo = beta
			if math.IsInf(hi, 1) {
				beta *= 2
			} else {
				beta = (beta + hi) / 2
			}
		} else {
			hi = beta
			beta = (beta + lo) / 2
		}
	}
}

// entropy sets out to the normalised Gaussian conditional at beta and returns its entropy in
// nats.
func entropy(d2 []float64, self int, beta, shift float64, out []float64) float64 {
	var sum, weighted float64
	for j, v := range d2 {
		if j == self {
			out[j] = 0
			continue
		}
		e := math.Exp(-beta * (v - shift))
		out[j] = e
		sum += e
		weighted += e * (v - shift)
	}
	for j := range out {
		out[j] /= sum
	}
	// H = log Σ e + β Σ p_j d_j (the shift cancels between the two terms).
	return math.Log(sum) + beta*weighted/sum
}

// KL is KL(P‖Q) of the map y for the joint affinities p [N·N], computed on the host in
// float64 (the cost the descent lowers; the tests' finite differences use it too).
func KL(p []float32, y [][2]float32) float64 {
	n := len(y)
	num := make([]float64, n*n)
	var z float64
	for i := 0; i < n; i++ {
		for j := 0; j < n; j++ {
			if i == j {
				continue
			}
			dx, dy := float64(y[i][0]-y[j][0]), float64(y[i][1]-y[j][1])
			num[i*n+j] = 1 / (1 + dx*dx + dy*dy)
			z += num[i*n+j]
		}
	}
	var kl float64
	for i := 0; i < n; i++ {
		for j := 0; j < n; j++ {
			if i == j || p[i*n+j] <= 0 {
				continue
			}
			pij := float64(p[i*n+j])
			kl += pij * math.Log(pij/max(num[i*n+j]/z, 1e-12))
		}
	}
	return kl
}
