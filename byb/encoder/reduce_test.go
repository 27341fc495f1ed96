package encoder_test

import (
	"math"
	"testing"

	"github.com/byb-dev/byb/byb/encoder"
	. "github.com/gomlx/gomlx/pkg/core/graph" //nolint:revive
	"github.com/gomlx/gomlx/pkg/ml/context"
)

// The hand-built batch of these tests: B=3 users, n=5 behaviors, T=4 windows, one ID field
// (vocab 6: 0 = none, 1 = OOV). User 0 is active in windows 0, 2 and 3; user 1 in windows 0
// and 1, its last two windows empty (and its last two behaviors padding); user 2 has no
// behavior at all. As a packed batch the 8 real behaviors come first, then 2 padding ones.
var (
	handIDs    = [][]int32{{2, 3, 4, 5, 2}, {3, 4, 5, 0, 0}, {0, 0, 0, 0, 0}}
	handWindow = [][]int32{{0, 0, 2, 2, 3}, {0, 1, 1, -1, -1}, {-1, -1, -1, -1, -1}}
)

const handT = 4

// handInputs are the graph inputs of the hand-built batch, padded ([B,n,1] ids, [B,n]
// windows) or packed ([N,1] ids, [N] windows, [N] rows, [B] labels).
func handInputs(packed bool) []any {
	if !packed {
		ids := make([][][]int32, len(handIDs))
		for r, row := range handIDs {
			for _, id := range row {
				ids[r] = append(ids[r], []int32{id})
			}
		}
		return []any{ids, handWindow}
	}
	var ids [][]int32
	var win, rows []int32
	for r := range handIDs {
		for i, w := range handWindow[r] {
			if w >= 0 {
				ids, win, rows = append(ids, []int32{handIDs[r][i]}), append(win, w), append(rows, int32(r))
			}
		}
	}
	for range 2 {
		ids, win, rows = append(ids, []int32{0}), append(win, -1), append(rows, -1)
	}
	return []any{ids, win, make([]int32, len(handIDs)), rows}
}

// handBehaviors lists the hand-built batch's behaviors as (row, window, index into the
// encoder's Behaviors output, flattened over its leading axes), padding left out.
func handBehaviors(packed bool) (rows, windows, flat []int) {
	k := 0
	for r := range handIDs {
		for i, w := range handWindow[r] {
			if w >= 0 {
				idx := r*len(handIDs[r]) + i
				if packed {
					idx = k
				}
				rows, windows, flat = append(rows, r), append(windows, int(w)), append(flat, idx)
				k++
			}
		}
	}
	return rows, windows, flat
}

// Window sums by hand for a case small enough to check on paper; means and counts are checked
// by TestPoolingMatchesHandMean. Pooled gives the sums with pool_reduce=sum and the means with
// mean, from padded batches by scatter and by one-hot product, and from packed ones.
func TestPooledSumAndMeanByHand(t *testing.T) {
	x := [][][]float32{
		{{1, 2}, {3, 4}, {5, 6}, {7, 8}, {9, 10}},
		{{-1, 0}, {1, 2}, {4, 4}, {100, 100}, {100, 100}},
	}
	window := [][]int32{{0, 0, 2, 2, 3}, {1, 1, 3, -1, -1}}
	// Packed: the 8 real behaviors of both users, then 2 padding ones (row -1).
	packedX := [][]float32{{1, 2}, {3, 4}, {5, 6}, {7, 8}, {9, 10}, {-1, 0}, {1, 2}, {4, 4}, {100, 100}, {100, 100}}
	packedRow := []int32{0, 0, 0, 0, 0, 1, 1, 1, -1, -1}
	packedWin := []int32{0, 0, 2, 2, 3, 1, 1, 3, -1, -1}
	want := map[string][][][]float32{
		encoder.PoolSum:  {{{4, 6}, {0, 0}, {12, 14}, {9, 10}}, {{0, 0}, {0, 2}, {0, 0}, {4, 4}}},
		encoder.PoolMean: {{{2, 3}, {0, 0}, {6, 7}, {9, 10}}, {{0, 0}, {0, 1}, {0, 0}, {4, 4}}},
	}
	for _, e := range engines(t) {
		for reduce, wantPooled := range want {
			for _, impl := range []string{"scatter", "onehot", "packed"} {
				cfg := encoder.Config{Pool: true, PoolImpl: impl, PoolReduce: reduce}
				var got [][][]float32
				if impl == "packed" {
					got = MustExecOnce(e.backend, func(x, rows, win *Node) *Node {
						sums, counts := encoder.GroupRows(x, rows, win, 2, 4)
						return encoder.Pooled(cfg, sums, counts)
					}, packedX, packedRow, packedWin).Value().([][][]float32)
				} else {
					got = MustExecOnce(e.backend, func(x, w *Node) *Node {
						sums, counts := encoder.Group(cfg, x, w, 4)
						return encoder.Pooled(cfg, sums, counts)
					}, x, window).Value().([][][]float32)
				}
				for b := range wantPooled {
					for k := range wantPooled[b] {
						if !same(got[b][k], wantPooled[b][k]) {
							t.Errorf("%s/%s/%s: window %d of user %d = %v, want %v", e.name, reduce, impl, k, b, got[b][k], wantPooled[b][k])
						}
					}
				}
			}
		}
	}
}

// Forward feeds the Transformer what pool_reduce says: with no layers and zero positional
// encodings the Transformer's output is its input, which must be the sum or the mean of the
// behavior embeddings of each window, computed here by hand from the encoder's own behavior
// embeddings; for padded batches (both pool_impl) and packed ones. Encoders that differ only
// in those settings share one context and one graph (one compilation per batch layout).
func TestForwardFeedsPoolReduce(t *testing.T) {
	for _, e := range engines(t) {
		for _, packed := range []bool{false, true} {
			ctx := smallContext(true)
			ctx.SetParams(map[string]any{encoder.ParamLayers: 0, encoder.ParamPosStd: 0.0})
			base, err := encoder.New(ctx, []int{6}, handT)
			if err != nil {
				t.Fatal(err)
			}
			var names []string
			var encs []*encoder.Encoder
			impls := []string{"scatter", "onehot"}
			if packed {
				impls = []string{"packed"}
			}
			for _, impl := range impls {
				for _, reduce := range []string{encoder.PoolMean, encoder.PoolSum} {
					enc := *base
					enc.PoolReduce = reduce
					if !packed {
						enc.PoolImpl = impl
					}
					names, encs = append(names, impl+"/"+reduce), append(encs, &enc)
				}
			}
			out, err := context.ExecOnceN(e.backend, ctx.Checked(false), func(ctx *context.Context, nodes []*Node) []*Node {
				var outs []*Node
				for _, enc := range encs {
					o := enc.Forward(ctx, encoder.InputsFrom(nodes))
					if outs == nil {
						outs = append(outs, Reshape(o.Behaviors, -1, o.Behaviors.Shape().Dim(-1)))
					}
					outs = append(outs, o.Hidden)
				}
				return outs
			}, handInputs(packed)...)
			if err != nil {
				t.Fatal(err)
			}
			sums, counts := handPool(out[0].Value().([][]float32), packed)
			for i, name := range names {
				hidden := out[1+i].Value().([][][]float32)
				for r := range sums {
					for k := range sums[r] {
						for j := range sums[r][k] {
							want := sums[r][k][j]
							if encs[i].PoolReduce == encoder.PoolMean && counts[r][k] > 0 {
								want /= counts[r][k]
							}
							if math.Abs(float64(hidden[r][k][j])-want) > 1e-5*max(1, math.Abs(want)) {
								t.Fatalf("%s/%s: user %d window %d: Transformer input %v, want %v from the sums %v of its %v behaviors",
									e.name, name, r, k, hidden[r][k], want, sums[r][k], counts[r][k])
							}
						}
					}
				}
			}
		}
	}
}

// handPool sums the hand-built batch's behavior embeddings (the encoder's Behaviors output,
// flattened to rows) per user and window, and counts them.
func handPool(behaviors [][]float32, packed bool) (sums [][][]float64, counts [][]float64) {
	d := len(behaviors[0])
	sums, counts = make([][][]float64, len(handIDs)), make([][]float64, len(handIDs))
	for r := range sums {
		sums[r], counts[r] = make([][]float64, handT), make([]float64, handT)
		for k := range sums[r] {
			sums[r][k] = make([]float64, d)
		}
	}
	rows, windows, flat := handBehaviors(packed)
	for i := range rows {
		counts[rows[i]][windows[i]]++
		for j, v := range behaviors[flat[i]] {
			sums[rows[i]][windows[i]][j] += float64(v)
		}
	}
	return sums, counts
}
