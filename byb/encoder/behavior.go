package encoder

import (
	"github.com/gomlx/gomlx/pkg/core/dtypes"
	. "github.com/gomlx/gomlx/pkg/core/graph" //nolint:revive // GoMLX convention
	"github.com/gomlx/gomlx/pkg/core/shapes"
	"github.com/gomlx/gomlx/pkg/ml/context"
	"github.com/gomlx/gomlx/pkg/ml/context/initializers"
)

// Scope names of the encoder's variables.
const (
	Scope                 = "encoder"
	BehaviorEncoderScope  = "behavior_encoder"
	TransformerScope      = "transformer"
	embeddingTableVarName = "embeddings"
	slotPositionVarName   = "slot_positions"
)

// BehaviorEncoder maps ids [B,n,m] (0 = no ID) to behavior embeddings [B,n,d] (Eq. 2-3):
//
//	e_j = Emb(i_j), ẽ_j = W1(e_j+p_j)+b1, ω_j = σ(W2(e_j+p_j)+b2), e_x = Σ_j ω_j ẽ_j,
//
// (computed as W1 Σ_j ω_j (e_j+p_j) + (Σ_j ω_j) b1, the same value with m times fewer
// products),
//
// where slots whose ID is 0 contribute nothing (so a padding behavior maps to the zero vector).
//
// One embedding table holds every slot, each slot's IDs shifted by the sum of the vocab sizes
// before it: a single Gather (and a single scatter in its gradient) serves all m slots, and a
// slot's IDs never collide with another's. W2 maps to one scalar gate per ID (the paper's
// W2 ∈ R^{1×d}; its b2 ∈ R^d is read as a typo for a scalar bias).
//
// ctx is the scope that holds the variables ("encoder/behavior_encoder" for the student; BYB's
// teacher calls it with "teacher/behavior_encoder", so the two have the same variable names).
func BehaviorEncoder(ctx *context.Context, cfg Config, vocab []int, ids *Node) *Node {
	g := ids.Graph()
	B, n, m := ids.Shape().Dim(0), ids.Shape().Dim(1), ids.Shape().Dim(2)
	if m != len(vocab) {
		panicf("BehaviorEncoder: ids have %d slots but %d vocab sizes were given", m, len(vocab))
	}
	d := cfg.Dim
	total := 0
	offsets := make([]int32, m)
	for j, v := range vocab {
		offsets[j] = int32(total)
		total += v
	}
	table := ctx.WithInitializer(initializers.RandomNormalFn(ctx, cfg.EmbedStd)).
		VariableWithShape(embeddingTableVarName, shapes.Make(dtypes.Float32, total, d)).ValueGraph(g)
	slotPos := ctx.WithInitializer(initializers.RandomNormalFn(ctx, cfg.PosStd)).
		VariableWithShape(slotPositionVarName, shapes.Make(dtypes.Float32, m, d)).ValueGraph(g)

	// Gather needs [N,1] indices (rank-4 indices fail on the pure-Go engine).
	global := Add(ids, toRank(Const(g, offsets), 3))
	e := Gather(table, Reshape(global, B*n*m, 1))       // [B·n·m, d]
	x := Add(Reshape(e, B*n, m, d), toRank(slotPos, 3)) // e_j + p_j
	gate := Sigmoid(Dense(ctx.In("w2"), x, 1))          // ω_j [B·n, m, 1]
	present := ConvertDType(NotEqual(Reshape(ids, B*n, m, 1), ScalarZero(g, dtypes.Int32)), dtypes.Float32)
	gate = Mul(gate, present)
	// Σ_j ω_j (W1 x_j + b1) = W1 (Σ_j ω_j x_j) + (Σ_j ω_j) b1: W1 is applied once per
	// behavior instead of once per ID, m times fewer multiply-adds in the most expensive
	// product of the behavior encoder (student forward and backward, and the teacher).
	w1, b1 := DenseParts(ctx.In("w1"), g, x.DType(), d, d)
	pooled := ReduceSum(Mul(gate, x), 1) // [B·n, d]
	ex := Add(DotGeneral(pooled, []int{1}, nil, w1, []int{0}, nil), Mul(ReduceSum(gate, 1), InsertAxes(b1, 0)))
	return Reshape(ex, B, n, d)
}
