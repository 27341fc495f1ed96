package encoder_test

import (
	"math"
	"math/rand/v2"
	"testing"

	_ "github.com/byb-dev/byb/byb/encoder" // installs the DotGeneral VJP
	"github.com/gomlx/gomlx/pkg/core/dtypes"
	. "github.com/gomlx/gomlx/pkg/core/graph" //nolint:revive
	"github.com/gomlx/gomlx/pkg/core/shapes"
	"github.com/gomlx/gomlx/pkg/core/tensors"
)

// The replacement DotGeneral gradient matches central finite differences (float64) on the
// contraction patterns byb uses (dense layers, attention scores and context, one-hot pooling)
// and a permuted, multi-contraction case.
func TestDotGeneralVJPMatchesFiniteDifferences(t *testing.T) {
	type dg struct {
		name           string
		lhs, rhs       []int
		lc, lb, rc, rb []int
	}
	cases := []dg{
		{"matmul", []int{3, 4}, []int{4, 5}, []int{1}, nil, []int{0}, nil},
		{"dense_rank3", []int{2, 3, 4}, []int{4, 5}, []int{2}, nil, []int{0}, nil},
		{"attn_scores", []int{2, 3, 2, 4}, []int{2, 3, 2, 4}, []int{3}, []int{0, 2}, []int{3}, []int{0, 2}},
		{"attn_context", []int{2, 2, 3, 3}, []int{2, 3, 2, 4}, []int{3}, []int{0, 1}, []int{1}, []int{0, 2}},
		{"pool_onehot", []int{2, 5, 3}, []int{2, 5, 4}, []int{1}, []int{0}, []int{1}, []int{0}},
		{"permuted_two_contractions", []int{3, 2, 4}, []int{4, 5, 3}, []int{0, 2}, nil, []int{2, 0}, nil},
	}
	rng := rand.New(rand.NewPCG(1, 2))
	randT := func(dims []int) *tensors.Tensor {
		t := tensors.FromShape(shapes.Make(dtypes.Float64, dims...))
		tensors.MutableFlatData(t, func(f []float64) {
			for i := range f {
				f[i] = rng.NormFloat64()
			}
		})
		return t
	}
	for _, e := range engines(t) {
		for _, c := range cases {
			a, b := randT(c.lhs), randT(c.rhs)
			// Weights for a scalar loss L = Σ w ⊙ DotGeneral(a,b): its gradient is the VJP of w.
			outShape := MustExecOnce(e.backend, func(a, b *Node) *Node { return DotGeneral(a, c.lc, c.lb, b, c.rc, c.rb) }, a, b).Shape()
			w := randT(outShape.Dimensions)
			loss := func(a, b, w *Node) *Node { return ReduceAllSum(Mul(w, DotGeneral(a, c.lc, c.lb, b, c.rc, c.rb))) }
			grads := MustExecOnceN(e.backend, func(a, b, w *Node) []*Node {
				return Gradient(loss(a, b, w), a, b)
			}, a, b, w)
			lossExec := MustNewExec(e.backend, loss)
			eval := func(a, b *tensors.Tensor) float64 { return lossExec.MustExec(a, b, w)[0].Value().(float64) }
			for which, x := range []*tensors.Tensor{a, b} {
				got, _ := tensors.CopyFlatData[float64](grads[which])
				n := x.Shape().Size()
				for i := range n {
					const h = 1e-5
					perturb := func(delta float64) float64 {
						xc, _ := x.LocalClone()
						tensors.MutableFlatData(xc, func(f []float64) { f[i] += delta })
						if which == 0 {
							return eval(xc, b)
						}
						return eval(a, xc)
					}
					fd := (perturb(h) - perturb(-h)) / (2 * h)
					if math.Abs(fd-got[i]) > 1e-6*(1+math.Abs(fd)) {
						t.Fatalf("%s/%s: d/d%s[%d] = %g, finite differences %g", e.name, c.name, []string{"lhs", "rhs"}[which], i, got[i], fd)
					}
				}
			}
		}
	}
}

// The Dot gradient (rank-2 layers.Dense) matches finite differences too.
func TestDotVJPMatchesFiniteDifferences(t *testing.T) {
	for _, e := range engines(t) {
		for _, dims := range [][2][]int{{{3, 4}, {4, 5}}, {{3, 4}, {4}}, {{4}, {4}}} {
			rng := rand.New(rand.NewPCG(3, 4))
			mk := func(d []int) *tensors.Tensor {
				t := tensors.FromShape(shapes.Make(dtypes.Float64, d...))
				tensors.MutableFlatData(t, func(f []float64) {
					for i := range f {
						f[i] = rng.NormFloat64()
					}
				})
				return t
			}
			a, b := mk(dims[0]), mk(dims[1])
			loss := func(a, b *Node) *Node { return ReduceAllSum(Square(Dot(a, b))) }
			grads := MustExecOnceN(e.backend, func(a, b *Node) []*Node { return Gradient(loss(a, b), a, b) }, a, b)
			le := MustNewExec(e.backend, loss)
			for which, x := range []*tensors.Tensor{a, b} {
				got, _ := tensors.CopyFlatData[float64](grads[which])
				for i := range x.Shape().Size() {
					at := func(delta float64) float64 {
						xc, _ := x.LocalClone()
						tensors.MutableFlatData(xc, func(f []float64) { f[i] += delta })
						if which == 0 {
							return le.MustExec(xc, b)[0].Value().(float64)
						}
						return le.MustExec(a, xc)[0].Value().(float64)
					}
					fd := (at(1e-5) - at(-1e-5)) / 2e-5
					if math.Abs(fd-got[i]) > 1e-5*(1+math.Abs(fd)) {
						t.Fatalf("%s %v: grad[%d][%d] = %g, finite differences %g", e.name, dims, which, i, got[i], fd)
					}
				}
			}
		}
	}
}
