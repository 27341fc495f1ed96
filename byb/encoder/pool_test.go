package encoder_test

import (
	"math"
	"testing"

	"github.com/byb-dev/byb/byb/encoder"
	. "github.com/gomlx/gomlx/pkg/core/graph" //nolint:revive
)

// Two users, n=5 behaviors, d=2, T=4 windows. User 0: windows 0,0,2,2,3 (window 1 empty).
// User 1: windows 1,1,3 then two padding behaviors (windows 0 and 2 empty).
func TestPoolingMatchesHandMean(t *testing.T) {
	x := [][][]float32{
		{{1, 2}, {3, 4}, {5, 6}, {7, 8}, {9, 10}},
		{{-1, 0}, {1, 2}, {4, 4}, {100, 100}, {100, 100}},
	}
	window := [][]int32{{0, 0, 2, 2, 3}, {1, 1, 3, -1, -1}}
	wantMean := [][][]float32{
		{{2, 3}, {0, 0}, {6, 7}, {9, 10}},
		{{0, 0}, {0, 1}, {0, 0}, {4, 4}},
	}
	wantCounts := [][]float32{{2, 0, 2, 1}, {0, 2, 0, 1}}
	for _, e := range engines(t) {
		for _, impl := range []string{"scatter", "onehot"} {
			cfg := encoder.Config{Pool: true, PoolImpl: impl}
			out := MustExecOnceN(e.backend, func(x, w *Node) []*Node {
				s, c := encoder.Group(cfg, x, w, 4)
				return []*Node{encoder.Mean(s, c), c}
			}, x, window)
			gotMean := out[0].Value().([][][]float32)
			gotCounts := out[1].Value().([][]float32)
			for b := range wantMean {
				for k := range wantMean[b] {
					if gotCounts[b][k] != wantCounts[b][k] {
						t.Errorf("%s/%s: count[%d][%d]=%v want %v", e.name, impl, b, k, gotCounts[b][k], wantCounts[b][k])
					}
					for j := range wantMean[b][k] {
						if math.Abs(float64(gotMean[b][k][j]-wantMean[b][k][j])) > 1e-6 {
							t.Errorf("%s/%s: mean[%d][%d]=%v want %v", e.name, impl, b, k, gotMean[b][k], wantMean[b][k])
						}
					}
				}
			}
		}
	}
}

// Without pooling every behavior is its own position; padding gives zero and count 0.
func TestGroupNoPool(t *testing.T) {
	x := [][][]float32{{{1, 2}, {3, 4}, {5, 6}}}
	window := [][]int32{{0, 3, -1}}
	for _, e := range engines(t) {
		out := MustExecOnceN(e.backend, func(x, w *Node) []*Node {
			s, c := encoder.Group(encoder.Config{Pool: false}, x, w, 4)
			return []*Node{s, c}
		}, x, window)
		s := out[0].Value().([][][]float32)
		c := out[1].Value().([][]float32)
		if s[0][2][0] != 0 || s[0][1][1] != 4 || c[0][0] != 1 || c[0][2] != 0 {
			t.Errorf("%s: sums %v counts %v", e.name, s, c)
		}
	}
}
