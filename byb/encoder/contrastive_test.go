package encoder_test

import (
	"fmt"
	"math"
	"testing"

	"github.com/byb-dev/byb/byb/encoder"
	"github.com/gomlx/gomlx/backends"
	. "github.com/gomlx/gomlx/pkg/core/graph" //nolint:revive
	"github.com/gomlx/gomlx/pkg/core/tensors"
)

// Two views of B = 3 samples, d = 4, chosen so that some queries rank their positive first
// and some do not (sample 0's first view is closer to sample 2's second view than to its own).
var (
	ncA = [][]float64{{1, 0, 0, 0}, {0, 2, 0.3, 0}, {1, 1, 1, 1}}
	ncB = [][]float64{{1, 1, 0, 0}, {0, 1, 0, 0.8}, {2, 0, 0.5, 0.4}}
)

// handInfoNCE is the symmetric InfoNCE loss with in-batch negatives and its top-1 accuracy,
// written out from its definition in float64: for each direction and each valid query i, the
// cross-entropy of the softmax over the valid candidates j of sim(q_i, k_j)/τ with target j = i.
func handInfoNCE(a, b [][]float64, valid []bool, tau float64, normalize bool) (loss, acc float64) {
	unit := func(x []float64) []float64 {
		if !normalize {
			return x
		}
		n := 0.0
		for _, v := range x {
			n += v * v
		}
		out := make([]float64, len(x))
		for i, v := range x {
			out[i] = v / math.Sqrt(n)
		}
		return out
	}
	sim := func(x, y []float64) float64 {
		x, y = unit(x), unit(y)
		s := 0.0
		for i := range x {
			s += x[i] * y[i]
		}
		return s / tau
	}
	queries := 0
	for _, dir := range [][2][][]float64{{a, b}, {b, a}} {
		q, k := dir[0], dir[1]
		for i := range q {
			if !valid[i] {
				continue
			}
			queries++
			pos, z, top := sim(q[i], k[i]), 0.0, true
			for j := range k {
				if !valid[j] {
					continue
				}
				s := sim(q[i], k[j])
				z += math.Exp(s)
				if j != i && s >= pos {
					top = false
				}
			}
			loss -= pos - math.Log(z)
			if top {
				acc++
			}
		}
	}
	return loss / float64(queries), acc / float64(queries)
}

func f32(x [][]float64) [][]float32 {
	out := make([][]float32, len(x))
	for i := range x {
		out[i] = make([]float32, len(x[i]))
		for j, v := range x[i] {
			out[i][j] = float32(v)
		}
	}
	return out
}

func validTensor(valid []bool) *tensors.Tensor {
	v := make([]float32, len(valid))
	for i, ok := range valid {
		if ok {
			v[i] = 1
		}
	}
	return tensors.FromValue(v)
}

// runInfoNCE returns the graph's loss, accuracy and ∂loss/∂a.
func runInfoNCE(t *testing.T, backend backends.Backend, a, b [][]float64, valid []bool, tau float64, normalize bool) (loss, acc float64, grad [][]float32) {
	t.Helper()
	out := MustExecOnceN(backend, func(nodes []*Node) []*Node {
		loss, acc := encoder.InfoNCE(nodes[0], nodes[1], nodes[2], tau, normalize)
		return []*Node{loss, acc, Gradient(loss, nodes[0])[0]}
	}, tensors.FromValue(f32(a)), tensors.FromValue(f32(b)), validTensor(valid))
	return float64(out[0].Value().(float32)), float64(out[1].Value().(float32)), out[2].Value().([][]float32)
}

// InfoNCE equals its definition computed by hand, with and without L2 normalisation, at two
// temperatures, and with a sample masked out (no behavior) as query and as candidate; its
// gradient equals the hand loss's central finite differences.
func TestInfoNCEMatchesHandComputation(t *testing.T) {
	for _, e := range engines(t) {
		for _, tc := range []struct {
			tau       float64
			normalize bool
			valid     []bool
		}{
			{0.1, true, []bool{true, true, true}},
			{0.5, true, []bool{true, true, true}},
			{0.7, false, []bool{true, true, true}},
			{0.1, true, []bool{true, false, true}},
			{1, false, []bool{false, true, true}},
		} {
			t.Run(fmt.Sprintf("%s/tau=%g/normalize=%v/valid=%v", e.name, tc.tau, tc.normalize, tc.valid), func(t *testing.T) {
				got, gotAcc, grad := runInfoNCE(t, e.backend, ncA, ncB, tc.valid, tc.tau, tc.normalize)
				want, wantAcc := handInfoNCE(ncA, ncB, tc.valid, tc.tau, tc.normalize)
				t.Logf("loss %.6f (by hand %.6f), accuracy %.4f (by hand %.4f)", got, want, gotAcc, wantAcc)
				if math.Abs(got-want) > 1e-5*max(1, math.Abs(want)) {
					t.Fatalf("loss %.7f, by hand %.7f", got, want)
				}
				if math.Abs(gotAcc-wantAcc) > 1e-6 {
					t.Fatalf("accuracy %.4f, by hand %.4f", gotAcc, wantAcc)
				}
				const h = 1e-4
				for i := range ncA {
					for j := range ncA[i] {
						a := make([][]float64, len(ncA))
						for r := range ncA {
							a[r] = append([]float64(nil), ncA[r]...)
						}
						a[i][j] = ncA[i][j] + h
						up, _ := handInfoNCE(a, ncB, tc.valid, tc.tau, tc.normalize)
						a[i][j] = ncA[i][j] - h
						down, _ := handInfoNCE(a, ncB, tc.valid, tc.tau, tc.normalize)
						fd := (up - down) / (2 * h)
						if math.Abs(float64(grad[i][j])-fd) > 1e-3*max(1, math.Abs(fd)) {
							t.Fatalf("∂loss/∂a[%d][%d] = %g, finite differences %g", i, j, grad[i][j], fd)
						}
						if !tc.valid[i] && grad[i][j] != 0 {
							t.Fatalf("masked sample %d gets gradient %g", i, grad[i][j])
						}
					}
				}
			})
		}
	}
	// The vectors exercise both outcomes of the accuracy: some positives ranked first, some not.
	if _, acc := handInfoNCE(ncA, ncB, []bool{true, true, true}, 0.1, true); acc == 0 || acc == 1 {
		t.Fatalf("test vectors give accuracy %g; choose ones where only some positives rank first", acc)
	}
}

// Identical views of well-separated samples: every positive ranks first and the loss tends
// to 0 as τ falls; views that are all the same vector (a collapse) score accuracy 0 and the
// loss log B.
func TestInfoNCEExtremes(t *testing.T) {
	e := engines(t)[0]
	eye := [][]float64{{1, 0, 0, 0}, {0, 1, 0, 0}, {0, 0, 1, 0}}
	loss, acc, _ := runInfoNCE(t, e.backend, eye, eye, []bool{true, true, true}, 0.05, true)
	if acc != 1 || loss > 1e-6 {
		t.Fatalf("separated identical views: loss %g, accuracy %g; want ≈0 and 1", loss, acc)
	}
	same := [][]float64{{1, 2, 3, 4}, {1, 2, 3, 4}, {1, 2, 3, 4}}
	loss, acc, _ = runInfoNCE(t, e.backend, same, same, []bool{true, true, true}, 0.1, true)
	if acc != 0 || math.Abs(loss-math.Log(3)) > 1e-5 {
		t.Fatalf("collapsed views: loss %g, accuracy %g; want log 3 = %g and 0", loss, acc, math.Log(3))
	}
}
