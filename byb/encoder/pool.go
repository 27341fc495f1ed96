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
	return groupScatter(x, window, T)
}

// GroupRows sums flat behaviors x [K,d] into L positions per row, given each behavior's row
// (rows [K], in [0,B)) and position (pos [K], in [0,L)); anything outside is none. It returns
// sums [B,L,d] and counts [B,L]. It is the pooling of a packed batch, and objectives use it to
// pool behaviors that are not the model's input (BYB's target-only windows).
//
// It adds each behavior into row·L+pos of a [B·L, d] buffer: K·d additions, and its gradient
// is a Gather. Behaviors that are none are zeroed and sent to slot 0, which keeps every index
// in range without a dump row (dropping a dump row would need a Slice, whose gradient the
// pure-Go engine lacks).
func GroupRows(x, rows, pos *Node, B, L int) (sums, counts *Node) {
	g := x.Graph()
	zero := ScalarZero(g, dtypes.Int32)
	inside := And(And(GreaterOrEqual(rows, zero), GreaterOrEqual(pos, zero)), LessThan(pos, Scalar(g, dtypes.Int32, L)))
	idx := Where(inside, Add(MulScalar(rows, L), pos), ZerosLike(pos))
	idx = InsertAxes(idx, -1) // [K,1]
	valid := ConvertDType(inside, x.DType())
	K, d := x.Shape().Dim(0), x.Shape().Dim(1)
	sums = ScatterSum(Zeros(g, shapes.Make(x.DType(), B*L, d)), idx, Mul(x, InsertAxes(valid, -1)), false, false)
	counts = ScatterSum(Zeros(g, shapes.Make(x.DType(), B*L)), idx, Reshape(valid, K), false, false)
	return Reshape(sums, B, L, d), Reshape(counts, B, L)
}

// Flatten turns padded behaviors x [B,n,d] and their positions pos [B,n] into GroupRows'
// flat form: x [B·n,d], rows [B·n] (each behavior's row), pos [B·n].
func Flatten(x, pos *Node) (flatX, rows, flatPos *Node) {
	B, n := pos.Shape().Dim(0), pos.Shape().Dim(1)
	rows = Reshape(Iota(pos.Graph(), shapes.Make(dtypes.Int32, B, n), 0), B*n)
	return Reshape(x, B*n, x.Shape().Dim(-1)), rows, Reshape(pos, B*n)
}

// groupScatter is the pooling of a padded batch: GroupRows of its flattened behaviors.
func groupScatter(x, window *Node, T int) (sums, counts *Node) {
	flat, rows, pos := Flatten(x, window)
	return GroupRows(flat, rows, pos, x.Shape().Dim(0), T)
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

// Pooled is what the Transformer reads at each position, from the positions' sums and counts:
// their mean (pool_reduce=mean, Eq. 4) or the sums themselves (pool_reduce=sum). A mean
// forgets how many behaviors a window had, the counts a bag-of-IDs regression reads; a sum
// keeps them. Without pooling a position holds one behavior, and the two are the same.
//
// BYB's targets do not go through it: Eq. 9's target is the teacher's mean embedding, whose
// softmax at τ would sharpen with a window's count if it were a sum (objective.BYB.Targets).
func Pooled(cfg Config, sums, counts *Node) *Node {
	if cfg.PoolReduce == PoolSum {
		return sums
	}
	return Mean(sums, counts)
}
