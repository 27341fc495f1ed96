package finetune

import (
	"math"
	"math/rand/v2"

	"github.com/byb-dev/byb/byb/metrics"
)

// minValidation is the smallest validation part worth scoring: below it, one sample more or
// less moves the AUROC by several points and the epoch chosen on it is noise.
const minValidation = 20

// ValidationSplit chooses which of the labelled finetune samples (labels, one per sample) a
// run holds out to choose its epoch: a share of them by a seeded permutation, so that any id
// pattern splits evenly. It returns the samples the model fits (in the permutation's order)
// and the validation samples; val is nil, and fit every sample in order, when the share is 0,
// when the part would be smaller than minValidation or when it would hold a single class
// (AUROC is undefined there).
//
// The same seed gives the frozen probe and unfrozen finetuning of one task the same
// validation users.
func ValidationSplit(labels []int32, share float64, seed uint64) (fit, val []int) {
	n := len(labels)
	nVal := int(math.Round(share * float64(n)))
	if share <= 0 || nVal < minValidation || n-nVal < 1 {
		return identity(n), nil
	}
	perm := rand.New(rand.NewPCG(seed, 0x7a1d)).Perm(n)
	val, fit = perm[:nVal], perm[nVal:]
	seen := map[int32]bool{}
	for _, i := range val {
		seen[labels[i]] = true
	}
	if len(seen) < 2 {
		return identity(n), nil
	}
	return fit, val
}

func identity(n int) []int {
	out := make([]int, n)
	for i := range out {
		out[i] = i
	}
	return out
}

// validationScore is the AUROC of probabilities on the validation samples (macro one-vs-rest
// for more than two classes, as the test metric), or minus their mean cross-entropy where
// AUROC is undefined. The metric's name comes with it.
func validationScore(probs [][]float32, labels []int32, numClasses int) (float64, string) {
	p64 := make([][]float64, len(probs))
	ys := make([]int, len(probs))
	for i, row := range probs {
		p64[i], ys[i] = float64s(row), int(labels[i])
	}
	if m, err := Evaluate(p64, ys, numClasses); err == nil {
		if numClasses == 2 {
			return m[metrics.MetricAUROC], metrics.MetricAUROC
		}
		return m[metrics.MetricMacroAUROC], metrics.MetricMacroAUROC
	}
	ce := 0.0
	for i, p := range p64 {
		ce -= math.Log(max(p[ys[i]], 1e-12))
	}
	return -ce / float64(len(p64)), "neg_loss"
}
