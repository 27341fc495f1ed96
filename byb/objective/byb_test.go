package objective_test

import (
	"fmt"
	"math"
	"testing"

	"github.com/byb-dev/byb/byb/data"
	"github.com/byb-dev/byb/byb/encoder"
	"github.com/byb-dev/byb/byb/objective"
	"github.com/byb-dev/byb/byb/params"
	"github.com/gomlx/gomlx/backends"
	. "github.com/gomlx/gomlx/pkg/core/graph" //nolint:revive
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/gomlx/gomlx/pkg/ml/context"
)

var tinyVocab = []int{10, 6}

const tinyT = 4 // input windows

// tinyBatch is two users over T = 4 day windows with m = 2 IDs per behavior, and the
// target-only behaviors of the dt2 windows after the input (window indices T..T+dt2-1):
//
//	row 0: input windows 0, 0, 2, 3 (n = 5, one padding); after the input: windows 4 and 5
//	row 1: input windows 1, 3; no behavior after the input
func tinyBatch(dt2 int) *data.Batch {
	b := &data.Batch{Size: 2, MaxLen: 5, NumIDs: 2, Windows: tinyT,
		IDs:    []int32{2, 3, 4, 2, 5, 5, 9, 4, 0, 0 /* row 1 */, 3, 3, 7, 2, 0, 0, 0, 0, 0, 0},
		Window: []int32{0, 0, 2, 3, -1, 1, 3, -1, -1, -1},
		Users:  []int32{0, 1}, Labels: []int32{-1, -1},
		TargetWindows: dt2, TargetLen: 3,
		TargetIDs:    []int32{6, 2, 8, 5, 2, 1 /* row 1 */, 0, 0, 0, 0, 0, 0},
		TargetWindow: []int32{tinyT, tinyT + 1, tinyT + 1, -1, -1, -1},
	}
	if dt2 == 1 { // only window T lies in the prediction window
		b.TargetWindow = []int32{tinyT, -1, -1, -1, -1, -1}
		b.TargetIDs = []int32{6, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}
	}
	return b
}

// tinyModel builds a small BYB model with the given settings and runs its graph once, so its
// variables exist. The teacher keeps its own random initialisation (Init is not called), so
// that a target computed from the student instead of the teacher is caught.
func tinyModel(t *testing.T, b backends.Backend, settings string, batch *data.Batch) (*context.Context, *encoder.Encoder, *objective.BYB) {
	t.Helper()
	ctx := context.New()
	encoder.SetDefaults(ctx)
	objective.BYBDefaults(ctx)
	ctx.SetParams(map[string]any{encoder.ParamDim: 8, encoder.ParamLayers: 1, encoder.ParamHeads: 2, encoder.ParamFF: 8,
		context.ParamInitialSeed: int64(3)})
	if _, err := params.Apply(ctx, settings); err != nil {
		t.Fatal(err)
	}
	enc, err := encoder.New(ctx, tinyVocab, batch.Windows)
	if err != nil {
		t.Fatal(err)
	}
	obj, err := objective.NewBYB(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := context.ExecOnceN(b, ctx.Checked(false), func(ctx *context.Context, nodes []*Node) []*Node {
		return []*Node{obj.Loss(ctx, enc, encoder.InputsFrom(nodes))}
	}, anys(encoder.BatchTensors(batch))...); err != nil {
		t.Fatal(err)
	}
	return ctx, enc, obj
}

func anys(ts []*tensors.Tensor) []any {
	out := make([]any, len(ts))
	for i, x := range ts {
		out[i] = x
	}
	return out
}

// handBYBLoss is Eq. 7-11 computed in float64 from the model's pieces: per-behavior target
// embeddings emb (input behaviors then target-only ones, row-major as in the batch), the
// predictions pred [B][L][d], and the batch. It returns the loss, the targets and their
// validity.
func handBYBLoss(b *data.Batch, pool bool, dt2 int, lossKind string, tau float64, emb, pred [][][]float64) (float64, [][][]float64, [][]bool) {
	L := b.Windows
	if !pool {
		L = b.MaxLen
	}
	d := len(pred[0][0])
	var total float64
	var valid int
	targets := make([][][]float64, b.Size)
	ok := make([][]bool, b.Size)
	for r := range b.Size {
		sums := make([][]float64, L+dt2)
		counts := make([]float64, L+dt2)
		for p := range sums {
			sums[p] = make([]float64, d)
		}
		add := func(pos int, e []float64) {
			for i, v := range e {
				sums[pos][i] += v
			}
			counts[pos]++
		}
		n := 0
		for i := range b.MaxLen {
			if w := b.Window[r*b.MaxLen+i]; w >= 0 {
				pos := int(w)
				if !pool {
					pos = i
				}
				add(pos, emb[r][i])
				n++
			}
		}
		for j := range b.TargetLen {
			if w := b.TargetWindow[r*b.TargetLen+j]; w >= 0 {
				pos := int(w)
				if !pool {
					pos = n + j
				}
				add(pos, emb[r][b.MaxLen+j])
			}
		}
		targets[r] = make([][]float64, L)
		ok[r] = make([]bool, L)
		for k := range L {
			tgt := make([]float64, d)
			c := 0.0
			for o := 1; o <= dt2; o++ {
				for i := range d {
					tgt[i] += sums[k+o][i]
				}
				c += counts[k+o]
			}
			if c == 0 || (!pool && k >= n) {
				continue
			}
			for i := range tgt {
				tgt[i] /= c
			}
			targets[r][k], ok[r][k] = tgt, true
			total += positionLoss(lossKind, tau, pred[r][k], tgt)
			valid++
		}
	}
	return total / float64(max(valid, 1)), targets, ok
}

func positionLoss(kind string, tau float64, pred, target []float64) float64 {
	if kind == "mse" {
		s := 0.0
		for i := range pred {
			s += (pred[i] - target[i]) * (pred[i] - target[i])
		}
		return s / float64(len(pred))
	}
	p, q := softmax(target, tau), softmax(pred, tau)
	ce := 0.0
	for i := range p {
		ce -= p[i] * math.Log(q[i])
	}
	return ce
}

func to64(x [][][]float32) [][][]float64 {
	out := make([][][]float64, len(x))
	for i := range x {
		out[i] = make([][]float64, len(x[i]))
		for j := range x[i] {
			out[i][j] = make([]float64, len(x[i][j]))
			for k, v := range x[i][j] {
				out[i][j][k] = float64(v)
			}
		}
	}
	return out
}

// The BYB loss, end to end (behavior encoders, pooling, Transformer, predictor, targets over
// the windows after each prefix, masking, CE or MSE), equals the same loss computed by hand
// from the model's pieces, for every ablation switch of Table 5 and ΔT2 > 1, pooled and not.
// The targets come from the teacher (or, without EMA, from the student), and the last
// position's target is the mean over the target-only behaviors after the input.
func TestBYBLossMatchesHandComputation(t *testing.T) {
	b := goBackend(t)
	for _, tc := range []struct {
		settings string
		dt2      int
	}{
		{"byb_ema=true;byb_predictor=true;byb_loss=ce", 1},
		{"byb_ema=false", 1},
		{"byb_predictor=false", 1},
		{"byb_loss=mse", 1},
		{"byb_dt2=2", 2},
		{"byb_ema=false;byb_loss=mse;byb_dt2=2", 2},
		{"pool=false", 1},
		{"pool=false;byb_dt2=2;byb_ema=false", 2},
	} {
		t.Run(tc.settings, func(t *testing.T) {
			batch := tinyBatch(tc.dt2)
			ctx, enc, obj := tinyModel(t, b, tc.settings, batch)
			out, err := context.ExecOnceN(b, ctx.Checked(false), func(ctx *context.Context, nodes []*Node) []*Node {
				in := encoder.InputsFrom(nodes)
				fw := enc.Forward(ctx, in)
				pred := fw.Hidden
				if obj.Predictor {
					pred = objective.Predict(ctx.In(objective.PredictorScope), pred)
				}
				ids := Concatenate([]*Node{in.IDs, in.TargetIDs}, 1)
				embCtx := ctx.In(encoder.Scope).In(encoder.BehaviorEncoderScope)
				if obj.EMA {
					embCtx = ctx.In(objective.TeacherScope).In(encoder.BehaviorEncoderScope)
				}
				emb := encoder.BehaviorEncoder(embCtx, enc.Config, enc.Vocab, ids)
				target, valid := obj.Targets(ctx, enc, in, fw)
				return []*Node{obj.Loss(ctx, enc, in), pred, emb, target, valid}
			}, anys(encoder.BatchTensors(batch))...)
			if err != nil {
				t.Fatal(err)
			}
			got := float64(out[0].Value().(float32))
			pred, emb := to64(out[1].Value().([][][]float32)), to64(out[2].Value().([][][]float32))
			want, wantTargets, wantValid := handBYBLoss(batch, enc.Pool, obj.DT2, obj.LossKind, obj.Tau, emb, pred)
			if math.Abs(got-want) > 1e-5*max(1, math.Abs(want)) {
				t.Fatalf("loss %.7f, by hand %.7f", got, want)
			}
			targets, valid := to64(out[3].Value().([][][]float32)), out[4].Value().([][]float32)
			for r := range wantTargets {
				for k := range wantTargets[r] {
					if (valid[r][k] == 1) != wantValid[r][k] {
						t.Fatalf("row %d position %d: valid %v, by hand %v", r, k, valid[r][k], wantValid[r][k])
					}
					for i, v := range wantTargets[r][k] {
						if math.Abs(targets[r][k][i]-v) > 1e-5 {
							t.Fatalf("row %d position %d: target %v, by hand %v", r, k, targets[r][k], wantTargets[r][k])
						}
					}
				}
			}
			if enc.Pool {
				// Row 0's last position predicts the target-only behaviors: for ΔT2 = 1 the one in
				// window T (embedding row n of emb), for ΔT2 = 2 the three of windows T and T+1.
				last := wantTargets[0][tinyT-1]
				first := emb[0][batch.MaxLen]
				if tc.dt2 == 1 && fmt.Sprint(last) != fmt.Sprint(first) {
					t.Fatalf("last target %v, want the target-only behavior's embedding %v", last, first)
				}
				if wantValid[1][tinyT-1] {
					t.Fatal("row 1 has no behavior after the input, yet its last position has a target")
				}
			}
		})
	}
}

// The representation E is read at the last position, so pretraining must train it: with the
// batch's target-only windows, the last row of the positional table gets a gradient. Without
// them (the old behavior: targets only inside the input), it gets none.
func TestLastPositionGetsGradient(t *testing.T) {
	b := goBackend(t)
	for _, withTargets := range []bool{true, false} {
		batch := tinyBatch(1)
		if !withTargets {
			batch.TargetWindows, batch.TargetLen, batch.TargetIDs, batch.TargetWindow = 0, 0, nil, nil
		}
		ctx, enc, obj := tinyModel(t, b, "", batch)
		pos := ctx.GetVariableByScopeAndName("/"+encoder.Scope+"/"+encoder.TransformerScope, "positions")
		if pos == nil {
			t.Fatal("no positional table")
		}
		out, err := context.ExecOnceN(b, ctx.Checked(false), func(ctx *context.Context, nodes []*Node) []*Node {
			loss := obj.Loss(ctx, enc, encoder.InputsFrom(nodes))
			return Gradient(loss, pos.ValueGraph(loss.Graph()))
		}, anys(encoder.BatchTensors(batch))...)
		if err != nil {
			t.Fatal(err)
		}
		grad := out[0].Value().([][]float32)
		norm := 0.0
		for _, v := range grad[tinyT-1] {
			norm += float64(v) * float64(v)
		}
		t.Logf("target-only windows %v: ‖∂loss/∂positions[T-1]‖² = %g", withTargets, norm)
		if withTargets && norm == 0 {
			t.Fatal("the last position (where E is read) gets no gradient despite the windows after the input")
		}
		if !withTargets && norm != 0 {
			t.Fatalf("without windows after the input the last position should have no target, gradient %g", norm)
		}
	}
}
