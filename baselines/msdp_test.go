package baselines

import (
	"fmt"
	"math"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"

	"github.com/byb-dev/byb/byb/bench"
	"github.com/byb-dev/byb/byb/data"
	"github.com/byb-dev/byb/byb/encoder"
	"github.com/byb-dev/byb/byb/objective"
	. "github.com/gomlx/gomlx/pkg/core/graph" //nolint:revive
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/gomlx/gomlx/pkg/ml/context"
)

const msdpTinyT = 4

// msdpTinyFacts: two fields, "item" (vocabulary 10) and "cat" (6), with pretraining counts.
func msdpTinyFacts() objective.Facts {
	return objective.Facts{Fields: []string{"item", "cat"}, Vocab: []int{10, 6},
		Counts: [][]int64{{0, 0, 5, 9, 1, 9, 0, 7, 2, 3}, {0, 0, 4, 3, 2, 1}}, Windows: msdpTinyT, MaxLen: 5}
}

// msdpTinyBatch is two users over T = 4 day windows, m = 2 IDs per behavior (item, cat),
// and the target-only behaviors of the 7 windows after the input (window T+j = day j+1 after
// the observation window):
//
//	row 0: 4 input behaviors; after the input item 3 on day 1, item 5 on day 3, items 7 and
//	       3 on day 7
//	row 1: 2 input behaviors; after the input item 9 on day 2, item 4 on day 2
func msdpTinyBatch() *data.Batch {
	T := int32(msdpTinyT)
	return &data.Batch{Size: 2, MaxLen: 5, NumIDs: 2, Windows: msdpTinyT,
		IDs:    []int32{2, 3, 4, 2, 5, 5, 9, 4, 0, 0 /* row 1 */, 3, 3, 7, 2, 0, 0, 0, 0, 0, 0},
		Window: []int32{0, 0, 2, 3, -1, 1, 3, -1, -1, -1},
		Users:  []int32{0, 1}, Labels: []int32{-1, -1},
		TargetWindows: 7, TargetLen: 4,
		TargetIDs:    []int32{3, 2, 5, 4, 7, 2, 3, 3 /* row 1 */, 9, 5, 4, 2, 0, 0, 0, 0},
		TargetWindow: []int32{T, T + 2, T + 6, T + 6, T + 1, T + 1, -1, -1},
	}
}

func msdpNew(t *testing.T, settings string) (*context.Context, *MSDP) {
	t.Helper()
	ctx := TinyContext(t, MSDPDefaults, settings)
	o, err := NewMSDP(ctx, msdpTinyFacts())
	if err != nil {
		t.Fatal(err)
	}
	return ctx, o
}

// The behaviors are the top K of the largest vocabulary by count (ties: lower index first,
// reserved indices and unseen values never), or of the named field, or the given list; the
// future read is the largest scale, every behavior of it.
func TestMSDPBehaviorsAndScales(t *testing.T) {
	_, o := msdpNew(t, "msdp_k=4;msdp_scales=7,1,3")
	if o.Field != "item" || o.Slot != 0 {
		t.Fatalf("field %q slot %d, want the largest vocabulary, item", o.Field, o.Slot)
	}
	if want := []int32{3, 5, 7, 2}; !reflect.DeepEqual(o.IDs, want) {
		t.Fatalf("top 4 items %v, want %v (counts 9, 9, 7, 5)", o.IDs, want)
	}
	if !reflect.DeepEqual(o.Scales, []int{1, 3, 7}) || o.FutureWindows() != 7 || !o.WholeFuture() {
		t.Fatalf("scales %v, future %d, whole %v", o.Scales, o.FutureWindows(), o.WholeFuture())
	}
	_, o = msdpNew(t, "msdp_k=200")
	if len(o.IDs) != 7 { // items 2..9 but 6 (count 0)
		t.Fatalf("K = %d, want the 7 items with a count", len(o.IDs))
	}
	_, o = msdpNew(t, "msdp_field=cat;msdp_k=2")
	if o.Slot != 1 || !reflect.DeepEqual(o.IDs, []int32{2, 3}) {
		t.Fatalf("cat: slot %d ids %v", o.Slot, o.IDs)
	}
	_, o = msdpNew(t, "msdp_ids=9, 4")
	if !reflect.DeepEqual(o.IDs, []int32{9, 4}) {
		t.Fatalf("given ids %v", o.IDs)
	}
	for _, bad := range []string{"msdp_k=0", "msdp_field=brand", "msdp_ids=1", "msdp_ids=10", "msdp_ids=3,3",
		"msdp_scales=0,3", "msdp_scales=3,3", "msdp_scales=x", "msdp_windows_per_sample=6", "msdp_windows_per_sample=0",
		"msdp_mask_ratio=1", "msdp_mask_mode=zero", "msdp_lambda=-1", "msdp_hidden=-2"} {
		if err := settingsError(MSDPDefaults, bad, func(ctx *context.Context) error { _, err := NewMSDP(ctx, msdpTinyFacts()); return err }); err == nil {
			t.Errorf("%s: no error", bad)
		} else if !strings.Contains(err.Error(), strings.SplitN(bad, "=", 2)[0]) {
			t.Errorf("%s: error %q does not name the parameter", bad, err)
		}
	}
	noCounts := msdpTinyFacts()
	noCounts.Counts = nil
	if _, err := NewMSDP(TinyContext(t, MSDPDefaults, ""), noCounts); err == nil {
		t.Error("top K without counts: no error")
	}
}

// The presence targets of a hand-built batch: which of the K items occur in the W days after
// the observation window, for given W.
func TestMSDPPresenceTargets(t *testing.T) {
	_, o := msdpNew(t, "msdp_ids=3,5,7,9;msdp_scales=1,3,7;msdp_windows_per_sample=3")
	b := msdpTinyBatch()
	// Row 0 takes W = 1, 7, 3; row 1 W = 3, 1, 7 (indices into 1,3,7).
	got := o.Presence(b, []int32{0, 2, 1, 1, 0, 2})
	want := []float32{
		1, 0, 0, 0, // row 0, W=1: item 3 (day 1)
		1, 1, 1, 0, // row 0, W=7: items 3, 5, 7
		1, 1, 0, 0, // row 0, W=3: items 3, 5 (day 3); item 7 is on day 7
		0, 0, 0, 1, // row 1, W=3: item 9 (day 2); item 4 is not a behavior of K
		0, 0, 0, 0, // row 1, W=1: nothing on day 1
		0, 0, 0, 1, // row 1, W=7
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("presence\n%v\nwant\n%v", got, want)
	}
	// Transform draws distinct scales per row and returns their presence.
	_, o2 := msdpNew(t, "msdp_ids=3,5,7,9;msdp_scales=1,3,7;msdp_windows_per_sample=2")
	ts, err := o2.Transform(b, rand.New(rand.NewPCG(1, 2)))
	if err != nil {
		t.Fatal(err)
	}
	if len(ts) != 3 {
		t.Fatalf("%d tensors, want scales, presence, mask", len(ts))
	}
	scales := ts[0].Value().([][]int32)
	flat := append(append([]int32(nil), scales[0]...), scales[1]...)
	for r := range scales {
		if scales[r][0] == scales[r][1] {
			t.Fatalf("row %d drew scale %d twice", r, scales[r][0])
		}
	}
	pres := tensors.MustCopyFlatData[float32](ts[1])
	if !reflect.DeepEqual(pres, o2.Presence(b, flat)) {
		t.Fatalf("Transform's presence %v is not that of its scales %v", pres, scales)
	}
	// The largest scale needs its windows in the batch.
	short := msdpTinyBatch()
	short.TargetWindows = 3
	if _, err := o2.Transform(short, rand.New(rand.NewPCG(1, 2))); err == nil {
		t.Fatal("a batch with 3 windows after the input for a 7-day scale: no error")
	}
}

// The masked view is deterministic for a seed (the trainer seeds it from seed and step),
// differs across seeds, masks round(ratio·L) real behaviors per row (at least one, never all),
// and drop mode removes exactly them.
func TestMSDPMaskDeterministic(t *testing.T) {
	_, o := msdpNew(t, "msdp_mask_ratio=0.25")
	vocab := []int{10, 6}
	b := bench.RandomPaddedBatch(rand.New(rand.NewPCG(4, 4)), 16, 20, msdpTinyT, vocab)
	m1 := o.SampleMask(b, rand.New(rand.NewPCG(9, 1)))
	m2 := o.SampleMask(b, rand.New(rand.NewPCG(9, 1)))
	m3 := o.SampleMask(b, rand.New(rand.NewPCG(9, 2)))
	if !reflect.DeepEqual(m1, m2) {
		t.Fatal("same seed, different masks")
	}
	if reflect.DeepEqual(m1, m3) {
		t.Fatal("different seeds, same mask")
	}
	for r := range b.Size {
		L, masked := b.Len(r), 0
		for i := range b.MaxLen {
			if m1[r*b.MaxLen+i] == 1 {
				if i >= L {
					t.Fatalf("row %d: padding position %d masked", r, i)
				}
				masked++
			}
		}
		want := min(max(int(math.Round(0.25*float64(L))), 1), L-1)
		if L <= 1 {
			want = 0
		}
		if masked != want {
			t.Fatalf("row %d of %d behaviors: %d masked, want %d", r, L, masked, want)
		}
	}
	// Drop mode on the tiny batch: row 0 without its 2nd and 4th behaviors, row 1 without its 1st.
	tb := msdpTinyBatch()
	ids, window := DropMasked(tb, []float32{0, 1, 0, 1, 0, 1, 0, 0, 0, 0})
	wantIDs := []int32{2, 3, 5, 5, 0, 0, 0, 0, 0, 0 /* row 1 */, 7, 2, 0, 0, 0, 0, 0, 0, 0, 0}
	wantWin := []int32{0, 2, -1, -1, -1, 3, -1, -1, -1, -1}
	if !reflect.DeepEqual(ids, wantIDs) || !reflect.DeepEqual(window, wantWin) {
		t.Fatalf("dropped view ids %v window %v, want %v %v", ids, window, wantIDs, wantWin)
	}
}

func msdpVar(t *testing.T, ctx *context.Context, scope, name string) *tensors.Tensor {
	t.Helper()
	v := ctx.GetVariableByScopeAndName(scope, name)
	if v == nil {
		t.Fatalf("no variable %s/%s", scope, name)
	}
	return v.MustValue()
}

func msdpMatrix(t *testing.T, ctx *context.Context, scope string) ([][]float64, []float64) {
	t.Helper()
	w := msdpVar(t, ctx, scope+"/dense", "weights").Value().([][]float32)
	bias := msdpVar(t, ctx, scope+"/dense", "biases").Value().([]float32)
	out := make([][]float64, len(w))
	for i := range w {
		out[i] = f64(w[i])
	}
	return out, f64(bias)
}

// msdpLinear is x·W + b.
func msdpLinear(x []float64, w [][]float64, b []float64) []float64 {
	out := append([]float64(nil), b...)
	for i, xi := range x {
		for j := range out {
			out[j] += xi * w[i][j]
		}
	}
	return out
}

func msdpRelu(x []float64) []float64 {
	out := make([]float64, len(x))
	for i, v := range x {
		out[i] = math.Max(v, 0)
	}
	return out
}

func msdpCos(a, b []float64) float64 {
	var ab, aa, bb float64
	for i := range a {
		ab, aa, bb = ab+a[i]*b[i], aa+a[i]*a[i], bb+b[i]*b[i]
	}
	return ab / (math.Sqrt(aa) * math.Sqrt(bb))
}

// The loss is mean BCE over the K presences of every sampled window plus λ times the
// symmetrised SimSiam loss between E and E of the masked view, computed here in float64
// from E, E of the view, the head's, the prompts' and the predictor's variables, and
// presence targets written by hand; in token mode and in drop mode, where E of the view
// must be E of the sequence without its masked behaviors.
func TestMSDPLossMatchesHandComputation(t *testing.T) {
	b := PureGoBackend(t)
	batch := msdpTinyBatch()
	scales := []int32{0, 2, 1, 2} // row 0: W = 1, 7; row 1: W = 3, 7
	presence := []float32{1, 0, 0, 0, 1, 1, 1, 0 /* row 1 */, 0, 0, 0, 1, 0, 0, 0, 1}
	mask := []float32{0, 1, 0, 1, 0, 1, 0, 0, 0, 0}
	// The masked view of drop mode, by hand: row 0 keeps behaviors 1 and 3, row 1 its 2nd.
	dropIDs := []int32{2, 3, 5, 5, 0, 0, 0, 0, 0, 0 /* row 1 */, 7, 2, 0, 0, 0, 0, 0, 0, 0, 0}
	dropWin := []int32{0, 2, -1, -1, -1, 3, -1, -1, -1, -1}
	for _, tc := range []struct {
		settings string
		lambda   float64
	}{
		{"msdp_mask_mode=token", 0.1},
		{"msdp_mask_mode=token;msdp_lambda=2;msdp_hidden=5", 2},
		{"msdp_mask_mode=drop;msdp_lambda=0.5", 0.5},
		{"msdp_lambda=0", 0},
		{"msdp_mask_mode=drop;pool=true", 0.1},
	} {
		t.Run(tc.settings, func(t *testing.T) {
			ctx, o := msdpNew(t, "msdp_ids=3,5,7,9;msdp_scales=1,3,7;"+tc.settings)
			enc := newEncoder(t, ctx, msdpTinyFacts().Vocab, batch.Windows)
			base := encoder.BatchTensors(batch)
			extra := []*tensors.Tensor{tensors.FromFlatDataAndDimensions(scales, 2, 2),
				tensors.FromFlatDataAndDimensions(presence, 2, 2, 4)}
			switch {
			case o.Lambda == 0:
			case o.MaskMode == MSDPMaskToken:
				extra = append(extra, tensors.FromFlatDataAndDimensions(mask, 2, 5))
			default:
				extra = append(extra, tensors.FromFlatDataAndDimensions(dropIDs, 2, 5, 2), tensors.FromFlatDataAndDimensions(dropWin, 2, 5))
			}
			args := anys(append(base, extra...))
			var diagNames []string
			out, err := context.ExecOnceN(b, ctx.Checked(false), func(ctx *context.Context, nodes []*Node) []*Node {
				in := withExtra(nodes, len(base))
				loss, diag := o.LossWithDiagnostics(ctx, enc, in)
				fw := enc.Forward(ctx, in)
				view := fw.E
				if o.Lambda > 0 {
					if o.MaskMode == MSDPMaskToken {
						view = enc.ForwardBehaviors(ctx, encoder.MaskBehaviors(ctx.In(MSDPScope).In(MSDPMaskScope), fw.Behaviors, in.Extra[2]), in.Window).E
					} else {
						view = enc.Forward(ctx, encoder.Inputs{IDs: in.Extra[2], Window: in.Extra[3]}).E
					}
				}
				res := []*Node{loss, fw.E, view}
				for name, v := range diag {
					if name != objective.DiagE {
						diagNames = append(diagNames, name)
						res = append(res, v)
					}
				}
				return res
			}, args...)
			if err != nil {
				t.Fatal(err)
			}
			got := float64(out[0].Value().(float32))
			e, view := out[1].Value().([][]float32), out[2].Value().([][]float32)
			diag := map[string]float64{}
			for i, name := range diagNames {
				diag[name] = float64(out[3+i].Value().(float32))
			}

			hw, hb := msdpMatrix(t, ctx, "/msdp/head/hidden")
			ow, ob := msdpMatrix(t, ctx, "/msdp/head/output")
			prompts := msdpVar(t, ctx, "/msdp/head", MSDPPromptsVarName).Value().([][]float32)
			if want := map[bool]int{true: 5, false: 8}[strings.Contains(tc.settings, "hidden=5")]; len(hb) != want {
				t.Fatalf("head hidden width %d, want %d", len(hb), want)
			}
			bce, n := 0.0, 0
			var correct, tp, fp, fn float64
			for r := range 2 {
				h := msdpLinear(f64(e[r]), hw, hb)
				for p := range 2 {
					pre := make([]float64, len(h))
					for j := range h {
						pre[j] = h[j] + float64(prompts[scales[r*2+p]][j])
					}
					logits := msdpLinear(msdpRelu(pre), ow, ob)
					for k, x := range logits {
						y := float64(presence[(r*2+p)*4+k])
						q := 1 / (1 + math.Exp(-x))
						bce -= y*math.Log(q) + (1-y)*math.Log(1-q)
						n++
						if pred := x > 0; pred == (y == 1) {
							correct++
						}
						switch {
						case x > 0 && y == 1:
							tp++
						case x > 0:
							fp++
						case y == 1:
							fn++
						}
					}
				}
			}
			bce /= float64(n)
			want := bce
			if o.Lambda > 0 {
				pw1, pb1 := msdpMatrix(t, ctx, "/msdp/predictor/hidden")
				pw2, pb2 := msdpMatrix(t, ctx, "/msdp/predictor/output")
				pred := func(z []float32) []float64 {
					return msdpLinear(msdpRelu(msdpLinear(f64(z), pw1, pb1)), pw2, pb2)
				}
				sim := 0.0
				for r := range 2 {
					differs := false
					for j := range e[r] {
						differs = differs || math.Abs(float64(e[r][j]-view[r][j])) > 1e-4
					}
					if !differs {
						t.Fatalf("row %d: E of the masked view equals E", r)
					}
					sim += -0.5*msdpCos(pred(e[r]), f64(view[r])) - 0.5*msdpCos(pred(view[r]), f64(e[r]))
				}
				sim /= 2
				want += tc.lambda * sim
				if math.Abs(diag["simsiam"]-sim) > 1e-5 {
					t.Fatalf("diag simsiam %.7f, by hand %.7f", diag["simsiam"], sim)
				}
			}
			t.Logf("loss %.6f (bce %.6f), by hand %.6f; diagnostics %v", got, bce, want, diag)
			if math.Abs(got-want) > 1e-5*math.Max(1, math.Abs(want)) {
				t.Fatalf("loss %.7f, by hand %.7f", got, want)
			}
			checks := map[string]float64{"bce": bce, "presence_acc": correct / float64(n),
				"presence_f1": 2 * tp / math.Max(2*tp+fp+fn, 1), "presence_rate": 6.0 / 16}
			for name, v := range checks {
				if math.Abs(diag[name]-v) > 1e-5 {
					t.Fatalf("diag %s = %.7f, by hand %.7f", name, diag[name], v)
				}
			}
		})
	}
}

// Every trainable variable MSDP adds gets a gradient from its loss: the head, the prompts,
// the predictor and (token mode) the mask embedding, so none is left at its initialisation.
func TestMSDPGradientsReachItsVariables(t *testing.T) {
	b := PureGoBackend(t)
	batch := msdpTinyBatch()
	ctx, o := msdpNew(t, "msdp_ids=3,5,7,9;msdp_scales=1,3,7")
	enc := newEncoder(t, ctx, msdpTinyFacts().Vocab, batch.Windows)
	base := encoder.BatchTensors(batch)
	extra, err := o.Transform(batch, rand.New(rand.NewPCG(3, 3)))
	if err != nil {
		t.Fatal(err)
	}
	args := anys(append(base, extra...))
	build := func(ctx *context.Context, nodes []*Node) *Node {
		in := withExtra(nodes, len(base))
		return o.Loss(ctx, enc, in)
	}
	if _, err := context.ExecOnceN(b, ctx.Checked(false), func(ctx *context.Context, nodes []*Node) []*Node {
		return []*Node{build(ctx, nodes)}
	}, args...); err != nil {
		t.Fatal(err)
	}
	var vars []*context.Variable
	for v := range ctx.InAbsPath("/" + MSDPScope).IterVariablesInScope() {
		vars = append(vars, v)
	}
	if len(vars) != 10 { // head: hidden and output weights and biases, prompts; predictor: 2×2; mask
		t.Fatalf("%d variables under /msdp, want 10", len(vars))
	}
	out, err := context.ExecOnceN(b, ctx.Checked(false), func(ctx *context.Context, nodes []*Node) []*Node {
		loss := build(ctx, nodes)
		g := loss.Graph()
		var vs []*Node
		for _, v := range vars {
			vs = append(vs, v.ValueGraph(g))
		}
		return Gradient(loss, vs...)
	}, args...)
	if err != nil {
		t.Fatal(err)
	}
	names := map[string]bool{}
	for i, v := range vars {
		names[v.ScopeAndName()] = true
		norm := 0.0
		for _, x := range tensors.MustCopyFlatData[float32](out[i]) {
			norm += float64(x) * float64(x)
		}
		if norm == 0 {
			t.Errorf("%s gets no gradient", v.ScopeAndName())
		}
	}
	for _, want := range []string{"/msdp/head/prompts", "/msdp/mask/" + encoder.MaskEmbeddingVarName, "/msdp/predictor/output/dense/weights"} {
		if !names[want] {
			t.Errorf("no variable %s among %v", want, fmt.Sprint(names))
		}
	}
}

// SimSiam's stop-gradient: the gradient of the loss with respect to each view's z comes only
// through the branch that predicts from it, ∂/∂z1 of ½·D(pred(z1), z2) with z2 a constant
// (and the same for z2), which is checked here against central differences of that half,
// computed in float64. Without the stop-gradients the other half's derivative would be added.
func TestMSDPSimSiamStopsGradient(t *testing.T) {
	b := PureGoBackend(t)
	const B, d = 3, 4
	rng := rand.New(rand.NewPCG(2, 5))
	z1, z2 := make([]float32, B*d), make([]float32, B*d)
	for i := range z1 {
		z1[i], z2[i] = float32(rng.NormFloat64()), float32(rng.NormFloat64())
	}
	ctx := context.New()
	ctx.SetParam(context.ParamInitialSeed, int64(4))
	out, err := context.ExecOnceN(b, ctx.Checked(false), func(ctx *context.Context, a, c *Node) []*Node {
		loss := SimSiamLoss(ctx.In("p"), a, c)
		return append([]*Node{loss}, Gradient(loss, a, c)...)
	}, tensors.FromFlatDataAndDimensions(z1, B, d), tensors.FromFlatDataAndDimensions(z2, B, d))
	if err != nil {
		t.Fatal(err)
	}
	w1, b1 := msdpMatrix(t, ctx, "/p/hidden")
	w2, b2 := msdpMatrix(t, ctx, "/p/output")
	pred := func(z []float64) []float64 { return msdpLinear(msdpRelu(msdpLinear(z, w1, b1)), w2, b2) }
	// half is ½·D(pred(z), sg(other)), the batch mean.
	half := func(z, other []float64) float64 {
		s := 0.0
		for r := range B {
			s -= msdpCos(pred(z[r*d:(r+1)*d]), other[r*d:(r+1)*d])
		}
		return 0.5 * s / B
	}
	z1f, z2f := f64(z1), f64(z2)
	if got, want := float64(out[0].Value().(float32)), half(z1f, z2f)+half(z2f, z1f); math.Abs(got-want) > 1e-5 {
		t.Fatalf("SimSiam loss %.7f, by hand %.7f", got, want)
	}
	const h = 1e-5
	for v, pair := range [][2][]float64{{z1f, z2f}, {z2f, z1f}} {
		grad := tensors.MustCopyFlatData[float32](out[1+v])
		z, other := pair[0], pair[1]
		for i := range z {
			plus, minus := append([]float64(nil), z...), append([]float64(nil), z...)
			plus[i] += h
			minus[i] -= h
			want := (half(plus, other) - half(minus, other)) / (2 * h)
			if math.Abs(float64(grad[i])-want) > 1e-4 {
				t.Fatalf("∂loss/∂z%d[%d] = %.6f, the predicting branch alone gives %.6f", v+1, i, grad[i], want)
			}
		}
	}
}
