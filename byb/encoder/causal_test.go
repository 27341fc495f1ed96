package encoder_test

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/byb-dev/byb/byb/bench"
	"github.com/byb-dev/byb/byb/data"
	"github.com/byb-dev/byb/byb/encoder"
	"github.com/gomlx/gomlx/pkg/core/dtypes"
	. "github.com/gomlx/gomlx/pkg/core/graph" //nolint:revive
	"github.com/gomlx/gomlx/pkg/core/shapes"
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/gomlx/gomlx/pkg/ml/context"
)

// smallContext is a tiny encoder for unit tests.
func smallContext(pool bool) *context.Context {
	ctx := context.New()
	encoder.SetDefaults(ctx)
	ctx.SetParams(map[string]any{encoder.ParamDim: 16, encoder.ParamLayers: 2, encoder.ParamHeads: 2,
		encoder.ParamFF: 16, encoder.ParamPool: pool, context.ParamInitialSeed: int64(3)})
	return ctx
}

// The Transformer output at position k does not depend on anything after k: changing the
// behaviors of later windows (pooled) or later behaviors (unpooled) leaves h[:, :k+1] as it was.
func TestCausal(t *testing.T) {
	vocab := []int{50, 10, 5}
	const B, n, T, k = 3, 24, 8, 4
	for _, e := range engines(t) {
		for _, pool := range []bool{true, false} {
			ctx := smallContext(pool)
			enc, err := encoder.New(ctx, vocab, T)
			if err != nil {
				t.Fatal(err)
			}
			exec := context.MustNewExec(e.backend, ctx, func(ctx *context.Context, ids, win *Node) *Node {
				return enc.Forward(ctx, encoder.Inputs{IDs: ids, Window: win}).Hidden
			})
			rng := rand.New(rand.NewPCG(5, 6))
			b := bench.RandomBatch(rng, B, n, T, vocab)
			after := clone(b)
			for r := range B {
				for i := range n {
					later := i > k
					if pool {
						later = b.Window[r*n+i] > k
					}
					if later {
						for j := range vocab {
							after.IDs[(r*n+i)*3+j] = int32(2 + rng.IntN(vocab[j]-2))
						}
					}
				}
			}
			in1, in2 := encoder.BatchTensors(b), encoder.BatchTensors(after)
			h1 := exec.MustExec(in1[0], in1[1])[0].Value().([][][]float32)
			h2 := exec.MustExec(in2[0], in2[1])[0].Value().([][][]float32)
			changedLater := false
			for r := range B {
				for p := range h1[r] {
					for j := range h1[r][p] {
						diff := math.Abs(float64(h1[r][p][j] - h2[r][p][j]))
						if p <= k && diff > 1e-5 {
							t.Fatalf("%s pool=%v: h[%d][%d] changed by %g after editing positions > %d", e.name, pool, r, p, diff, k)
						}
						if p > k && diff > 1e-3 {
							changedLater = true
						}
					}
				}
			}
			if !changedLater {
				t.Fatalf("%s pool=%v: editing later behaviors changed nothing at all: the test is vacuous", e.name, pool)
			}
		}
	}
}

func clone(b *data.Batch) *data.Batch {
	c := *b
	c.IDs = append([]int32(nil), b.IDs...)
	c.Window = append([]int32(nil), b.Window...)
	return &c
}

// A model trained on T windows runs on fewer (finetuning on a shorter observation span): the
// positional table keeps its length and the last windows' positions are used, so the last
// position, where E is read, keeps its encoding. The table is set to known, distinct rows and
// the Transformer with no layers (x + positions) runs on zeros, so its output is exactly the
// rows it used.
func TestShorterSequenceUsesLastPositions(t *testing.T) {
	vocab := []int{50, 10, 5}
	const T, short = 8, 5
	b := engines(t)[0].backend
	ctx := smallContext(true)
	long, _ := encoder.New(ctx, vocab, T)
	rng := rand.New(rand.NewPCG(1, 1))
	in := encoder.BatchTensors(bench.RandomBatch(rng, 2, 16, T, vocab))
	context.MustExecOnce(b, ctx, func(ctx *context.Context, ids, win *Node) *Node {
		return long.Forward(ctx, encoder.Inputs{IDs: ids, Window: win}).E
	}, in[0], in[1])
	shortEnc, _ := encoder.New(ctx, vocab, short)
	in = encoder.BatchTensors(bench.RandomBatch(rng, 2, 16, short, vocab))
	e := context.MustExecOnce(b, ctx.Reuse(), func(ctx *context.Context, ids, win *Node) *Node {
		return shortEnc.Forward(ctx, encoder.Inputs{IDs: ids, Window: win}).E
	}, in[0], in[1]).Value().([][]float32)
	if len(e) != 2 || len(e[0]) != 16 {
		t.Fatalf("E shape %dx%d", len(e), len(e[0]))
	}
	positions := ctx.GetVariableByScopeAndName("/"+encoder.Scope+"/"+encoder.TransformerScope, "positions")
	if n := positions.Shape().Dim(0); n != T {
		t.Fatalf("positional table has %d rows, want %d", n, T)
	}
	d := positions.Shape().Dim(1)
	table := make([]float32, T*d) // row r = r + j/100: every entry different
	for r := range T {
		for j := range d {
			table[r*d+j] = float32(r) + float32(j)/100
		}
	}
	positions.MustSetValue(tensors.FromFlatDataAndDimensions(table, T, d))
	cfg := shortEnc.Config
	cfg.Layers = 0
	for _, L := range []int{short, 1, T} {
		out := context.MustExecOnce(b, ctx.Reuse(), func(ctx *context.Context, x *Node) *Node {
			out, _ := encoder.Transformer(ctx.In(encoder.Scope).In(encoder.TransformerScope), cfg, x)
			return out
		}, tensors.FromShape(shapes.Make(dtypes.Float32, 2, L, d))).Value().([][][]float32)
		for r := range out {
			for p := range L {
				for j := range d {
					if want := table[(T-L+p)*d+j]; out[r][p][j] != want {
						t.Fatalf("L=%d: output[%d][%d][%d] = %g, want row %d of the positional table (%g)", L, r, p, j, out[r][p][j], T-L+p, want)
					}
				}
			}
		}
	}
}
