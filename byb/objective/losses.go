package objective

import (
	. "github.com/gomlx/gomlx/pkg/core/graph" //nolint:revive // GoMLX convention
)

// The cross-entropy of BYB's CE loss has three readings, all offered (byb_ce), since the
// paper's text, its pseudocode and the usual practice differ. With p̂ = Softmax(Ê/τ) of the
// prediction and p̄ = Softmax(Ē/τ) of the (stop-gradient) target, and CE(x, y) = −Σ x·log y
// as the paper defines it under Eq. 10:
//
//   - CETarget (byb's default, the PyTorch peer's, DINO's and BYOL-style practice): the target's
//     distribution weighs the prediction's log-probabilities, −Σ p̄·log p̂ = CE(p̄, p̂).
//   - CELiteral: Eq. 10 as written, l_ce(x, y) = CE(Softmax(x), Softmax(y)) with x = Ê, y = Ē,
//     that is −Σ p̂·log p̄: the prediction's distribution weighs the target's
//     log-probabilities, so the gradient moves p̂ towards the target's most likely dimension.
//   - CEAlgorithm1: the appendix's Algorithm 1 in PyTorch, pred = Softmax(pred/τ),
//     target = Softmax(target/τ), CrossEntropyLoss(pred, target). PyTorch's cross-entropy
//     takes logits for its first argument and applies log-softmax itself, so the prediction
//     is softmaxed twice: −Σ p̄·log Softmax(p̂).
const (
	CETarget     = "target"
	CELiteral    = "literal"
	CEAlgorithm1 = "algorithm1"
)

// SoftCrossEntropy is byb's CE loss per row (CETarget): −Σ_i softmax(target/τ)_i ·
// log softmax(pred/τ)_i over the last axis.
func SoftCrossEntropy(pred, target *Node, tau float64) *Node {
	p := Softmax(DivScalar(target, tau), -1)
	return Neg(ReduceSum(Mul(p, LogSoftmax(DivScalar(pred, tau), -1)), -1))
}

// CrossEntropyForm is the CE loss per row in one of the three readings above.
func CrossEntropyForm(form string, pred, target *Node, tau float64) *Node {
	switch form {
	case CELiteral:
		p := Softmax(DivScalar(pred, tau), -1)
		return Neg(ReduceSum(Mul(p, LogSoftmax(DivScalar(target, tau), -1)), -1))
	case CEAlgorithm1:
		p := Softmax(DivScalar(target, tau), -1)
		return Neg(ReduceSum(Mul(p, LogSoftmax(Softmax(DivScalar(pred, tau), -1), -1)), -1))
	}
	return SoftCrossEntropy(pred, target, tau)
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
