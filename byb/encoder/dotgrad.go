package encoder

import (
	"reflect"
	"slices"

	. "github.com/gomlx/gomlx/pkg/core/graph" //nolint:revive // GoMLX convention
	"github.com/gomlx/gomlx/pkg/core/shapes"
)

// GoMLX v0.26.0 differentiates DotGeneral by multiplying the adjoint with the other operand
// broadcast to the full [batch, lhsCross, rhsCross, contracting] outer product and reducing
// it afterwards. For a [N,K]x[K,M] matmul that is an N·M·K tensor per gradient: ~6× slower on
// the pure-Go engine and a loop fusion instead of a GEMM on XLA. The registry of gradients is
// public (graph.VJPRegistration), so we replace the DotGeneral entry, process-wide, with the
// textbook VJP: each gradient is itself one DotGeneral (plus a transpose).
//
// Installing it is idempotent and happens when this package is imported; every model built on
// byb's encoder (and anything else in the process) gets it. TestDotGeneralVJP checks it against
// finite differences and against GoMLX's own VJP.
func init() { InstallDotGeneralVJP() }

// InstallDotGeneralVJP registers dotGeneralVJP as the gradient of DotGeneral.
// It also replaces the gradient of Dot (what layers.Dense uses on rank-2 inputs, e.g. the
// finetuning head), which has the same outer-product problem.
func InstallDotGeneralVJP() {
	VJPRegistration[NodeTypeDotGeneral] = func(node *Node, v []*Node, _ shapes.Shape) []*Node {
		lc, lb, rc, rb := dotGeneralAxes(node)
		return dotGeneralVJP(node.Inputs()[0], node.Inputs()[1], lc, lb, rc, rb, v[0])
	}
	VJPRegistration[NodeTypeDot] = func(node *Node, v []*Node, _ shapes.Shape) []*Node {
		// Dot contracts the last axis of lhs with the first of rhs (ranks 1 or 2).
		lhs, rhs := node.Inputs()[0], node.Inputs()[1]
		return dotGeneralVJP(lhs, rhs, []int{lhs.Rank() - 1}, nil, []int{0}, nil, v[0])
	}
}

// dotGeneralAxes reads the axes a DotGeneral node was built with. GoMLX keeps them in an
// unexported struct; reflect may read (not write) unexported fields.
func dotGeneralAxes(node *Node) (lc, lb, rc, rb []int) {
	in := reflect.ValueOf(node).Elem().FieldByName("inputs").Elem().Elem()
	read := func(name string) []int {
		f := in.FieldByName(name)
		out := make([]int, f.Len())
		for i := range out {
			out[i] = int(f.Index(i).Int())
		}
		return out
	}
	return read("lhsContractingAxes"), read("lhsBatchAxes"), read("rhsContractingAxes"), read("rhsBatchAxes")
}

// freeAxes lists the axes of a rank-r operand that are neither contracted nor batch, in order.
func freeAxes(rank int, contracting, batch []int) []int {
	var out []int
	for a := range rank {
		if !slices.Contains(contracting, a) && !slices.Contains(batch, a) {
			out = append(out, a)
		}
	}
	return out
}

// dotGeneralVJP: output axes are [batch..., lhsFree..., rhsFree...]. The gradient wrt one
// operand ("this") contracts the adjoint v over the other operand's free axes with the other
// operand, keeping the batch axes. Either operand order works; the result holds [batch...,
// this operand's free axes, its contracting axes] in some order and is transposed back to the
// operand's layout. Both orders are tried and the one that needs no transpose is preferred
// (e.g. dW = xᵀ·v for a dense layer comes out as [in, out] directly).
func dotGeneralVJP(lhs, rhs *Node, lc, lb, rc, rb []int, v *Node) []*Node {
	lFree := freeAxes(lhs.Rank(), lc, lb)
	rFree := freeAxes(rhs.Rank(), rc, rb)
	nb := len(lb)
	vBatch := iota(0, nb)
	vLFree := iota(nb, len(lFree))
	vRFree := iota(nb+len(lFree), len(rFree))
	// grad returns the gradient wrt "this" (rank thisRank, axes thisB/thisC/thisFree) given the
	// other operand and the positions in v of the other's free axes.
	grad := func(thisRank int, thisC, thisB, thisFree, vThisFree, vOtherFree []int, other *Node, otherC, otherB, otherFree []int) *Node {
		sortedOtherC := slices.Clone(otherC)
		slices.Sort(sortedOtherC)
		// Order 1: DotGeneral(v, other) → [batch, thisFree (from v), other's remaining = otherC sorted].
		perm1 := make([]int, thisRank)
		// Order 2: DotGeneral(other, v) → [batch, other's remaining = otherC sorted, thisFree (from v)].
		perm2 := make([]int, thisRank)
		for i, a := range thisB {
			perm1[a], perm2[a] = i, i
		}
		for i, a := range thisFree {
			perm1[a] = nb + i
			perm2[a] = nb + len(otherC) + i
		}
		for i, oc := range otherC {
			pos := slices.Index(sortedOtherC, oc)
			perm1[thisC[i]] = nb + len(thisFree) + pos
			perm2[thisC[i]] = nb + pos
		}
		if isIdentity(perm2) && !isIdentity(perm1) {
			return DotGeneral(other, otherFree, otherB, v, vOtherFree, vBatch)
		}
		g := DotGeneral(v, vOtherFree, vBatch, other, otherFree, otherB)
		if isIdentity(perm1) {
			return g
		}
		return TransposeAllAxes(g, perm1...)
	}
	return []*Node{
		grad(lhs.Rank(), lc, lb, lFree, vLFree, vRFree, rhs, rc, rb, rFree),
		grad(rhs.Rank(), rc, rb, rFree, vRFree, vLFree, lhs, lc, lb, lFree),
	}
}

func iota(start, n int) []int {
	out := make([]int, n)
	for i := range out {
		out[i] = start + i
	}
	return out
}

func isIdentity(perm []int) bool {
	for i, p := range perm {
		if i != p {
			return false
		}
	}
	return true
}
