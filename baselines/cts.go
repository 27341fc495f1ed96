package baselines

import (
	"fmt"
	"github.com/byb-dev/byb/byb/params"
	"math/rand/v2"

	"github.com/byb-dev/byb/byb/data"
	"github.com/byb-dev/byb/byb/encoder"
	"github.com/byb-dev/byb/byb/objective"
	"github.com/gomlx/gomlx/pkg/core/dtypes"
	. "github.com/gomlx/gomlx/pkg/core/graph" //nolint:revive // GoMLX convention
	"github.com/gomlx/gomlx/pkg/core/shapes"
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/gomlx/gomlx/pkg/ml/context"
)

// CTS hyper-parameters. The paper (section 5.1.2) only says "random local permutation" for
// the views and "different users' UBS as negative pairs"; every other choice is one of these.
const (
	ParamCTSWindow    = "cts_window"    // behaviors per shuffled chunk: 5; 0 = shuffle within each pooling window (day)
	ParamCTSTau       = "cts_tau"       // InfoNCE temperature τ: 0.1
	ParamCTSNormalize = "cts_normalize" // cosine similarity (L2-normalised projections, as SimCLR) or the dot product
	ParamCTSProjector = "cts_projector" // head between E and the loss: "mlp" (SimCLR), "linear" or "none"
)

// CTSScope holds CTS's own variables (the projection head), beside the encoder's.
const CTSScope = "cts"

// CTS projection heads.
const (
	CTSProjectorMLP    = "mlp"    // Linear(d,d) → ReLU → Linear(d,d), SimCLR's g(·)
	CTSProjectorLinear = "linear" // Linear(d,d)
	CTSProjectorNone   = "none"   // the loss is on E itself
)

func init() {
	objective.Register(objective.Method{Name: "cts", Defaults: CTSDefaults,
		New: func(ctx *context.Context, _ objective.Facts) (objective.Objective, error) { return NewCTS(ctx) }})
}

// CTSDefaults puts CTS's hyper-parameters in ctx: the baseline runs over the raw behaviors
// (pool=false) with causal attention, as the paper's baselines do.
func CTSDefaults(ctx *context.Context) {
	params.SetGroup(ctx, "cts")
	ctx.SetParams(map[string]any{encoder.ParamPool: false, encoder.ParamCausal: true})
}

func init() {
	params.Register("cts",
		params.Param{Name: ParamCTSWindow, Default: 5, Help: "behaviors per locally shuffled chunk; 0 = the behaviors of one pooling window", Range: params.NonNegative},
		params.Param{Name: ParamCTSTau, Default: 0.1, Help: "InfoNCE temperature", Range: params.Positive},
		params.Param{Name: ParamCTSNormalize, Default: true, Help: "cosine similarity (false: dot product)"},
		params.Param{Name: ParamCTSProjector, Default: CTSProjectorMLP, Help: "projection head: mlp, linear or none", Shape: true},
	)
}

// CTS is the paper's contrastive baseline (section 5.1.2, after its references [13], Cheng
// et al. 2021, and [37], UserBERT): two views of each user's sequence, made by random local
// permutations, are a positive pair, and the other users of the batch are the negatives.
//
// Views (host-side, Transform): the real behaviors of a row are cut into consecutive chunks
// of Window behaviors (from the oldest; the last chunk may be shorter), or with Window = 0
// into the runs of behaviors that share a pooling window (one day), and each chunk is
// shuffled independently, all m IDs of a behavior moving together. Only the IDs move: each
// position keeps its window index, so time stays monotone along the row and padding stays
// padding. The two views are drawn independently from the trainer's per-step generator.
//
// Loss: both views go through the same encoder in one forward pass (stacked into a [2B,...]
// batch); E of each view goes through the projection head, and the loss is the symmetric
// InfoNCE of encoder.InfoNCE over the projections (each view against the other view of every
// user of the batch, temperature Tau, cosine similarity when Normalize). Users without any
// behavior are neither queries nor candidates.
//
// With pool=true the chunks still permute behaviors, and the window means of the pooled
// sequence only change where a chunk spans two windows (with Window = 0 never: the two views
// are then the same sequence, and the task is instance discrimination without augmentation).
type CTS struct {
	Window    int
	Tau       float64
	Normalize bool
	Projector string
}

// NewCTS reads CTS's hyper-parameters from ctx.
func NewCTS(ctx *context.Context) (*CTS, error) {
	c := &CTS{
		Window:    params.Get[int](ctx, ParamCTSWindow),
		Tau:       params.Get[float64](ctx, ParamCTSTau),
		Normalize: params.Get[bool](ctx, ParamCTSNormalize),
		Projector: params.Get[string](ctx, ParamCTSProjector),
	}
	switch {
	case c.Window < 0:
		return nil, fmt.Errorf("cts: %s=%d must be ≥ 0 (0 = shuffle within each pooling window)", ParamCTSWindow, c.Window)
	case c.Tau <= 0:
		return nil, fmt.Errorf("cts: %s=%g must be > 0", ParamCTSTau, c.Tau)
	case c.Projector != CTSProjectorMLP && c.Projector != CTSProjectorLinear && c.Projector != CTSProjectorNone:
		return nil, fmt.Errorf("cts: %s=%q: use %s, %s or %s", ParamCTSProjector, c.Projector,
			CTSProjectorMLP, CTSProjectorLinear, CTSProjectorNone)
	}
	return c, nil
}

// Name implements objective.Objective.
func (c *CTS) Name() string { return "cts" }

// Transform implements objective.BatchTransformer: the IDs [B,n,m] of the two views.
func (c *CTS) Transform(b *data.Batch, rng *rand.Rand) ([]*tensors.Tensor, error) {
	out := make([]*tensors.Tensor, 2)
	for v := range out {
		ids, _ := LocalShuffle(b, c.Window, rng)
		out[v] = tensors.FromFlatDataAndDimensions(ids, b.Size, b.MaxLen, b.NumIDs)
	}
	return out, nil
}

// LocalShuffle returns a random local permutation of batch b's behaviors: ids, laid out as
// b.IDs, and src [B*n], where position i of row r holds the behavior at position src[r*n+i]
// of the same row. The real behaviors of each row are cut into consecutive chunks of window
// behaviors (window = 0: the runs sharing one pooling window), and each chunk is shuffled
// uniformly; padding positions stay where they are (src = i). b is not modified.
func LocalShuffle(b *data.Batch, window int, rng *rand.Rand) (ids, src []int32) {
	n, m := b.MaxLen, b.NumIDs
	ids = make([]int32, len(b.IDs))
	src = make([]int32, b.Size*n)
	positions := make([]int, 0, n)
	for r := range b.Size {
		row := b.Window[r*n : (r+1)*n]
		positions = positions[:0]
		for i, w := range row {
			src[r*n+i] = int32(i)
			if w >= 0 {
				positions = append(positions, i)
			}
		}
		sameChunk := func(start, i int) bool {
			if window > 0 {
				return i-start < window
			}
			return row[positions[i]] == row[positions[start]]
		}
		for start := 0; start < len(positions); {
			end := start + 1
			for end < len(positions) && sameChunk(start, end) {
				end++
			}
			chunk := positions[start:end]
			rng.Shuffle(len(chunk), func(i, j int) {
				src[r*n+chunk[i]], src[r*n+chunk[j]] = src[r*n+chunk[j]], src[r*n+chunk[i]]
			})
			start = end
		}
		for i := range n {
			from := (r*n + int(src[r*n+i])) * m
			copy(ids[(r*n+i)*m:(r*n+i+1)*m], b.IDs[from:from+m])
		}
	}
	return ids, src
}

// Loss implements objective.Objective.
func (c *CTS) Loss(ctx *context.Context, enc *encoder.Encoder, in encoder.Inputs) *Node {
	loss, _ := c.LossWithDiagnostics(ctx, enc, in)
	return loss
}

// LossWithDiagnostics implements objective.Diagnosing: besides the loss, the contrastive
// accuracy (the share of queries, both directions, whose positive is the top-1 among the
// batch's candidates) and E of the first view.
func (c *CTS) LossWithDiagnostics(ctx *context.Context, enc *encoder.Encoder, in encoder.Inputs) (*Node, map[string]*Node) {
	if len(in.Extra) != 2 {
		panic(fmt.Errorf("cts: the loss needs the two views of its batch transform as extra inputs, got %d", len(in.Extra)))
	}
	B := in.IDs.Shape().Dim(0)
	// Concatenating integer inputs is safe on the pure-Go engine: no gradient flows there.
	views := encoder.Inputs{
		IDs:    Concatenate([]*Node{in.Extra[0], in.Extra[1]}, 0),
		Window: Concatenate([]*Node{in.Window, in.Window}, 0),
	}
	out := enc.Forward(ctx, views)
	z := c.Project(ctx.In(CTSScope), out.E)
	za, zb := halves(z, B)
	valid := encoder.RowsWithBehavior(in.Window, z.DType())
	loss, acc := encoder.InfoNCE(za, zb, valid, c.Tau, c.Normalize)
	ea, _ := halves(out.E, B)
	return loss, map[string]*Node{objective.DiagE: ea, "accuracy": acc}
}

// Project is the projection head between E [N,d] and the contrastive loss.
func (c *CTS) Project(ctx *context.Context, e *Node) *Node {
	switch c.Projector {
	case CTSProjectorMLP:
		return objective.Predict(ctx.In("projector"), e)
	case CTSProjectorLinear:
		return encoder.Dense(ctx.In("projector"), e, e.Shape().Dim(-1))
	default:
		return e
	}
}

// halves splits x [2B,d] into its first and last B rows. By Gather, not Slice, so that the
// pure-Go engine can differentiate it.
func halves(x *Node, B int) (first, second *Node) {
	g := x.Graph()
	idx := Iota(g, shapes.Make(dtypes.Int32, B, 1), 0)
	return Gather(x, idx), Gather(x, AddScalar(idx, float64(B)))
}
