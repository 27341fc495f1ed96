package baselines

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/byb-dev/byb/byb/bench"
	"github.com/byb-dev/byb/byb/data"
	"github.com/byb-dev/byb/byb/encoder"
	"github.com/byb-dev/byb/byb/objective"
	"github.com/gomlx/gomlx/pkg/core/dtypes"
	. "github.com/gomlx/gomlx/pkg/core/graph" //nolint:revive
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/gomlx/gomlx/pkg/ml/context"
)

// shuffleBatch is two rows of n = 8 behaviors with m = 2 IDs, every behavior's IDs unique
// (row r, position i: 20r+i+2 and 60+20r+i), so that a moved behavior can be traced:
//
//	row 0: 7 behaviors in windows 0 0 0 1 1 2 3, one padding
//	row 1: 3 behaviors in windows 1 1 2, five padding
func shuffleBatch() *data.Batch {
	b := &data.Batch{Size: 2, MaxLen: 8, NumIDs: 2, Windows: 4,
		Window: []int32{0, 0, 0, 1, 1, 2, 3, -1 /* row 1 */, 1, 1, 2, -1, -1, -1, -1, -1},
		Users:  []int32{0, 1}, Labels: []int32{-1, -1}}
	b.IDs = make([]int32, 2*8*2)
	for r := range 2 {
		for i := range 8 {
			if b.Window[r*8+i] >= 0 {
				b.IDs[(r*8+i)*2] = int32(20*r + i + 2)
				b.IDs[(r*8+i)*2+1] = int32(60 + 20*r + i)
			}
		}
	}
	return b
}

// chunksOf are the chunks, as position lists per row, that LocalShuffle must keep, written
// out by hand for shuffleBatch.
var chunksOf = map[int][][][]int{
	1: {{{0}, {1}, {2}, {3}, {4}, {5}, {6}}, {{0}, {1}, {2}}},
	3: {{{0, 1, 2}, {3, 4, 5}, {6}}, {{0, 1, 2}}},
	5: {{{0, 1, 2, 3, 4}, {5, 6}}, {{0, 1, 2}}},
	0: {{{0, 1, 2}, {3, 4}, {5}, {6}}, {{0, 1}, {2}}}, // by pooling window
}

// LocalShuffle permutes each hand-listed chunk within itself, moves whole behaviors (all
// their IDs), never crosses a chunk boundary, leaves padding and the batch untouched, draws
// every permutation of a chunk, is the identity with chunks of one behavior, and is
// deterministic for a seed.
func TestLocalShuffleKeepsChunks(t *testing.T) {
	b := shuffleBatch()
	origIDs, origWin := slices.Clone(b.IDs), slices.Clone(b.Window)
	n, m := b.MaxLen, b.NumIDs
	for _, window := range []int{1, 3, 5, 0} {
		t.Run(fmt.Sprintf("window=%d", window), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(7, 1))
			seen := map[string]int{} // permutations drawn for row 0's first chunk
			moved := false
			const draws = 600
			first := chunksOf[window][0][0]
			landed := make([][]int, len(first)) // [position][source]: draws of row 0's first chunk
			for i := range landed {
				landed[i] = make([]int, len(first))
			}
			for range draws {
				ids, src := LocalShuffle(b, window, rng)
				if !slices.Equal(b.IDs, origIDs) || !slices.Equal(b.Window, origWin) {
					t.Fatal("LocalShuffle modified the batch")
				}
				for r := range b.Size {
					covered := map[int]bool{}
					for _, chunk := range chunksOf[window][r] {
						var from []int
						for _, i := range chunk {
							from = append(from, int(src[r*n+i]))
							covered[i] = true
						}
						sorted := slices.Clone(from)
						slices.Sort(sorted)
						if !slices.Equal(sorted, chunk) {
							t.Fatalf("row %d chunk %v draws its behaviors from %v", r, chunk, from)
						}
						if r == 0 && chunk[0] == 0 {
							seen[fmt.Sprint(from)]++
							for k, i := range chunk {
								landed[i][from[k]]++
							}
						}
					}
					for i := range n {
						s := int(src[r*n+i])
						if !covered[i] && s != i {
							t.Fatalf("row %d padding position %d takes position %d", r, i, s)
						}
						if s != i {
							moved = true
						}
						got, want := ids[(r*n+i)*m:(r*n+i+1)*m], origIDs[(r*n+s)*m:(r*n+s+1)*m]
						if !slices.Equal(got, want) {
							t.Fatalf("row %d position %d: IDs %v, want those of position %d: %v", r, i, got, s, want)
						}
					}
				}
			}
			perms := 1
			for k := 2; k <= len(first); k++ {
				perms *= k
			}
			t.Logf("row 0, chunk %v: %d distinct orders of %d in %d draws", first, len(seen), perms, draws)
			if perms <= 6 { // every order, each about as often (a larger chunk needs too many draws)
				if len(seen) != perms {
					t.Fatalf("chunk %v: %d of its %d orders drawn in %d draws", first, len(seen), perms, draws)
				}
				for order, count := range seen {
					if float64(count) < 0.5*draws/float64(perms) {
						t.Fatalf("chunk %v: order %s drawn %d times in %d, far below uniform", first, order, count, draws)
					}
				}
			}
			for pos, froms := range landed {
				for from, count := range froms {
					if float64(count) < 0.5*draws/float64(len(first)) {
						t.Fatalf("chunk %v: position %d takes position %d's behavior %d times in %d, far below uniform", first, pos, from, count, draws)
					}
				}
			}
			if window == 1 && moved {
				t.Fatal("with chunks of one behavior the permutation must be the identity")
			}
			if window != 1 && !moved {
				t.Fatal("no behavior ever moved")
			}
		})
	}
	// Deterministic for a seed, different across seeds.
	draw := func(seed uint64) []int32 {
		_, src := LocalShuffle(b, 3, rand.New(rand.NewPCG(seed, 5)))
		return src
	}
	if !slices.Equal(draw(1), draw(1)) {
		t.Fatal("the same seed draws different permutations")
	}
	differs := false
	for s := uint64(2); s < 12 && !differs; s++ {
		differs = !slices.Equal(draw(1), draw(s))
	}
	if !differs {
		t.Fatal("ten seeds draw the same permutation")
	}
}

// Transform returns two views shaped as the batch's IDs, drawn independently.
func TestCTSTransformViews(t *testing.T) {
	b := shuffleBatch()
	c := &CTS{Window: 3, Tau: 0.1, Normalize: true, Projector: CTSProjectorMLP}
	ts, err := c.Transform(b, rand.New(rand.NewPCG(3, 4)))
	if err != nil {
		t.Fatal(err)
	}
	if len(ts) != 2 {
		t.Fatalf("%d extra inputs, want 2 views", len(ts))
	}
	for _, v := range ts {
		if dims := v.Shape().Dimensions; !slices.Equal(dims, []int{b.Size, b.MaxLen, b.NumIDs}) || v.DType() != dtypes.Int32 {
			t.Fatalf("view shape %s, want int32 [%d,%d,%d]", v.Shape(), b.Size, b.MaxLen, b.NumIDs)
		}
	}
	v0, err0 := tensors.CopyFlatData[int32](ts[0])
	v1, err1 := tensors.CopyFlatData[int32](ts[1])
	if err0 != nil || err1 != nil {
		t.Fatal(err0, err1)
	}
	if slices.Equal(v0, v1) {
		t.Fatal("the two views are the same permutation")
	}
}

func TestCTSParams(t *testing.T) {
	m, err := objective.Lookup("cts")
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.New()
	encoder.SetDefaults(ctx)
	m.Defaults(ctx)
	if context.GetParamOr(ctx, encoder.ParamPool, true) || !context.GetParamOr(ctx, encoder.ParamCausal, false) {
		t.Fatal("CTS must default to the raw sequence (pool=false) with causal attention")
	}
	obj, err := m.New(ctx, objective.Facts{})
	if err != nil {
		t.Fatal(err)
	}
	c := obj.(*CTS)
	if c.Name() != "cts" || c.Window != 5 || c.Tau != 0.1 || !c.Normalize || c.Projector != CTSProjectorMLP {
		t.Fatalf("defaults: %+v", c)
	}
	for _, bad := range []map[string]any{{ParamCTSWindow: -1}, {ParamCTSTau: 0.0}, {ParamCTSProjector: "deep"}} {
		ctx := context.New()
		m.Defaults(ctx)
		ctx.SetParams(bad)
		if _, err := m.New(ctx, objective.Facts{}); err == nil {
			t.Fatalf("%v accepted", bad)
		}
	}
}

var ctsVocab = []int{10, 6}

// ctsBatch is a random padded batch of B = 5 rows over T = 3 windows, its row 3 without any
// behavior, and the two views of its transform.
func ctsBatch(t *testing.T, c *CTS) (*data.Batch, []any) {
	t.Helper()
	rng := rand.New(rand.NewPCG(11, 2))
	b := bench.RandomPaddedBatch(rng, 5, 7, 3, ctsVocab)
	for i := range b.MaxLen {
		b.Window[3*b.MaxLen+i] = -1
		for j := range b.NumIDs {
			b.IDs[(3*b.MaxLen+i)*b.NumIDs+j] = 0
		}
	}
	extra, err := c.Transform(b, rng)
	if err != nil {
		t.Fatal(err)
	}
	return b, anys(append(encoder.BatchTensors(b), extra...))
}

func tinyCTS(t *testing.T, settings string) (*context.Context, *encoder.Encoder, *CTS) {
	t.Helper()
	ctx := TinyContext(t, CTSDefaults, settings)
	// A longer positional table and another seed than TinyContext's; no settings of these tests name them.
	ctx.SetParams(map[string]any{encoder.ParamMaxPositions: 7, context.ParamInitialSeed: int64(5)})
	enc := newEncoder(t, ctx, ctsVocab, 3)
	c, err := NewCTS(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return ctx, enc, c
}

// The CTS loss, built over both views stacked in one forward pass, equals InfoNCE over the
// projections of each view run through the encoder on its own, with the empty row dropped;
// its E diagnostic is the first view's E. For each projection head, pooled and not.
func TestCTSLossMatchesSeparateViews(t *testing.T) {
	backend := PureGoBackend(t)
	for _, settings := range []string{"", "cts_projector=linear", "cts_projector=none;cts_normalize=false;cts_tau=0.5", "pool=true;cts_window=0"} {
		t.Run(settings, func(t *testing.T) {
			ctx, enc, c := tinyCTS(t, settings)
			b, args := ctsBatch(t, c)
			out, err := context.ExecOnceN(backend, ctx.Checked(false), func(ctx *context.Context, nodes []*Node) []*Node {
				in := withExtra(nodes, 3)
				loss, diag := c.LossWithDiagnostics(ctx, enc, in)
				ea := enc.Forward(ctx, encoder.Inputs{IDs: in.Extra[0], Window: in.Window}).E
				eb := enc.Forward(ctx, encoder.Inputs{IDs: in.Extra[1], Window: in.Window}).E
				valid := Const(in.IDs.Graph(), []float32{1, 1, 1, 0, 1})
				// The projection head, built here from its definition (same variables, by scope).
				head := ctx.In(CTSScope).In("projector")
				project := map[string]func(*Node) *Node{
					CTSProjectorMLP:    func(e *Node) *Node { return objective.Predict(head, e) },
					CTSProjectorLinear: func(e *Node) *Node { return encoder.Dense(head, e, e.Shape().Dim(-1)) },
					CTSProjectorNone:   func(e *Node) *Node { return e },
				}[c.Projector]
				want, wantAcc := encoder.InfoNCE(project(ea), project(eb), valid, c.Tau, c.Normalize)
				return []*Node{loss, want, diag["accuracy"], wantAcc, diag[objective.DiagE], ea}
			}, args...)
			if err != nil {
				t.Fatal(err)
			}
			if b.Len(3) != 0 {
				t.Fatal("row 3 should be empty")
			}
			got, want := float64(out[0].Value().(float32)), float64(out[1].Value().(float32))
			acc, wantAcc := out[2].Value().(float32), out[3].Value().(float32)
			t.Logf("loss %.6f (separate views %.6f), accuracy %.3f", got, want, acc)
			if math.IsNaN(got) || math.Abs(got-want) > 1e-5*max(1, math.Abs(want)) || math.Abs(float64(acc-wantAcc)) > 1e-6 {
				t.Fatalf("stacked views: loss %.7f accuracy %g; separate views: %.7f, %g", got, acc, want, wantAcc)
			}
			e, wantE := out[4].Value().([][]float32), out[5].Value().([][]float32)
			for i := range wantE {
				for j := range wantE[i] {
					if math.Abs(float64(e[i][j]-wantE[i][j])) > 1e-5 {
						t.Fatalf("diagnostic E[%d] = %v, first view's E %v", i, e[i], wantE[i])
					}
				}
			}
		})
	}
}

// On the pure-Go engine the CTS loss has a finite gradient for every trainable variable
// (no Slice or float Concatenate on its path), non-zero for the ID embeddings, the Transformer
// and the projection head.
func TestCTSGradientOnPureGo(t *testing.T) {
	backend := PureGoBackend(t)
	ctx, enc, c := tinyCTS(t, "")
	_, args := ctsBatch(t, c)
	build := func(ctx *context.Context, nodes []*Node) []*Node {
		return []*Node{c.Loss(ctx, enc, withExtra(nodes, 3))}
	}
	if _, err := context.ExecOnceN(backend, ctx.Checked(false), build, args...); err != nil {
		t.Fatal(err)
	}
	var vars []*context.Variable
	for v := range ctx.IterVariables() {
		if v.Trainable {
			vars = append(vars, v)
		}
	}
	out, err := context.ExecOnceN(backend, ctx.Checked(false), func(ctx *context.Context, nodes []*Node) []*Node {
		loss := build(ctx, nodes)[0]
		var values []*Node
		for _, v := range vars {
			values = append(values, v.ValueGraph(loss.Graph()))
		}
		return Gradient(loss, values...)
	}, args...)
	if err != nil {
		t.Fatal(err)
	}
	nonzero := map[string]bool{}
	for i, v := range vars {
		norm := 0.0
		flat, err := tensors.CopyFlatData[float32](out[i])
		if err != nil {
			t.Fatal(err)
		}
		for _, x := range flat {
			if math.IsNaN(float64(x)) || math.IsInf(float64(x), 0) {
				t.Fatalf("%s: non-finite gradient", v.ScopeAndName())
			}
			norm += float64(x) * float64(x)
		}
		for _, part := range []string{encoder.BehaviorEncoderScope, encoder.TransformerScope, CTSScope + "/projector"} {
			if norm > 0 && strings.Contains(v.ScopeAndName(), part) {
				nonzero[part] = true
			}
		}
	}
	for _, part := range []string{encoder.BehaviorEncoderScope, encoder.TransformerScope, CTSScope + "/projector"} {
		if !nonzero[part] {
			t.Fatalf("no variable under %s gets a gradient", part)
		}
	}
}

// Without its views (a caller that skipped Transform) the loss refuses to build, saying why,
// rather than silently contrasting the unpermuted sequence with itself.
func TestCTSLossNeedsViews(t *testing.T) {
	backend := PureGoBackend(t)
	ctx, enc, c := tinyCTS(t, "")
	_, args := ctsBatch(t, c)
	_, err := context.ExecOnceN(backend, ctx.Checked(false), func(ctx *context.Context, nodes []*Node) []*Node {
		return []*Node{c.Loss(ctx, enc, encoder.InputsFrom(nodes[:3]))}
	}, args[:3]...)
	if err == nil || !strings.Contains(err.Error(), "two views") {
		t.Fatalf("loss without the views: error %v", err)
	}
}
