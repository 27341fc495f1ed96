package baselines

import (
	"fmt"
	"math"
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

// Fixtures shared by the NBP and MBM tests carry the prefix nm, so that the other baselines'
// tests in this package cannot collide with them.

var nmVocab = []int{9, 6} // 7 and 4 classes

const nmT = 4

// nmBatch is three users over T = 4 day windows, n = 5, m = 2, with target-only behaviors:
//
//	row 0: windows 0, 0, 2, 3 (one padding); after the input: windows T, T+1, T+1
//	row 1: windows 1, 3; nothing after the input
//	row 2: no behavior (a padding row of the loader); a target-only behavior in window T
//
// Row 0's second behavior is OOV in field 0, its third has no ID in field 1.
func nmBatch() *data.Batch {
	return &data.Batch{Size: 3, MaxLen: 5, NumIDs: 2, Windows: nmT,
		IDs: []int32{
			2, 3, 1, 2, 5, 0, 8, 4, 0, 0,
			3, 3, 7, 2, 0, 0, 0, 0, 0, 0,
			0, 0, 0, 0, 0, 0, 0, 0, 0, 0},
		Window:        []int32{0, 0, 2, 3, -1, 1, 3, -1, -1, -1, -1, -1, -1, -1, -1},
		Users:         []int32{0, 1, 2},
		Labels:        []int32{-1, -1, -1},
		TargetWindows: 2, TargetLen: 3,
		TargetIDs:    []int32{6, 2, 8, 5, 2, 1, 0, 0, 0, 0, 0, 0, 4, 4, 0, 0, 0, 0},
		TargetWindow: []int32{nmT, nmT + 1, nmT + 1, -1, -1, -1, nmT, -1, -1},
	}
}

// nmCounts are made-up pretraining counts (unigram proposal of a sampled field).
var nmCounts = [][]int64{{0, 0, 9, 7, 5, 4, 3, 2, 1}, {0, 0, 4, 3, 2, 1}}

func nmFacts() objective.Facts {
	return objective.Facts{Fields: []string{"item", "cat"}, Vocab: nmVocab, Counts: nmCounts, Windows: nmT, MaxLen: 5}
}

// nmHeadWeights reads the ID head's weights [C][d] and biases [C] of every field under scope.
func nmHeadWeights(t *testing.T, ctx *context.Context, scope string, fields int) (w [][][]float64, b [][]float64) {
	t.Helper()
	for j := range fields {
		s := fmt.Sprintf("/%s/idhead/field_%d", scope, j)
		wv, bv := ctx.GetVariableByScopeAndName(s, "weights"), ctx.GetVariableByScopeAndName(s, "biases")
		if wv == nil || bv == nil {
			t.Fatalf("no ID head variables in %s", s)
		}
		wj := wv.MustValue().Value().([][]float32)
		bj := bv.MustValue().Value().([]float32)
		rows := make([][]float64, len(wj))
		for i := range wj {
			rows[i] = f64(wj[i])
		}
		w, b = append(w, rows), append(b, f64(bj))
	}
	return w, b
}

// nmTarget is one prediction: the hidden state that predicts, and the IDs it predicts.
type nmTarget struct {
	h   []float64
	ids []int32
}

// nmHandLoss is the ID head's loss in float64: per field, the mean over the targets whose ID
// is a value (≥ 2) of the cross-entropy of the softmax over all the field's classes — or, for
// a field given negatives, over the true class and the negatives that are not it, each logit
// corrected by −log q of the proposal ∝ counts — summed over fields.
func nmHandLoss(targets []nmTarget, w [][][]float64, b [][]float64, negatives map[int][]int32, counts [][]int64) float64 {
	total := 0.0
	for j := range w {
		logit := func(h []float64, cls int) float64 {
			s := b[j][cls]
			for i, v := range h {
				s += v * w[j][cls][i]
			}
			return s
		}
		var logQ []float64
		if neg := negatives[j]; neg != nil {
			sum := 0.0
			for _, c := range counts[j][2:] {
				sum += float64(c)
			}
			for _, c := range counts[j][2:] {
				logQ = append(logQ, math.Log(float64(c)/sum))
			}
		}
		ce, n := 0.0, 0
		for _, tg := range targets {
			id := tg.ids[j]
			if id < 2 {
				continue
			}
			y := int(id) - 2
			var cands []float64
			if neg := negatives[j]; neg != nil {
				cands = append(cands, logit(tg.h, y)-logQ[y])
				for _, s := range neg {
					if c := int(s) - 2; c != y {
						cands = append(cands, logit(tg.h, c)-logQ[c])
					}
				}
			} else {
				cands = append(cands, logit(tg.h, y))
				for c := range w[j] {
					if c != y {
						cands = append(cands, logit(tg.h, c))
					}
				}
			}
			lse := 0.0
			for _, v := range cands {
				lse += math.Exp(v)
			}
			ce += math.Log(lse) - cands[0]
			n++
		}
		if n > 0 {
			total += ce / float64(n)
		}
	}
	return total
}

func nmNewNBP(t *testing.T, settings string) (*context.Context, *encoder.Encoder, *NBP) {
	t.Helper()
	ctx := TinyContext(t, NBPDefaults, settings)
	enc := newEncoder(t, ctx, nmVocab, nmT)
	obj, err := NewNBP(ctx, nmFacts())
	if err != nil {
		t.Fatal(err)
	}
	return ctx, enc, obj
}

// NBP's targets on a hand-built batch. Without pooling, position k's target is behavior k+1;
// the last real position's is the first target-only behavior (row 0), none when there is no
// behavior after the input (row 1) or no input at all (row 2); padding positions have none.
// With pooling, each behavior of window w ≥ 1 is a target of position w−1, the target-only
// behaviors of window T of position T−1, those of later windows of none.
func TestNBPTargetAlignment(t *testing.T) {
	b := PureGoBackend(t)
	batch := nmBatch()
	for _, tc := range []struct {
		settings string
		// per row: the position that predicts each behavior, input behaviors then target-only
		want [][]int32
		n    int // behaviors per row in the targets
	}{
		{"pool=false", [][]int32{{-1, 0, 1, 2, -1, 3}, {-1, 0, -1, -1, -1, -1}, {-1, -1, -1, -1, -1, -1}}, 6},
		{"pool=true", [][]int32{{-1, -1, 1, 2, -1, 3, -1, -1}, {0, 2, -1, -1, -1, -1, -1, -1}, {-1, -1, -1, -1, -1, -1, -1, -1}}, 8},
	} {
		t.Run(tc.settings, func(t *testing.T) {
			ctx, enc, obj := nmNewNBP(t, tc.settings)
			out, err := context.ExecOnceN(b, ctx, func(ctx *context.Context, nodes []*Node) []*Node {
				ids, src := obj.Targets(enc, encoder.InputsFrom(nodes))
				return []*Node{ids, src}
			}, anys(encoder.BatchTensors(batch))...)
			if err != nil {
				t.Fatal(err)
			}
			ids, src := out[0].Value().([][][]int32), out[1].Value().([][]int32)
			if !reflect.DeepEqual(src, tc.want) {
				t.Fatalf("source positions %v, want %v", src, tc.want)
			}
			for r := range batch.Size {
				for i := range tc.n {
					var want []int32
					if i < batch.MaxLen {
						want = batch.IDs[(r*batch.MaxLen+i)*2 : (r*batch.MaxLen+i)*2+2]
					} else {
						j := i - batch.MaxLen
						want = batch.TargetIDs[(r*batch.TargetLen+j)*2 : (r*batch.TargetLen+j)*2+2]
					}
					if !reflect.DeepEqual(ids[r][i], want) {
						t.Fatalf("row %d behavior %d: IDs %v, want %v", r, i, ids[r][i], want)
					}
				}
			}
		})
	}
}

// nbpHandTargets lists NBP's targets from the batch, independently of Targets: without pooling
// position k predicts behavior k+1, the last real position the first target-only behavior;
// with pooling position w−1 predicts every behavior of window w, T−1 those of window T.
func nbpHandTargets(batch *data.Batch, pool bool, hidden [][][]float32) []nmTarget {
	m := batch.NumIDs
	var out []nmTarget
	for r := range batch.Size {
		n := batch.Len(r)
		idsAt := func(i int) []int32 { return batch.IDs[(r*batch.MaxLen+i)*m : (r*batch.MaxLen+i+1)*m] }
		tIDsAt := func(j int) []int32 { return batch.TargetIDs[(r*batch.TargetLen+j)*m : (r*batch.TargetLen+j+1)*m] }
		if !pool {
			for k := 0; k+1 < n; k++ {
				out = append(out, nmTarget{f64(hidden[r][k]), idsAt(k + 1)})
			}
			if n > 0 && batch.TargetWindow[r*batch.TargetLen] >= 0 {
				out = append(out, nmTarget{f64(hidden[r][n-1]), tIDsAt(0)})
			}
			continue
		}
		for i := range n {
			if w := int(batch.Window[r*batch.MaxLen+i]); w >= 1 {
				out = append(out, nmTarget{f64(hidden[r][w-1]), idsAt(i)})
			}
		}
		for j := range batch.TargetLen {
			if n > 0 && int(batch.TargetWindow[r*batch.TargetLen+j]) == batch.Windows {
				out = append(out, nmTarget{f64(hidden[r][batch.Windows-1]), tIDsAt(j)})
			}
		}
	}
	return out
}

// The NBP loss equals the one computed by hand from the Transformer's outputs and the head's
// weights, with full softmaxes and with field 0's softmax sampled (fixed negatives, one of
// which is a true class), pooled and not.
func TestNBPLossMatchesHandComputation(t *testing.T) {
	b := PureGoBackend(t)
	batch := nmBatch()
	for _, settings := range []string{"", "idhead_full_max=5", "pool=true", "pool=true;idhead_full_max=5"} {
		t.Run(settings, func(t *testing.T) {
			ctx, enc, obj := nmNewNBP(t, settings)
			var extra []*tensors.Tensor
			negatives := map[int][]int32{}
			if obj.Head.Sampled(0) {
				negatives[0] = []int32{2, 3, 3, 8, 6}
				extra = append(extra, tensors.FromValue(negatives[0]))
			}
			if obj.Head.Sampled(1) || obj.Head.NumNegativeInputs() != len(extra) {
				t.Fatalf("sampled fields: %d", obj.Head.NumNegativeInputs())
			}
			inputs := append(encoder.BatchTensors(batch), extra...)
			fn := func(ctx *context.Context, nodes []*Node) []*Node {
				in := withExtra(nodes, 5)
				loss, diag := obj.LossWithDiagnostics(ctx, enc, in)
				return []*Node{loss, enc.Forward(ctx, in).Hidden, diag[objective.DiagE], diag["acc_item"+map[bool]string{true: "_sampled"}[obj.Head.Sampled(0)]]}
			}
			if _, err := context.ExecOnceN(b, ctx.Checked(false), fn, anys(inputs)...); err != nil {
				t.Fatal(err)
			}
			out, err := context.ExecOnceN(b, ctx.Reuse(), fn, anys(inputs)...)
			if err != nil {
				t.Fatal(err)
			}
			got := float64(out[0].Value().(float32))
			hidden := out[1].Value().([][][]float32)
			w, bias := nmHeadWeights(t, ctx, NBPScope, 2)
			targets := nbpHandTargets(batch, enc.Pool, hidden)
			want := nmHandLoss(targets, w, bias, negatives, nmCounts)
			t.Logf("%d targets: loss %.6f, by hand %.6f", len(targets), got, want)
			if math.Abs(got-want) > 1e-5*max(1, want) {
				t.Fatalf("loss %.7f, by hand %.7f", got, want)
			}
			if e := out[2].Value().([][]float32); len(e) != batch.Size || len(e[0]) != 8 || out[3] == nil {
				t.Fatalf("diagnostics: E %v", e)
			}
		})
	}
}

func TestNBPSettings(t *testing.T) {
	m, err := objective.Lookup("nbp")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ settings, want string }{
		{"causal=false", "causal"},
		{"nbp_future_days=0", ParamNBPFutureDays},
		{"idhead_full_max=3;idhead_negatives=0", encoder.ParamIDHeadNegatives},
		{"idhead_sample_power=-1", encoder.ParamIDHeadSamplePower},
	} {
		err := settingsError(m.Defaults, tc.settings, func(ctx *context.Context) error { _, err := m.New(ctx, nmFacts()); return err })
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want one naming %s", tc.settings, err, tc.want)
		}
	}
	ctx := TinyContext(t, m.Defaults, "")
	if context.GetParamOr(ctx, encoder.ParamPool, true) || !context.GetParamOr(ctx, encoder.ParamCausal, false) {
		t.Fatal("NBP's defaults: the raw sequence (pool=false) with causal attention")
	}
	obj, err := m.New(ctx, nmFacts())
	if err != nil {
		t.Fatal(err)
	}
	if fr := obj.(objective.FutureReader); fr.FutureWindows() != 7 {
		t.Fatalf("future windows %d, want nbp_future_days = 7", fr.FutureWindows())
	}
	if _, ok := obj.(objective.WholeFutureReader); ok {
		t.Fatal("NBP needs only the next behavior, not the whole future")
	}
	pooled, err := m.New(TinyContext(t, m.Defaults, "pool=true"), nmFacts())
	if err != nil || pooled.(objective.FutureReader).FutureWindows() != 1 {
		t.Fatalf("pooled NBP: %v, future windows must be the next day", err)
	}
}
