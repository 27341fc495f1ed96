package encoder

import (
	"github.com/gomlx/gomlx/pkg/core/dtypes"
	. "github.com/gomlx/gomlx/pkg/core/graph" //nolint:revive // GoMLX convention
	"github.com/gomlx/gomlx/pkg/core/shapes"
)

// maskedLogit is what a candidate that is not one (a row with no behavior) gets instead of
// its logit: far below any real logit, yet finite, so that a softmax over only masked
// candidates, and its gradient, stay finite (such rows are then dropped from the mean).
const maskedLogit = -1e9

// InfoNCE is the symmetric InfoNCE loss with in-batch negatives (CPC's InfoNCE as used by
// SimCLR and CLIP) of two views a, b [B,d] of B samples, row i of a and row i of b being a
// positive pair:
//
//	s_ij   = sim(a_i, b_j) / τ            sim = cosine when normalize, else the dot product
//	ℓ_i^ab = −log( exp s_ii / Σ_j exp s_ij )        (j over the valid samples)
//	ℓ_i^ba = −log( exp s_ii / Σ_j exp s_ji )
//	loss   = ½ (mean_i ℓ_i^ab + mean_i ℓ_i^ba)     (i over the valid samples)
//
// so each view is contrasted with the other view of every sample in the batch (B−1
// negatives; unlike SimCLR's NT-Xent, the other samples of the same view are no candidates).
// valid [B] (float 0/1, nil = all) drops samples that are not real (e.g. sequences with no
// behavior) both as queries and as candidates. accuracy is the share of the 2·B_valid
// queries (both directions) whose positive scores strictly above every negative: 1/B_valid
// is chance, and a collapsed encoder (all scores tied) scores 0.
//
// Everything is differentiable on the pure-Go engine (no Slice or Concatenate).
func InfoNCE(a, b, valid *Node, tau float64, normalize bool) (loss, accuracy *Node) {
	if a.Rank() != 2 || !a.Shape().Equal(b.Shape()) {
		panicf("encoder.InfoNCE: views must both be [B,d], got %s and %s", a.Shape(), b.Shape())
	}
	if tau <= 0 {
		panicf("encoder.InfoNCE: temperature %g must be > 0", tau)
	}
	g := a.Graph()
	B, dtype := a.Shape().Dim(0), a.DType()
	if valid == nil {
		valid = Ones(g, shapes.Make(dtype, B))
	}
	valid = ConvertDType(valid, dtype)
	if normalize {
		a, b = L2Normalize(a, -1), L2Normalize(b, -1)
	}
	eye := Diagonal(g, B)
	colValid := Reshape(valid, 1, B)
	rowLoss := func(q, k *Node) (perRow, correct *Node) {
		logits := DivScalar(DotGeneral(q, []int{1}, nil, k, []int{1}, nil), tau) // [B,B]: query i, candidate j
		masked := Add(logits, MulScalar(Sub(OnesLike(colValid), colValid), maskedLogit))
		pos := ReduceSum(Where(eye, masked, ZerosLike(masked)), -1)
		perRow = Neg(ReduceSum(Where(eye, LogSoftmax(masked, -1), ZerosLike(masked)), -1))
		negatives := Where(eye, Scalar(g, dtype, maskedLogit), masked)
		correct = ConvertDType(GreaterThan(pos, ReduceMax(negatives, -1)), dtype)
		return perRow, correct
	}
	lab, cab := rowLoss(a, b)
	lba, cba := rowLoss(b, a)
	n := Max(ReduceAllSum(valid), ScalarOne(g, dtype))
	loss = DivScalar(Div(ReduceAllSum(Mul(Add(lab, lba), valid)), n), 2)
	accuracy = DivScalar(Div(ReduceAllSum(Mul(Add(cab, cba), valid)), n), 2)
	return loss, accuracy
}

// RowsWithBehavior is 1 for the rows of window [B,n] (-1 = padding) that have at least one
// real behavior, 0 for the others, in dtype.
func RowsWithBehavior(window *Node, dtype dtypes.DType) *Node {
	g := window.Graph()
	isReal := ConvertDType(GreaterOrEqual(window, ScalarZero(g, window.DType())), dtypes.Int32)
	return ConvertDType(GreaterThan(ReduceSum(isReal, 1), ScalarZero(g, dtypes.Int32)), dtype)
}
