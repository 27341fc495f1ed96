package encoder_test

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/byb-dev/byb/byb/encoder"
	"github.com/gomlx/gomlx/backends"
	. "github.com/gomlx/gomlx/pkg/core/graph" //nolint:revive
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/gomlx/gomlx/pkg/ml/context"
)

// idHeadCase is a tiny input of the ID head: B=2 rows of L=3 positions, d=4, m=2 fields.
type idHeadCase struct {
	hidden [][][]float32
	ids    [][][]int32
	valid  [][]float32
}

func newIDHeadCase() idHeadCase {
	rng := rand.New(rand.NewPCG(11, 12))
	c := idHeadCase{hidden: make([][][]float32, 2)}
	for r := range c.hidden {
		c.hidden[r] = make([][]float32, 3)
		for k := range c.hidden[r] {
			c.hidden[r][k] = make([]float32, 4)
			for i := range c.hidden[r][k] {
				c.hidden[r][k][i] = float32(rng.NormFloat64())
			}
		}
	}
	// Field 0 has vocabulary indices 2.., field 1 too. Row 0 position 1 is OOV in field 0 (no
	// target there, still one in field 1); row 1 position 0 has no ID in field 1; row 1
	// position 2 is not a valid position at all.
	c.ids = [][][]int32{
		{{2, 3}, {1, 2}, {4, 4}},
		{{4, 0}, {6, 2}, {3, 3}},
	}
	c.valid = [][]float32{{1, 1, 1}, {1, 1, 0}}
	return c
}

// runIDHead builds the head, runs its loss once on c (so the variables exist), then replaces
// the weights with larger random values (so that argmaxes vary) and runs again. It returns the
// loss, per-field losses and accuracies, and the weights and biases per field.
func runIDHead(t *testing.T, b backends.Backend, head *encoder.IDHead, c idHeadCase, negatives [][]int32) (loss float64, fieldLoss, acc []float64, w [][][]float64, bias [][]float64) {
	t.Helper()
	ctx := context.New()
	ctx.SetParam(context.ParamInitialSeed, int64(5))
	inputs := []any{tensors.FromValue(c.hidden), tensors.FromValue(c.ids), tensors.FromValue(c.valid)}
	for _, n := range negatives {
		inputs = append(inputs, tensors.FromValue(n))
	}
	fn := func(ctx *context.Context, nodes []*Node) []*Node {
		res := head.Loss(ctx.In("idhead"), nodes[0], nodes[1], nodes[2], nodes[3:])
		out := []*Node{res.Loss}
		for j := range res.FieldLoss {
			out = append(out, res.FieldLoss[j], res.Accuracy[j])
		}
		return out
	}
	if _, err := context.ExecOnceN(b, ctx, fn, inputs...); err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(3, 4))
	for j := range head.Classes {
		wv := ctx.GetVariableByScopeAndName("/idhead/field_"+string(rune('0'+j)), "weights")
		bv := ctx.GetVariableByScopeAndName("/idhead/field_"+string(rune('0'+j)), "biases")
		if wv == nil || bv == nil {
			t.Fatalf("field %d: no weights or biases", j)
		}
		C := head.Classes[j]
		if dims := wv.Shape().Dimensions; dims[0] != C || dims[1] != 4 {
			t.Fatalf("field %d: weights %v, want [%d,4]", j, dims, C)
		}
		wj, bj := make([][]float32, C), make([]float32, C)
		for i := range wj {
			wj[i] = make([]float32, 4)
			for k := range wj[i] {
				wj[i][k] = float32(rng.NormFloat64())
			}
			bj[i] = float32(rng.NormFloat64())
		}
		wv.MustSetValue(tensors.FromValue(wj))
		bv.MustSetValue(tensors.FromValue(bj))
		w = append(w, to64s2(wj))
		bias = append(bias, to64s1(bj))
	}
	out, err := context.ExecOnceN(b, ctx.Reuse(), fn, inputs...)
	if err != nil {
		t.Fatal(err)
	}
	loss = float64(out[0].Value().(float32))
	for j := range head.Classes {
		fieldLoss = append(fieldLoss, float64(out[1+2*j].Value().(float32)))
		acc = append(acc, float64(out[2+2*j].Value().(float32)))
	}
	return loss, fieldLoss, acc, w, bias
}

func to64s1(x []float32) []float64 {
	out := make([]float64, len(x))
	for i, v := range x {
		out[i] = float64(v)
	}
	return out
}

func to64s2(x [][]float32) [][]float64 {
	out := make([][]float64, len(x))
	for i := range x {
		out[i] = to64s1(x[i])
	}
	return out
}

// handIDHead is the head's loss in float64: per field, the mean over valid positions with an
// ID ≥ 2 of the cross-entropy over the candidates (all classes, or the true class and the
// sampled negatives minus accidental hits, with logits corrected by −log q when logQ is set),
// summed over fields; and the accuracy (argmax over all classes, or the true raw logit above
// every non-hit negative's).
func handIDHead(c idHeadCase, j int, w [][]float64, bias []float64, negatives []int32, logQ []float64) (loss, acc float64) {
	logit := func(h []float32, cls int) float64 {
		s := bias[cls]
		for i, v := range h {
			s += float64(v) * w[cls][i]
		}
		return s
	}
	n := 0
	for r := range c.ids {
		for k := range c.ids[r] {
			id := c.ids[r][k][j]
			if c.valid[r][k] == 0 || id < 2 {
				continue
			}
			y := int(id) - 2
			h := c.hidden[r][k]
			var cands []float64 // corrected logits, the true class first
			correct := true
			if negatives == nil {
				best := 0
				for cls := range w {
					cands = append(cands, logit(h, cls))
					if logit(h, cls) > logit(h, best) {
						best = cls
					}
				}
				cands[0], cands[y] = cands[y], cands[0]
				correct = best == y
			} else {
				corr := func(cls int) float64 {
					if logQ == nil {
						return logit(h, cls)
					}
					return logit(h, cls) - logQ[cls]
				}
				cands = append(cands, corr(y))
				for _, neg := range negatives {
					cls := int(neg) - 2
					if cls == y {
						continue // accidental hit
					}
					cands = append(cands, corr(cls))
					if logit(h, cls) >= logit(h, y) {
						correct = false
					}
				}
			}
			lse := 0.0
			for _, v := range cands {
				lse += math.Exp(v)
			}
			loss += math.Log(lse) - cands[0]
			if correct {
				acc++
			}
			n++
		}
	}
	return loss / float64(n), acc / float64(n)
}

func near(a, b float64) bool { return math.Abs(a-b) <= 1e-5*max(1, math.Abs(b)) }

// The full softmax's loss per field is the mean cross-entropy over the valid positions whose
// ID in that field is a value (≥ 2): OOV and "no ID" are no targets, nor are invalid positions.
func TestIDHeadFullSoftmax(t *testing.T) {
	c := newIDHeadCase()
	head, err := encoder.NewIDHead(encoder.IDHeadConfig{FullMax: 100, Negatives: 4, SamplePower: 1}, []string{"item", "cat"}, []int{7, 5}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if head.Sampled(0) || head.Sampled(1) || head.NumNegativeInputs() != 0 || head.Classes[0] != 5 || head.Classes[1] != 3 {
		t.Fatalf("head %+v", head)
	}
	for _, e := range engines(t) {
		t.Run(e.name, func(t *testing.T) {
			loss, fieldLoss, acc, w, bias := runIDHead(t, e.backend, head, c, nil)
			sum := 0.0
			for j := range 2 {
				want, wantAcc := handIDHead(c, j, w[j], bias[j], nil, nil)
				t.Logf("field %d: loss %.6f (by hand %.6f), accuracy %.3f (by hand %.3f)", j, fieldLoss[j], want, acc[j], wantAcc)
				if !near(fieldLoss[j], want) || !near(acc[j], wantAcc) {
					t.Fatalf("field %d: loss %.7f accuracy %.3f, by hand %.7f and %.3f", j, fieldLoss[j], acc[j], want, wantAcc)
				}
				sum += want
			}
			if !near(loss, sum) {
				t.Fatalf("loss %.7f, by hand Σ fields %.7f", loss, sum)
			}
		})
	}
}

// The sampled softmax: the true class and the given negatives, logits corrected by −log q of
// the unigram proposal, a negative equal to the true class masked out (negative 4 appears
// twice and is row 0 position 2's and row 1 position 0's true ID in field 0; 2 is row 0
// position 0's). With power 0 (uniform) there is no correction.
func TestIDHeadSampledSoftmax(t *testing.T) {
	c := newIDHeadCase()
	counts := [][]int64{{0, 0, 10, 5, 3, 1, 1}, {0, 0, 4, 4, 2}}
	negatives := []int32{2, 4, 4, 6}
	for _, power := range []float64{1, 0.5, 0} {
		// Field 0 has 5 classes (> 3: sampled), field 1 has 3 (full).
		head, err := encoder.NewIDHead(encoder.IDHeadConfig{FullMax: 3, Negatives: len(negatives), SamplePower: power}, nil, []int{7, 5}, counts)
		if err != nil {
			t.Fatal(err)
		}
		if !head.Sampled(0) || head.Sampled(1) || head.NumNegativeInputs() != 1 {
			t.Fatalf("sampled: %v %v", head.Sampled(0), head.Sampled(1))
		}
		var logQ []float64
		if power != 0 {
			total := 0.0
			for _, n := range counts[0][2:] {
				total += math.Pow(float64(n), power)
			}
			for _, n := range counts[0][2:] {
				logQ = append(logQ, math.Log(math.Pow(float64(n), power)/total))
			}
		}
		engs := engines(t)
		if power != 1 {
			engs = engs[:1] // the pure-Go engine; XLA once is enough
		}
		for _, e := range engs {
			t.Run(fmt.Sprintf("power=%g/%s", power, e.name), func(t *testing.T) {
				loss, fieldLoss, acc, w, bias := runIDHead(t, e.backend, head, c, [][]int32{negatives})
				want, wantAcc := handIDHead(c, 0, w[0], bias[0], negatives, logQ)
				uncorrected, _ := handIDHead(c, 0, w[0], bias[0], negatives, nil)
				full, _ := handIDHead(c, 0, w[0], bias[0], nil, nil)
				t.Logf("power %g: sampled loss %.6f (by hand %.6f; without the logQ correction %.6f; full softmax %.6f), accuracy %.3f (by hand %.3f)",
					power, fieldLoss[0], want, uncorrected, full, acc[0], wantAcc)
				if !near(fieldLoss[0], want) || !near(acc[0], wantAcc) {
					t.Fatalf("power %g: loss %.7f accuracy %.3f, by hand %.7f and %.3f", power, fieldLoss[0], acc[0], want, wantAcc)
				}
				want1, _ := handIDHead(c, 1, w[1], bias[1], nil, nil)
				if !near(fieldLoss[1], want1) || !near(loss, want+want1) {
					t.Fatalf("full field %.7f (by hand %.7f), total %.7f (by hand %.7f)", fieldLoss[1], want1, loss, want+want1)
				}
			})
		}
	}
}

// Negatives are drawn from the proposal (never a reserved index), the same for the same seed.
func TestIDHeadDrawNegatives(t *testing.T) {
	counts := [][]int64{{0, 0, 60, 30, 10}, nil, {0, 0, 5, 1}}
	counts[1] = make([]int64, 9)
	const S = 40000
	for _, power := range []float64{1, 0.5, 0} {
		head, err := encoder.NewIDHead(encoder.IDHeadConfig{FullMax: 2, Negatives: S, SamplePower: power}, nil, []int{5, 9, 4}, counts)
		if err != nil {
			t.Fatal(err)
		}
		// Field 0 (3 classes) and field 1 (7 classes) are sampled, field 2 (2 classes) is not.
		if head.NumNegativeInputs() != 2 || head.Sampled(2) {
			t.Fatalf("power %g: %d sampled fields", power, head.NumNegativeInputs())
		}
		a := head.DrawNegatives(rand.New(rand.NewPCG(1, 2)))
		b := head.DrawNegatives(rand.New(rand.NewPCG(1, 2)))
		for f, vocab := range []int{5, 9} {
			x, y := a[f].Value().([]int32), b[f].Value().([]int32)
			if len(x) != S {
				t.Fatalf("field %d: %d negatives", f, len(x))
			}
			freq := make([]float64, vocab)
			for i, v := range x {
				if v != y[i] {
					t.Fatal("same seed, different negatives")
				}
				if v < 2 || int(v) >= vocab {
					t.Fatalf("field %d: negative %d outside [2,%d)", f, v, vocab)
				}
				freq[v]++
			}
			// The expected share of each value: count^power normalised; field 1's counts are all
			// zero, floored at one: uniform.
			total := 0.0
			want := make([]float64, vocab)
			for i := 2; i < vocab; i++ {
				want[i] = math.Pow(float64(max(counts[f][i], 1)), power)
				total += want[i]
			}
			for i := 2; i < vocab; i++ {
				if got := freq[i] / S; math.Abs(got-want[i]/total) > 0.01 {
					t.Fatalf("power %g field %d: value %d drawn %.4f of the time, want %.4f", power, f, i, got, want[i]/total)
				}
			}
		}
	}
}

func TestNewIDHeadErrors(t *testing.T) {
	for _, tc := range []struct {
		cfg    encoder.IDHeadConfig
		vocab  []int
		counts [][]int64
		want   string
	}{
		{encoder.IDHeadConfig{FullMax: 10, Negatives: 0, SamplePower: 1}, []int{100}, nil, encoder.ParamIDHeadNegatives},
		{encoder.IDHeadConfig{FullMax: -1, Negatives: 5, SamplePower: 1}, []int{100}, nil, encoder.ParamIDHeadFullMax},
		{encoder.IDHeadConfig{FullMax: 10, Negatives: 5, SamplePower: -1}, []int{100}, nil, encoder.ParamIDHeadSamplePower},
		{encoder.IDHeadConfig{FullMax: 10, Negatives: 5, SamplePower: 1}, []int{100}, [][]int64{make([]int64, 50)}, "counts"},
		{encoder.IDHeadConfig{FullMax: 10, Negatives: 5, SamplePower: 1}, nil, nil, "no ID field"},
	} {
		if _, err := encoder.NewIDHead(tc.cfg, nil, tc.vocab, tc.counts); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v vocab %v: error %v, want one naming %q", tc.cfg, tc.vocab, err, tc.want)
		}
	}
	// No negatives are needed when no field is sampled.
	if _, err := encoder.NewIDHead(encoder.IDHeadConfig{FullMax: 10, Negatives: 0}, nil, []int{12, 2}, nil); err != nil {
		t.Errorf("a head without sampled fields needs no negatives: %v", err)
	}
}

// The head's gradient with respect to its input, full and sampled fields together, matches
// central finite differences of the loss computed by hand.
func TestIDHeadGradient(t *testing.T) {
	c := newIDHeadCase()
	counts := [][]int64{{0, 0, 10, 5, 3, 1, 1}, {0, 0, 4, 4, 2}}
	negatives := []int32{2, 4, 4, 6}
	head, err := encoder.NewIDHead(encoder.IDHeadConfig{FullMax: 3, Negatives: len(negatives), SamplePower: 1}, nil, []int{7, 5}, counts)
	if err != nil {
		t.Fatal(err)
	}
	b := engines(t)[0].backend // the pure-Go engine, whose missing gradients the head avoids
	_, _, _, w, bias := runIDHead(t, b, head, c, [][]int32{negatives})
	var logQ []float64
	for _, n := range counts[0][2:] {
		logQ = append(logQ, math.Log(float64(n)/20))
	}
	hand := func(c idHeadCase) float64 {
		l0, _ := handIDHead(c, 0, w[0], bias[0], negatives, logQ)
		l1, _ := handIDHead(c, 1, w[1], bias[1], nil, nil)
		return l0 + l1
	}
	// Rebuild the head's variables with the weights runIDHead set, then take the gradient.
	ctx := context.New()
	for j := range w {
		scope := ctx.In("idhead").Inf("field_%d", j)
		wj := make([][]float32, len(w[j]))
		for i := range wj {
			wj[i] = make([]float32, len(w[j][i]))
			for k, v := range w[j][i] {
				wj[i][k] = float32(v)
			}
		}
		bj := make([]float32, len(bias[j]))
		for i, v := range bias[j] {
			bj[i] = float32(v)
		}
		scope.VariableWithValue("weights", wj)
		scope.VariableWithValue("biases", bj)
	}
	out, err := context.ExecOnceN(b, ctx.Reuse(), func(ctx *context.Context, nodes []*Node) []*Node {
		res := head.Loss(ctx.In("idhead"), nodes[0], nodes[1], nodes[2], nodes[3:])
		return []*Node{res.Loss, Gradient(res.Loss, nodes[0])[0]}
	}, tensors.FromValue(c.hidden), tensors.FromValue(c.ids), tensors.FromValue(c.valid), tensors.FromValue(negatives))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := float64(out[0].Value().(float32)), hand(c); !near(got, want) {
		t.Fatalf("loss %.7f, by hand %.7f", got, want)
	}
	grad := out[1].Value().([][][]float32)
	const eps = 1e-2
	for r := range c.hidden {
		for k := range c.hidden[r] {
			for i := range c.hidden[r][k] {
				orig := c.hidden[r][k][i]
				c.hidden[r][k][i] = orig + eps
				plus := hand(c)
				c.hidden[r][k][i] = orig - eps
				minus := hand(c)
				c.hidden[r][k][i] = orig
				fd := (plus - minus) / (2 * eps)
				if math.Abs(float64(grad[r][k][i])-fd) > 1e-3*max(1, math.Abs(fd)) {
					t.Fatalf("∂loss/∂h[%d][%d][%d] = %.6f, finite differences %.6f", r, k, i, grad[r][k][i], fd)
				}
			}
		}
	}
}
