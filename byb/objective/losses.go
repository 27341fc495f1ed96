package objective

import (
	. "github.com/gomlx/gomlx/pkg/core/graph" //nolint:revive // GoMLX convention
)

// SoftCrossEntropy is Eq. 10 per row: CE(Softmax(target/τ), Softmax(pred/τ)) =
// -Σ_i softmax(target/τ)_i · log softmax(pred/τ)_i over the last axis.
func SoftCrossEntropy(pred, target *Node, tau float64) *Node {
	p := Softmax(DivScalar(target, tau), -1)
	return Neg(ReduceSum(Mul(p, LogSoftmax(DivScalar(pred, tau), -1)), -1))
}

// MeanSquaredError is Eq. 11 per row: ‖pred − target‖² / d over the last axis.
func MeanSquaredError(pred, target *Node) *Node {
	return ReduceMean(Square(Sub(pred, target)), -1)
}

// MaskedMean averages x over the positions where mask (same shape, 0/1 float) is 1; 0 when
// no position is valid.
func MaskedMean(x, mask *Node) *Node {
	total := ReduceAllSum(Mul(x, mask))
	return Div(total, Max(ReduceAllSum(mask), OnesLike(total)))
}
