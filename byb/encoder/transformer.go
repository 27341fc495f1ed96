package encoder

import (
	"math"

	"github.com/gomlx/gomlx/pkg/core/dtypes"
	. "github.com/gomlx/gomlx/pkg/core/graph" //nolint:revive // GoMLX convention
	"github.com/gomlx/gomlx/pkg/core/shapes"
	"github.com/gomlx/gomlx/pkg/ml/context"
	"github.com/gomlx/gomlx/pkg/ml/context/initializers"
	"github.com/gomlx/gomlx/pkg/ml/layers"
	"github.com/gomlx/gomlx/pkg/ml/layers/activations"
)

// Transformer is the causal Transformer encoder of Eq. 5 over x [B,L,d]: a learned positional
// encoding is added, then cfg.Layers layers of multi-head self-attention and a ReLU
// feed-forward block. Post-LN (x = LN(x + f(x))) by default, as PyTorch's
// nn.TransformerEncoderLayer that the peer uses; norm_first=true gives pre-LN without a final
// norm (also as PyTorch). With cfg.Causal (the default) position k attends to positions ≤ k
// only; otherwise every position attends to every other (masked behavior modeling).
//
// It returns the outputs [B,L,d] and, per layer, the attention weights [B,heads,L,L] (rows =
// queries) so callers can fetch and plot them.
//
// Attention is written here rather than taken from layers.MultiHeadAttention, which applies
// its 1/√d scaling twice in GoMLX v0.26.0.
func Transformer(ctx *context.Context, cfg Config, x *Node) (out *Node, attention []*Node) {
	return TransformerWithKeys(ctx, cfg, x, nil)
}

// TransformerWithKeys is Transformer with the keys that may be attended to: keyValid [B,L]
// (float 0/1) hides padding positions from every query, which bidirectional attention over
// unpooled, right-padded sequences needs (causal attention never reaches them). nil = all.
func TransformerWithKeys(ctx *context.Context, cfg Config, x, keyValid *Node) (out *Node, attention []*Node) {
	g := x.Graph()
	L, d := x.Shape().Dim(1), x.Shape().Dim(2)
	tableLen := cfg.MaxPositions
	if existing := ctx.GetVariableByScopeAndName(ctx.Scope(), "positions"); existing != nil {
		// A trained table (e.g. pretrained on 120 days, finetuned on 60) keeps its length.
		tableLen = existing.Shape().Dim(0)
	}
	if tableLen <= 0 {
		tableLen = L
	}
	if L > tableLen {
		panicf("Transformer: sequence length %d exceeds the %d learned positions (max_positions)", L, tableLen)
	}
	pos := ctx.WithInitializer(initializers.RandomNormalFn(ctx, cfg.PosStd)).
		VariableWithShape("positions", shapes.Make(x.DType(), tableLen, d)).ValueGraph(g)
	if L < tableLen {
		// A shorter sequence takes the last L positions: the last position, where E is read,
		// always has the same encoding. Gather, not Slice: the pure-Go engine cannot
		// differentiate Slice (no Pad).
		pos = Gather(pos, AddScalar(Iota(g, shapes.Make(dtypes.Int32, L, 1), 0), float64(tableLen-L)))
	}
	x = Add(x, InsertAxes(pos, 0))
	var bias *Node // bidirectional: no mask
	if cfg.Causal {
		bias = causalBias(g, x.DType(), L)
	}
	if keyValid != nil {
		B := x.Shape().Dim(0)
		keys := Reshape(MulScalar(OneMinus(keyValid), -1e9), B, 1, 1, L)
		if bias == nil {
			bias = keys
		} else {
			bias = Add(bias, keys)
		}
	}
	for i := range cfg.Layers {
		lctx := ctx.Inf("layer_%d", i)
		var attn *Node
		if cfg.NormFirst {
			var a *Node
			a, attn = selfAttention(lctx.In("attention"), cfg, LayerNorm(lctx.In("norm1"), x), bias)
			x = Add(x, dropout(lctx, cfg, a))
			x = Add(x, dropout(lctx, cfg, feedForward(lctx.In("ff"), cfg, LayerNorm(lctx.In("norm2"), x))))
		} else {
			var a *Node
			a, attn = selfAttention(lctx.In("attention"), cfg, x, bias)
			x = LayerNorm(lctx.In("norm1"), Add(x, dropout(lctx, cfg, a)))
			x = LayerNorm(lctx.In("norm2"), Add(x, dropout(lctx, cfg, feedForward(lctx.In("ff"), cfg, x))))
		}
		attention = append(attention, attn)
	}
	return x, attention
}

// causalBias is a [1,1,L,L] additive mask: 0 where key ≤ query, a large negative value after.
// Every query sees at least itself, so no softmax row is empty (which -inf would turn into NaN).
func causalBias(g *Graph, dtype dtypes.DType, L int) *Node {
	q := Iota(g, shapes.Make(dtypes.Int32, L, L), 0)
	k := Iota(g, shapes.Make(dtypes.Int32, L, L), 1)
	bias := Where(LessOrEqual(k, q), Zeros(g, shapes.Make(dtype, L, L)), Scalar(g, dtype, -1e9))
	return Reshape(bias, 1, 1, L, L)
}

// selfAttention: softmax(QKᵀ/√dh + causal) V per head, then an output projection.
//
// Heads are moved next to the batch axis ([B,h,L,dh]) so both attention products are plain
// batched matmuls, which XLA runs faster than DotGenerals with interleaved batch axes. (A fused
// [d,3d] QKV projection was measured slower on XLA CPU, with the split done by slicing or by a
// one-hot contraction, so Q, K and V keep their own projections.)
func selfAttention(ctx *context.Context, cfg Config, x, bias *Node) (out, weights *Node) {
	B, L, d := x.Shape().Dim(0), x.Shape().Dim(1), x.Shape().Dim(2)
	h := cfg.Heads
	dh := d / h
	split := func(name string) *Node {
		return TransposeAllAxes(Reshape(Dense(ctx.In(name), x, d), B, L, h, dh), 0, 2, 1, 3) // [B,h,L,dh]
	}
	q, k, v := split("query"), split("key"), split("value")
	q = MulScalar(q, 1/math.Sqrt(float64(dh)))
	scores := DotGeneral(q, []int{3}, []int{0, 1}, k, []int{3}, []int{0, 1}) // [B,h,Lq,Lk]
	if bias != nil {
		scores = Add(scores, bias)
	}
	weights = Softmax(scores, -1)
	ctxv := DotGeneral(weights, []int{3}, []int{0, 1}, v, []int{2}, []int{0, 1}) // [B,h,Lq,dh]
	ctxv = Reshape(TransposeAllAxes(ctxv, 0, 2, 1, 3), B, L, d)
	return Dense(ctx.In("output"), ctxv, d), weights
}

func feedForward(ctx *context.Context, cfg Config, x *Node) *Node {
	d := x.Shape().Dim(-1)
	hidden := activations.Relu(Dense(ctx.In("hidden"), x, cfg.FF))
	return Dense(ctx.In("output"), hidden, d)
}

// LayerNorm normalises x over its last axis, with a learned gain and offset (variables gain
// and offset in ctx) and ε = 1e-5 (PyTorch's default; GoMLX's layers.LayerNormalization
// defaults to 1e-3). The Transformer's layers use it, and so does a head with ft_norm.
func LayerNorm(ctx *context.Context, x *Node) *Node {
	g := x.Graph()
	d := x.Shape().Dim(-1)
	mean := ReduceAndKeep(x, ReduceMean, -1)
	centered := Sub(x, mean)
	variance := ReduceAndKeep(Square(centered), ReduceMean, -1)
	normed := Div(centered, Sqrt(AddScalar(variance, 1e-5))) // Rsqrt has no gradient in GoMLX v0.26.0
	gain := ctx.WithInitializer(initializers.One).VariableWithShape("gain", shapes.Make(x.DType(), d)).ValueGraph(g)
	offset := ctx.WithInitializer(initializers.Zero).VariableWithShape("offset", shapes.Make(x.DType(), d)).ValueGraph(g)
	return Add(Mul(normed, toRank(gain, x.Rank())), toRank(offset, x.Rank()))
}

func dropout(ctx *context.Context, cfg Config, x *Node) *Node {
	if cfg.Dropout <= 0 {
		return x
	}
	return layers.DropoutStatic(ctx, x, cfg.Dropout)
}
