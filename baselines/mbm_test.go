package baselines

import (
	"math"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"

	"github.com/byb-dev/byb/byb/data"
	"github.com/byb-dev/byb/byb/encoder"
	"github.com/byb-dev/byb/byb/objective"
	. "github.com/gomlx/gomlx/pkg/core/graph" //nolint:revive
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/gomlx/gomlx/pkg/ml/context"
)

func mbmNew(t *testing.T, method, settings string) (*context.Context, *encoder.Encoder, *MBM) {
	t.Helper()
	m, err := objective.Lookup(method)
	if err != nil {
		t.Fatal(err)
	}
	ctx := TinyContext(t, m.Defaults, settings)
	enc := newEncoder(t, ctx, nmVocab, nmT)
	obj, err := m.New(ctx, nmFacts())
	if err != nil {
		t.Fatal(err)
	}
	return ctx, enc, obj.(*MBM)
}

// mbmLengthsBatch has rows of 0, 1, 3, 7 and 20 real behaviors, n = 20.
func mbmLengthsBatch() *data.Batch {
	lens := []int{0, 1, 3, 7, 20}
	const n = 20
	b := &data.Batch{Size: len(lens), MaxLen: n, NumIDs: 2, Windows: nmT,
		IDs: make([]int32, len(lens)*n*2), Window: make([]int32, len(lens)*n), Users: make([]int32, len(lens)), Labels: make([]int32, len(lens))}
	for r, L := range lens {
		for i := range n {
			b.Window[r*n+i] = -1
			if i < L {
				b.Window[r*n+i] = int32(i * nmT / n)
				b.IDs[(r*n+i)*2], b.IDs[(r*n+i)*2+1] = 2, 3
			}
		}
	}
	return b
}

// The mask: in a row of L real behaviors exactly max(1, round(ratio·L)) of them (none in an
// empty row), never padding, the positions listed ascending in K = max(1, round(ratio·n))
// slots; the same for the same generator seed; each real behavior equally likely.
func TestMBMMaskDraw(t *testing.T) {
	batch := mbmLengthsBatch()
	for _, tc := range []struct {
		method string
		K      int
		counts []int // per row, of lengths 0, 1, 3, 7, 20
	}{
		{"mbmv1", 2, []int{0, 1, 1, 1, 2}},
		{"mbmv2", 4, []int{0, 1, 1, 1, 4}},
	} {
		t.Run(tc.method, func(t *testing.T) {
			_, _, obj := mbmNew(t, tc.method, "")
			draw := func(seed uint64) ([][]float32, [][]int32) {
				extra, err := obj.Transform(batch, rand.New(rand.NewPCG(seed, 7)))
				if err != nil {
					t.Fatal(err)
				}
				if len(extra) != 2 {
					t.Fatalf("%d extra inputs, want mask and positions (no sampled field)", len(extra))
				}
				return extra[0].Value().([][]float32), extra[1].Value().([][]int32)
			}
			chosen := make([]float64, batch.MaxLen) // how often each position of the 20-behavior row is masked
			const draws = 4000
			differs := false
			first, firstPos := draw(0)
			for seed := range uint64(draws) {
				mask, pos := draw(seed)
				if len(pos[0]) != tc.K {
					t.Fatalf("%d slots, want %d", len(pos[0]), tc.K)
				}
				for r := range batch.Size {
					L := batch.Len(r)
					var want []int32
					for i, v := range mask[r] {
						if v != 0 && v != 1 {
							t.Fatalf("mask value %v", v)
						}
						if v == 1 {
							if i >= L {
								t.Fatalf("row %d: padding position %d masked", r, i)
							}
							want = append(want, int32(i))
						}
					}
					if len(want) != tc.counts[r] {
						t.Fatalf("row %d of %d behaviors: %d masked, want %d", r, L, len(want), tc.counts[r])
					}
					for len(want) < tc.K {
						want = append(want, -1)
					}
					if !reflect.DeepEqual(pos[r], want) {
						t.Fatalf("row %d: positions %v, the mask says %v", r, pos[r], want)
					}
				}
				for i, v := range mask[4] {
					chosen[i] += float64(v)
				}
				differs = differs || !reflect.DeepEqual(mask, first)
			}
			again, againPos := draw(0)
			if !reflect.DeepEqual(again, first) || !reflect.DeepEqual(againPos, firstPos) {
				t.Fatal("the same seed drew another mask")
			}
			if !differs {
				t.Fatal("every seed drew the same mask")
			}
			p := float64(tc.counts[4]) / 20
			sd := math.Sqrt(p * (1 - p) / draws)
			for i, c := range chosen {
				if math.Abs(c/draws-p) > 5*sd {
					t.Fatalf("position %d masked %.4f of the time, want %.4f", i, c/draws, p)
				}
			}
		})
	}
}

// mbmHand is the masked input fed by hand: row 0 masks behaviors 1 and 3, row 1 behavior 0,
// row 2 (empty) none; K = 2 slots.
func mbmHand(batch *data.Batch) (mask [][]float32, pos [][]int32) {
	mask = make([][]float32, batch.Size)
	for r := range mask {
		mask[r] = make([]float32, batch.MaxLen)
	}
	mask[0][1], mask[0][3], mask[1][0] = 1, 1, 1
	return mask, [][]int32{{1, 3}, {0, -1}, {-1, -1}}
}

// The MBM loss equals the one computed by hand from the masked forward pass's outputs at the
// masked positions and the head's weights, full and sampled. The masked forward pass is the
// encoder's own (with no mask it gives enc.Forward's hidden states), and it hides the masked
// behaviors: changing their IDs leaves every hidden state as it was, while the mask changes
// them.
func TestMBMLossMatchesHandComputation(t *testing.T) {
	b := PureGoBackend(t)
	batch := nmBatch()
	mask, pos := mbmHand(batch)
	// The same batch with other IDs at the masked behaviors.
	other := *batch
	other.IDs = append([]int32(nil), batch.IDs...)
	for r := range pos {
		for _, i := range pos[r] {
			if i >= 0 {
				other.IDs[(r*batch.MaxLen+int(i))*2], other.IDs[(r*batch.MaxLen+int(i))*2+1] = 7, 5
			}
		}
	}
	noMask := make([][]float32, batch.Size)
	for r := range noMask {
		noMask[r] = make([]float32, batch.MaxLen)
	}
	for _, settings := range []string{"", "idhead_full_max=5", "causal=true"} {
		t.Run(settings, func(t *testing.T) {
			ctx, enc, obj := mbmNew(t, "mbmv1", settings)
			negatives := map[int][]int32{}
			var extra []*tensors.Tensor
			if obj.Head.Sampled(0) {
				negatives[0] = []int32{3, 4, 4, 8, 2}
				extra = append(extra, tensors.FromValue(negatives[0]))
			}
			run := func(batch *data.Batch, mask [][]float32) []*tensors.Tensor {
				inputs := append(encoder.BatchTensors(batch), tensors.FromValue(mask), tensors.FromValue(pos))
				inputs = append(inputs, extra...)
				fn := func(ctx *context.Context, nodes []*Node) []*Node {
					in := withExtra(nodes, 5)
					loss, diag := obj.LossWithDiagnostics(ctx, enc, in)
					hidden, _ := obj.MaskedForward(ctx, enc, in, in.Extra[0])
					maskVar := ctx.GetVariableByScopeAndName(MaskEmbedding())
					return []*Node{loss, hidden, enc.Forward(ctx, in).Hidden, diag["masked_share"],
						Gradient(loss, maskVar.ValueGraph(loss.Graph()))[0]}
				}
				if _, err := context.ExecOnceN(b, ctx.Checked(false), fn, anys(inputs)...); err != nil {
					t.Fatal(err)
				}
				out, err := context.ExecOnceN(b, ctx.Reuse(), fn, anys(inputs)...)
				if err != nil {
					t.Fatal(err)
				}
				return out
			}
			out := run(batch, mask)
			got := float64(out[0].Value().(float32))
			hidden := out[1].Value().([][][]float32)
			w, bias := nmHeadWeights(t, ctx, MBMScope, 2)
			var targets []nmTarget
			for r := range pos {
				for _, i := range pos[r] {
					if i >= 0 {
						targets = append(targets, nmTarget{f64(hidden[r][i]), batch.IDs[(r*batch.MaxLen+int(i))*2 : (r*batch.MaxLen+int(i))*2+2]})
					}
				}
			}
			want := nmHandLoss(targets, w, bias, negatives, nmCounts)
			t.Logf("%d masked behaviors: loss %.6f, by hand %.6f", len(targets), got, want)
			if math.Abs(got-want) > 1e-5*max(1, want) {
				t.Fatalf("loss %.7f, by hand %.7f", got, want)
			}
			if share := out[3].Value().(float32); math.Abs(float64(share)-3.0/6) > 1e-6 {
				t.Fatalf("masked share %v, want 3 of 6", share)
			}
			if g := out[4].Value().([]float32); nmNorm(g) == 0 {
				t.Fatal("the mask embedding gets no gradient")
			}
			unmasked := out[2].Value().([][][]float32)
			if nmMaxDiff(hidden, unmasked, batch) < 1e-4 {
				t.Fatal("masking changed no hidden state")
			}
			if d := nmMaxDiff(run(batch, noMask)[1].Value().([][][]float32), unmasked, batch); d > 1e-6 {
				t.Fatalf("with no mask, the masked forward differs from enc.Forward by %g", d)
			}
			if d := nmMaxDiff(run(&other, mask)[1].Value().([][][]float32), hidden, batch); d > 1e-6 {
				t.Fatalf("the masked behaviors' IDs leak into the hidden states (difference %g)", d)
			}
		})
	}
}

func nmNorm(x []float32) float64 {
	s := 0.0
	for _, v := range x {
		s += float64(v) * float64(v)
	}
	return math.Sqrt(s)
}

// nmMaxDiff is the largest difference between a and b at the real behaviors of batch.
func nmMaxDiff(a, b [][][]float32, batch *data.Batch) float64 {
	d := 0.0
	for r := range a {
		for k := range batch.Len(r) {
			for i := range a[r][k] {
				d = max(d, math.Abs(float64(a[r][k][i]-b[r][k][i])))
			}
		}
	}
	return d
}

func TestMBMSettings(t *testing.T) {
	for method, ratio := range map[string]float64{"mbmv1": 0.1, "mbmv2": 0.2} {
		m, err := objective.Lookup(method)
		if err != nil {
			t.Fatal(err)
		}
		ctx := TinyContext(t, m.Defaults, "")
		if context.GetParamOr(ctx, encoder.ParamPool, true) || context.GetParamOr(ctx, encoder.ParamCausal, true) {
			t.Fatalf("%s's defaults: the raw sequence (pool=false) with bidirectional attention", method)
		}
		obj, err := m.New(ctx, nmFacts())
		if err != nil {
			t.Fatal(err)
		}
		if mbm := obj.(*MBM); mbm.Ratio != ratio || obj.Name() != method {
			t.Fatalf("%s: ratio %g, name %s", method, mbm.Ratio, obj.Name())
		}
		for _, tc := range []struct{ settings, want string }{
			{"pool=true", "pool"},
			{"mbm_mask_ratio=0", ParamMBMMaskRatio},
			{"mbm_mask_ratio=1.5", ParamMBMMaskRatio},
			{"idhead_full_max=3;idhead_negatives=0", encoder.ParamIDHeadNegatives},
		} {
			err := settingsError(m.Defaults, tc.settings, func(ctx *context.Context) error { _, err := m.New(ctx, nmFacts()); return err })
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("%s %s: error %v, want one naming %s", method, tc.settings, err, tc.want)
			}
		}
	}
}
