package metrics

import (
	"errors"
	"fmt"
	"math"
	"slices"
)

// ErrSingleClass is returned (wrapped) when a metric is undefined because
// the labels contain only one class (AUROC/KS need at least one positive and
// one negative sample; MacroAUROC needs at least one usable class).
var ErrSingleClass = errors.New("metrics: only one class present in labels")

// AUROC returns the area under the ROC curve of scores for binary labels
// (0 = negative, 1 = positive; a higher score means "more positive").
//
// Tied scores count 1/2 per (positive, negative) pair, exactly as
// sklearn.metrics.roc_auc_score. It runs in O(n log n) and does not modify
// its inputs. It returns an error wrapping ErrSingleClass if labels contain
// only one class, and an error for mismatched lengths, labels other than 0/1
// or NaN scores.
func AUROC(scores []float64, labels []int) (float64, error) {
	pos, neg, err := splitBinary(scores, labels)
	if err != nil {
		return 0, err
	}
	auc, _ := sortedStats(pos, neg)
	return auc, nil
}

// KS returns the Kolmogorov–Smirnov statistic of a binary scorer: the
// maximum over thresholds t of TPR(t) − FPR(t), where a sample is predicted
// positive when score >= t and thresholds are taken only at distinct score
// values (tied samples always switch together). This equals
// max(tpr - fpr) over sklearn.metrics.roc_curve(labels, scores). The result
// is in [0, 1]: the threshold above every score (TPR = FPR = 0) is included,
// so a scorer that ranks every negative above every positive yields 0, not a
// negative value.
//
// Input requirements and errors are those of AUROC.
func KS(scores []float64, labels []int) (float64, error) {
	pos, neg, err := splitBinary(scores, labels)
	if err != nil {
		return 0, err
	}
	_, ks := sortedStats(pos, neg)
	return ks, nil
}

// AUROCAndKS computes both binary metrics with a single sort.
func AUROCAndKS(scores []float64, labels []int) (auroc, ks float64, err error) {
	pos, neg, err := splitBinary(scores, labels)
	if err != nil {
		return 0, 0, err
	}
	auroc, ks = sortedStats(pos, neg)
	return auroc, ks, nil
}

// MacroAUROC returns the macro-averaged one-vs-rest AUROC of a multi-class
// scorer, as sklearn's roc_auc_score(labels, P, multi_class="ovr",
// average="macro"), together with the number of classes that were averaged.
//
// probs is row-major with shape [N, numClasses] (probs[i*numClasses+c] is
// the score of sample i for class c); labels[i] must be in [0, numClasses).
// Rows need not sum to one (sklearn requires it; only the order of the
// scores within each column matters here).
//
// Classes for which one-vs-rest AUROC is undefined (no positive sample, or no
// negative sample) are skipped rather than being an error as in sklearn: the
// result is the mean over the remaining classes, and classesUsed reports how
// many there were. When every class is present it equals sklearn's value.
// If no class is usable (fewer than two distinct labels) the error wraps
// ErrSingleClass.
func MacroAUROC(probs []float64, numClasses int, labels []int) (macro float64, classesUsed int, err error) {
	per, err := OneVsRestAUROC(probs, numClasses, labels)
	if err != nil {
		return 0, 0, err
	}
	sum := 0.0
	for _, a := range per {
		if !math.IsNaN(a) {
			sum += a
			classesUsed++
		}
	}
	if classesUsed == 0 {
		return 0, 0, fmt.Errorf("%w: MacroAUROC has no class with both positive and negative samples", ErrSingleClass)
	}
	return sum / float64(classesUsed), classesUsed, nil
}

// MacroAUROCRows is MacroAUROC for scores given as one row per sample. All
// rows must have the same length, which is taken as the number of classes.
func MacroAUROCRows(probs [][]float64, labels []int) (macro float64, classesUsed int, err error) {
	flat, numClasses, err := flattenRows(probs)
	if err != nil {
		return 0, 0, err
	}
	return MacroAUROC(flat, numClasses, labels)
}

// OneVsRestAUROC returns, for each class c, the AUROC of score column c for
// the binary problem "label == c". Classes whose problem is degenerate (no
// positive or no negative sample) get NaN. Arguments are as for MacroAUROC.
func OneVsRestAUROC(probs []float64, numClasses int, labels []int) ([]float64, error) {
	if err := checkMulti(probs, numClasses, labels); err != nil {
		return nil, err
	}
	n := len(labels)
	counts := make([]int, numClasses)
	for _, l := range labels {
		counts[l]++
	}
	per := make([]float64, numClasses)
	pos := make([]float64, 0, n)
	neg := make([]float64, 0, n)
	for c := range numClasses {
		if counts[c] == 0 || counts[c] == n {
			per[c] = math.NaN()
			continue
		}
		pos, neg = pos[:0], neg[:0]
		for i, l := range labels {
			s := probs[i*numClasses+c]
			if l == c {
				pos = append(pos, s)
			} else {
				neg = append(neg, s)
			}
		}
		slices.Sort(pos)
		slices.Sort(neg)
		per[c], _ = sortedStats(pos, neg)
	}
	return per, nil
}

// Accuracy returns the top-1 accuracy of row-major scores [N, numClasses]:
// the fraction of samples whose highest-scoring class equals the label
// (ties go to the lowest class index, like numpy.argmax).
func Accuracy(probs []float64, numClasses int, labels []int) (float64, error) {
	if err := checkMulti(probs, numClasses, labels); err != nil {
		return 0, err
	}
	if len(labels) == 0 {
		return 0, errors.New("metrics: Accuracy of zero samples")
	}
	correct := 0
	for i, l := range labels {
		row := probs[i*numClasses : (i+1)*numClasses]
		best := 0
		for c := 1; c < numClasses; c++ {
			if row[c] > row[best] {
				best = c
			}
		}
		if best == l {
			correct++
		}
	}
	return float64(correct) / float64(len(labels)), nil
}

// splitBinary validates binary inputs and returns the positive and negative
// scores, each sorted ascending.
func splitBinary(scores []float64, labels []int) (pos, neg []float64, err error) {
	if len(scores) != len(labels) {
		return nil, nil, fmt.Errorf("metrics: %d scores but %d labels", len(scores), len(labels))
	}
	nPos := 0
	for i, l := range labels {
		switch l {
		case 0:
		case 1:
			nPos++
		default:
			return nil, nil, fmt.Errorf("metrics: binary label %d at index %d (want 0 or 1)", l, i)
		}
		if math.IsNaN(scores[i]) {
			return nil, nil, fmt.Errorf("metrics: NaN score at index %d", i)
		}
	}
	nNeg := len(labels) - nPos
	if nPos == 0 || nNeg == 0 {
		return nil, nil, fmt.Errorf("%w: %d positive and %d negative samples", ErrSingleClass, nPos, nNeg)
	}
	pos = make([]float64, 0, nPos)
	neg = make([]float64, 0, nNeg)
	for i, l := range labels {
		if l == 1 {
			pos = append(pos, scores[i])
		} else {
			neg = append(neg, scores[i])
		}
	}
	slices.Sort(pos)
	slices.Sort(neg)
	return pos, neg, nil
}

// sortedStats computes AUROC and KS from non-empty, ascending-sorted,
// NaN-free positive and negative scores by merging them one distinct score
// value at a time.
//
// AUROC: twiceU accumulates 2·U where U = Σ over positives of
// (#negatives with a lower score + ½·#negatives with an equal score); it is
// an exact integer (fits int64 for any realistic n), so AUROC =
// twiceU / (2·P·N) is correctly rounded.
//
// KS: for a threshold at distinct value v, TP = #positives >= v and
// FP = #negatives >= v; TPR − FPR is evaluated with the same divisions as
// sklearn's roc_curve (tps/tps[-1] − fps/fps[-1]).
func sortedStats(pos, neg []float64) (auroc, ks float64) {
	nPos, nNeg := len(pos), len(neg)
	fPos, fNeg := float64(nPos), float64(nNeg)
	var twiceU int64
	i, j := 0, 0 // positives / negatives strictly below the current value
	for i < nPos || j < nNeg {
		var v float64
		switch {
		case i == nPos:
			v = neg[j]
		case j == nNeg:
			v = pos[i]
		default:
			v = min(pos[i], neg[j])
		}
		// Threshold at v: everything from index i (resp. j) upward is >= v.
		if d := float64(nPos-i)/fPos - float64(nNeg-j)/fNeg; d > ks {
			ks = d
		}
		p := 0
		for i+p < nPos && pos[i+p] == v {
			p++
		}
		q := 0
		for j+q < nNeg && neg[j+q] == v {
			q++
		}
		twiceU += int64(p) * (2*int64(j) + int64(q))
		i += p
		j += q
	}
	auroc = float64(twiceU) / (2 * fPos * fNeg)
	return auroc, ks
}

func checkMulti(probs []float64, numClasses int, labels []int) error {
	if numClasses < 2 {
		return fmt.Errorf("metrics: numClasses=%d, want >= 2", numClasses)
	}
	if len(probs) != len(labels)*numClasses {
		return fmt.Errorf("metrics: %d scores for %d samples × %d classes (want %d)",
			len(probs), len(labels), numClasses, len(labels)*numClasses)
	}
	for i, l := range labels {
		if l < 0 || l >= numClasses {
			return fmt.Errorf("metrics: label %d at index %d out of range [0, %d)", l, i, numClasses)
		}
	}
	for i, s := range probs {
		if math.IsNaN(s) {
			return fmt.Errorf("metrics: NaN score for sample %d class %d", i/numClasses, i%numClasses)
		}
	}
	return nil
}

func flattenRows(rows [][]float64) ([]float64, int, error) {
	if len(rows) == 0 {
		return nil, 0, errors.New("metrics: no score rows")
	}
	c := len(rows[0])
	flat := make([]float64, 0, len(rows)*c)
	for i, r := range rows {
		if len(r) != c {
			return nil, 0, fmt.Errorf("metrics: score row %d has %d columns, row 0 has %d", i, len(r), c)
		}
		flat = append(flat, r...)
	}
	return flat, c, nil
}
