package encoder_test

import (
	"math"
	"testing"

	"github.com/byb-dev/byb/byb/encoder"
	. "github.com/gomlx/gomlx/pkg/core/graph" //nolint:revive
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/gomlx/gomlx/pkg/ml/context"
)

// BehaviorEncoder equals Eq. 3 computed by hand from its variables: per ID slot
// ẽ_j = W1(e_j+p_j)+b1, ω_j = σ(W2(e_j+p_j)+b2), e_x = Σ_j ω_j ẽ_j over slots with an ID ≠ 0.
func TestBehaviorEncoderIsEq3(t *testing.T) {
	vocab := []int{7, 5}
	ids := [][][]int32{{{3, 2}, {4, 0}, {0, 0}}} // full behavior, one absent slot, padding
	const d = 4
	for _, e := range engines(t) {
		ctx := context.New()
		ctx.SetParam(context.ParamInitialSeed, int64(9))
		cfg := encoder.Config{Dim: d, EmbedStd: 1, PosStd: 0.5}
		got := context.MustExecOnce(e.backend, ctx, func(ctx *context.Context, ids *Node) *Node {
			return encoder.BehaviorEncoder(ctx.In("be"), cfg, vocab, ids)
		}, ids).Value().([][][]float32)
		v := func(scope, name string) []float32 {
			x, _ := tensors.CopyFlatData[float32](ctx.GetVariableByScopeAndName("/be"+scope, name).MustValue())
			return x
		}
		table, pos := v("", "embeddings"), v("", "slot_positions")
		w1, b1 := v("/w1/dense", "weights"), v("/w1/dense", "biases")
		w2, b2 := v("/w2/dense", "weights"), v("/w2/dense", "biases")
		offsets := []int{0, vocab[0]}
		for i, beh := range ids[0] {
			want := make([]float64, d)
			for j, id := range beh {
				if id == 0 {
					continue
				}
				x := make([]float64, d)
				for k := range d {
					x[k] = float64(table[(offsets[j]+int(id))*d+k] + pos[j*d+k])
				}
				gate := float64(b2[0])
				for k := range d {
					gate += x[k] * float64(w2[k])
				}
				gate = 1 / (1 + math.Exp(-gate))
				for o := range d {
					tilde := float64(b1[o])
					for k := range d {
						tilde += x[k] * float64(w1[k*d+o])
					}
					want[o] += gate * tilde
				}
			}
			for o := range d {
				if math.Abs(float64(got[0][i][o])-want[o]) > 1e-5 {
					t.Fatalf("%s: behavior %d: got %v, Eq. 3 gives %v", e.name, i, got[0][i], want)
				}
			}
		}
	}
}
