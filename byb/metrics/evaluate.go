package metrics

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// Task is the kind of downstream task being evaluated.
type Task int

const (
	// Binary tasks have labels 0/1 and one score per sample (higher means
	// more likely positive: a probability, a logit or any monotone score).
	Binary Task = iota
	// MultiClass tasks have labels in [0, numClasses) and numClasses scores
	// per sample, row-major.
	MultiClass
)

// String implements fmt.Stringer.
func (t Task) String() string {
	switch t {
	case Binary:
		return "binary"
	case MultiClass:
		return "multiclass"
	}
	return "Task(" + strconv.Itoa(int(t)) + ")"
}

// Metric names used as keys of Result.
const (
	MetricAUROC             = "auroc"               // Binary: AUROC.
	MetricKS                = "ks"                  // Binary: Kolmogorov–Smirnov statistic.
	MetricMacroAUROC        = "macro_auroc"         // MultiClass: macro one-vs-rest AUROC.
	MetricMacroAUROCClasses = "macro_auroc_classes" // MultiClass: number of classes averaged in macro_auroc.
	MetricAccuracy          = "accuracy"            // MultiClass: top-1 accuracy.
	MetricNumSamples        = "n"                   // Both: number of samples evaluated.
)

// Result maps metric names (the Metric* constants) to values.
type Result map[string]float64

// String formats the result as "name=value" pairs sorted by name, for logs.
func (r Result) String() string {
	names := make([]string, 0, len(r))
	for k := range r {
		names = append(names, k)
	}
	sort.Strings(names)
	var b strings.Builder
	for i, k := range names {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(k)
		b.WriteByte('=')
		b.WriteString(strconv.FormatFloat(r[k], 'g', 6, 64))
	}
	return b.String()
}

// Evaluate computes the standard metrics of a task:
//
//   - Binary (numClasses must be 0 or 2; scores has one value per sample):
//     auroc, ks, n.
//   - MultiClass (scores is row-major [N, numClasses]): macro_auroc,
//     macro_auroc_classes (see MacroAUROC for how absent classes are
//     skipped), accuracy, n.
func Evaluate(task Task, numClasses int, scores []float64, labels []int) (Result, error) {
	switch task {
	case Binary:
		if numClasses != 0 && numClasses != 2 {
			return nil, fmt.Errorf("metrics: binary task with numClasses=%d", numClasses)
		}
		auc, ks, err := AUROCAndKS(scores, labels)
		if err != nil {
			return nil, err
		}
		return Result{MetricAUROC: auc, MetricKS: ks, MetricNumSamples: float64(len(labels))}, nil
	case MultiClass:
		macro, used, err := MacroAUROC(scores, numClasses, labels)
		if err != nil {
			return nil, err
		}
		acc, err := Accuracy(scores, numClasses, labels)
		if err != nil {
			return nil, err
		}
		return Result{
			MetricMacroAUROC:        macro,
			MetricMacroAUROCClasses: float64(used),
			MetricAccuracy:          acc,
			MetricNumSamples:        float64(len(labels)),
		}, nil
	}
	return nil, fmt.Errorf("metrics: unknown task %v", task)
}

// EvaluateProbabilities scores per-sample class probabilities: AUROC and KS of the positive
// class (class 1) for 2 classes, macro one-vs-rest AUROC (and accuracy) for more. It is the
// one scoring of every model's test predictions (finetuning, the bag-of-IDs reference).
func EvaluateProbabilities(probs [][]float64, labels []int, numClasses int) (Result, error) {
	if numClasses == 2 {
		pos := make([]float64, len(probs))
		for i, p := range probs {
			pos[i] = p[1]
		}
		return Evaluate(Binary, 2, pos, labels)
	}
	flat := make([]float64, 0, len(probs)*numClasses)
	for _, p := range probs {
		flat = append(flat, p...)
	}
	return Evaluate(MultiClass, numClasses, flat, labels)
}
