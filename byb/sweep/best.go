package sweep

import (
	"fmt"
	"math"
	"sort"
)

// Goal says which way a score is better.
type Goal string

const (
	Max Goal = "max" // AUROC, KS, accuracy
	Min Goal = "min" // losses, errors
)

// ParseGoal reads "max" or "min".
func ParseGoal(s string) (Goal, error) {
	switch g := Goal(s); g {
	case Max, Min:
		return g, nil
	}
	return "", fmt.Errorf("sweep: goal %q: want max or min", s)
}

// Failed reports whether a score stands for a point that gave none: NaN (the convention for
// a failed or missing score) or ±Inf (a diverged one, which must not win a max or a min).
func Failed(score float64) bool { return math.IsNaN(score) || math.IsInf(score, 0) }

// better reports whether a beats b; failed scores beat nothing.
func (g Goal) better(a, b float64) bool {
	switch {
	case Failed(a):
		return false
	case Failed(b):
		return true
	case g == Min:
		return a < b
	}
	return a > b
}

// Rank orders the points by score, best first, failed points last; equal scores keep the
// points' order, so a tie goes to the first point (the same choice as Best).
func Rank(scores []float64, g Goal) []int {
	idx := make([]int, len(scores))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(i, j int) bool { return g.better(scores[idx[i]], scores[idx[j]]) })
	return idx
}

// Best is the index of the best score, the first of equals, or -1 when every point failed.
func Best(scores []float64, g Goal) int {
	best := -1
	for i, s := range scores {
		if !Failed(s) && (best < 0 || g.better(s, scores[best])) {
			best = i
		}
	}
	return best
}
