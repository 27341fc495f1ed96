package encoder_test

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/byb-dev/byb/byb/bench"
	"github.com/byb-dev/byb/byb/encoder"
	. "github.com/gomlx/gomlx/pkg/core/graph" //nolint:revive
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/gomlx/gomlx/pkg/ml/context"
)

// ForwardBehaviors on the behavior encoder's own output is Forward, for every pooling and
// attention mode (bidirectional unpooled attention masks the padding keys in both).
func TestForwardBehaviorsIsForward(t *testing.T) {
	vocab := []int{30, 7}
	const B, n, T = 3, 10, 4
	b := engines(t)[0].backend
	for _, pool := range []bool{true, false} {
		for _, causal := range []bool{true, false} {
			t.Run(fmt.Sprintf("pool=%v/causal=%v", pool, causal), func(t *testing.T) {
				ctx := smallContext(pool)
				ctx.SetParam(encoder.ParamCausal, causal)
				enc, err := encoder.New(ctx, vocab, T)
				if err != nil {
					t.Fatal(err)
				}
				batch := bench.RandomPaddedBatch(rand.New(rand.NewPCG(7, 8)), B, n, T, vocab)
				batch.Window[n-1] = -1 // at least one padded row end, whatever the draw
				for j := range vocab {
					batch.IDs[(n-1)*len(vocab)+j] = 0
				}
				in := encoder.BatchTensors(batch)
				out, err := context.ExecOnceN(b, ctx.Checked(false), func(ctx *context.Context, ids, win *Node) []*Node {
					ref := enc.Forward(ctx, encoder.Inputs{IDs: ids, Window: win})
					got := enc.ForwardBehaviors(ctx, enc.BehaviorEncoder(ctx, ids), win)
					return []*Node{ref.Hidden, got.Hidden, ref.E, got.E}
				}, in[0], in[1])
				if err != nil {
					t.Fatal(err)
				}
				ref, got := out[0].Value().([][][]float32), out[1].Value().([][][]float32)
				for r := range ref {
					for p := range ref[r] {
						for j := range ref[r][p] {
							if math.Abs(float64(ref[r][p][j]-got[r][p][j])) > 1e-6 {
								t.Fatalf("hidden[%d][%d][%d]: Forward %g, ForwardBehaviors %g", r, p, j, ref[r][p][j], got[r][p][j])
							}
						}
					}
				}
				refE, gotE := out[2].Value().([][]float32), out[3].Value().([][]float32)
				for r := range refE {
					for j := range refE[r] {
						if math.Abs(float64(refE[r][j]-gotE[r][j])) > 1e-6 {
							t.Fatalf("E[%d][%d]: Forward %g, ForwardBehaviors %g", r, j, refE[r][j], gotE[r][j])
						}
					}
				}
			})
		}
	}
}

// MaskBehaviors puts the mask embedding exactly where the mask is 1 and leaves every other
// behavior as it was; the mask embedding is trained (it gets a gradient through a masked
// behavior).
func TestMaskBehaviors(t *testing.T) {
	b := engines(t)[0].backend
	const B, n, d = 2, 3, 4
	x := make([]float32, B*n*d)
	for i := range x {
		x[i] = float32(i) + 1
	}
	mask := []float32{0, 1, 0, 1, 0, 0}
	ctx := context.New()
	out, err := context.ExecOnceN(b, ctx, func(ctx *context.Context, x, mask *Node) []*Node {
		y := encoder.MaskBehaviors(ctx.In("view"), x, mask)
		token := ctx.GetVariableByScopeAndName("/view", encoder.MaskEmbeddingVarName).ValueGraph(x.Graph())
		return []*Node{y, token, Gradient(ReduceAllSum(y), token)[0]}
	}, tensors.FromFlatDataAndDimensions(x, B, n, d), tensors.FromFlatDataAndDimensions(mask, B, n))
	if err != nil {
		t.Fatal(err)
	}
	y, token, grad := out[0].Value().([][][]float32), out[1].Value().([]float32), out[2].Value().([]float32)
	for r := range B {
		for i := range n {
			for j := range d {
				want := x[(r*n+i)*d+j]
				if mask[r*n+i] == 1 {
					want = token[j]
				}
				if y[r][i][j] != want {
					t.Fatalf("y[%d][%d][%d] = %g, want %g (masked %v)", r, i, j, y[r][i][j], want, mask[r*n+i] == 1)
				}
			}
		}
	}
	for j, g := range grad {
		if g != 2 { // two masked behaviors, each adds the token once to the sum
			t.Fatalf("∂Σy/∂token[%d] = %g, want 2", j, g)
		}
	}
}
