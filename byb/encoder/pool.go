package encoder

import (
	"github.com/gomlx/gomlx/pkg/core/dtypes"
	. "github.com/gomlx/gomlx/pkg/core/graph" //nolint:revive // GoMLX convention
	"github.com/gomlx/gomlx/pkg/core/shapes"
)

// Group sums the behavior vectors x [B,n,d] per sequence position and counts the behaviors in
// each: with pooling, position t is pooling window t (window [B,n] in [0,T), -1 = padding, so
// L = T); without pooling, every behavior is its own position (L = n, counts 1 for real
// behaviors, 0 for padding). Returns sums [B,L,d] and counts [B,L] (float32).
//
// Sums rather than means are the primitive because BYB's targets over ΔT2 > 1 windows are the
// mean over all their behaviors (Σ sums / Σ counts), not the mean of window means.
func Group(cfg Config, x, window *Node, T int) (sums, counts *Node) {
	valid := ConvertDType(GreaterOrEqual(window, ScalarZero(window.Graph(), window.DType())), x.DType())
	if !cfg.Pool {
		return Mul(x, InsertAxes(valid, -1)), valid
	}
	if cfg.PoolImpl == "onehot" {
		return groupOneHot(x, window, T)
	}
	return groupScatter(x, window, valid, T)
}

// GroupAt sums x [B,k,d] into L positions given per behavior (pos [B,k]; outside [0,L) =
// none) and counts the behaviors of each: sums [B,L,d], counts [B,L]. Group is GroupAt with
// the pooling windows as positions; objectives use it to pool behaviors that are not the
// model's input (BYB's target-only windows).
func GroupAt(x, pos *Node, L int) (sums, counts *Node) {
	g := pos.Graph()
	inside := And(GreaterOrEqual(pos, ScalarZero(g, pos.DType())), LessThan(pos, Scalar(g, pos.DType(), L)))
	return groupScatter(x, Where(inside, pos, ZerosLike(pos)), ConvertDType(inside, x.DType()), L)
}

// groupScatter adds each behavior into row b·T+window of a [B·T, d] buffer: B·n·d additions,
// and its gradient is a Gather. Padding behaviors are zeroed and sent to their row's window 0,
// which keeps every index in range without a dump row (dropping a dump row would need a Slice,
// whose gradient the pure-Go engine lacks).
func groupScatter(x, window, valid *Node, T int) (sums, counts *Node) {
	g := x.Graph()
	B, n, d := x.Shape().Dim(0), x.Shape().Dim(1), x.Shape().Dim(2)
	rowBase := MulScalar(Iota(g, shapes.Make(dtypes.Int32, B, n), 0), T)
	idx := Add(rowBase, Max(window, ScalarZero(g, dtypes.Int32)))
	idx = Reshape(idx, B*n, 1)
	xs := Reshape(Mul(x, InsertAxes(valid, -1)), B*n, d)
	sums = ScatterSum(Zeros(g, shapes.Make(x.DType(), B*T, d)), idx, xs, false, false)
	counts = ScatterSum(Zeros(g, shapes.Make(x.DType(), B*T)), idx, Reshape(valid, B*n), false, false)
	return Reshape(sums, B, T, d), Reshape(counts, B, T)
}

// groupOneHot is the pooling as a batched matmul onehot(window)ᵀ·x: B·T·n·d multiply-adds,
// more work than the scatter but a GEMM. Kept as an option (pool_impl=onehot) for engines
// where scatters are slow; the benchmark compares the two.
func groupOneHot(x, window *Node, T int) (sums, counts *Node) {
	p := OneHot(window, T, x.DType()) // [B,n,T]; window -1 gives an all-zero row
	sums = DotGeneral(p, []int{1}, []int{0}, x, []int{1}, []int{0})
	counts = ReduceSum(p, 1)
	return sums, counts
}

// Mean divides window sums by their counts; an empty window gives the zero vector.
func Mean(sums, counts *Node) *Node {
	return Div(sums, InsertAxes(Max(counts, OnesLike(counts)), -1))
}
