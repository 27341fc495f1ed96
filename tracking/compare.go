package tracking

import (
	"sort"
	"strings"
)

// Comparison is a set of runs side by side: the params whose values differ among them and
// the union of their metrics. The first run is the baseline deltas are taken against.
type Comparison struct {
	Runs       []RunInfo `json:"runs"`
	DiffParams []string  `json:"diff_params"`
	MetricKeys []string  `json:"metric_keys"`
}

// Compare loads runs (IDs or unique prefixes) in the order given.
func (s *Store) Compare(ids []string) (*Comparison, error) {
	ids, err := s.ResolveIDs(ids)
	if err != nil {
		return nil, err
	}
	all, err := s.ListRuns(Filter{IDs: ids})
	if err != nil {
		return nil, err
	}
	byID := map[string]RunInfo{}
	for _, r := range all {
		byID[r.ID] = r
	}
	runs := make([]RunInfo, 0, len(ids))
	for _, id := range ids {
		runs = append(runs, byID[id])
	}
	return NewComparison(runs), nil
}

// NewComparison compares runs already loaded.
func NewComparison(runs []RunInfo) *Comparison {
	return &Comparison{Runs: runs, DiffParams: DiffParams(runs), MetricKeys: MetricKeys(runs)}
}

// DiffParams returns, sorted, the param keys whose value is not the same in every run (a
// param missing from a run counts as a different value).
func DiffParams(runs []RunInfo) []string {
	keys := map[string]bool{}
	for _, r := range runs {
		for k := range r.Params {
			keys[k] = true
		}
	}
	var diff []string
	for k := range keys {
		v0, ok0 := runs[0].Params[k]
		for _, r := range runs[1:] {
			if v, ok := r.Params[k]; ok != ok0 || v != v0 {
				diff = append(diff, k)
				break
			}
		}
	}
	sort.Strings(diff)
	return diff
}

// MetricKeys returns the union of the runs' metric keys: evaluation metrics (AUROC, KS, ...)
// first, then the rest, each group sorted — the figures people compare come first.
func MetricKeys(runs []RunInfo) []string {
	set := map[string]bool{}
	for _, r := range runs {
		for k := range r.Metrics {
			set[k] = true
		}
	}
	keys := make([]string, 0, len(set))
	for k := range set {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		ei, ej := isEvalMetric(keys[i]), isEvalMetric(keys[j])
		if ei != ej {
			return ei
		}
		return keys[i] < keys[j]
	})
	return keys
}

func isEvalMetric(k string) bool {
	k = strings.ToLower(k)
	for _, s := range []string{"auroc", "auc", "ks", "acc", "f1", "ap", "ndcg", "recall", "precision"} {
		if strings.Contains(k, s) {
			return true
		}
	}
	return false
}

// LowerIsBetter reports whether smaller values of metric are better (losses, errors, times).
func LowerIsBetter(metric string) bool {
	k := strings.ToLower(metric)
	for _, s := range []string{"loss", "mse", "mae", "error", "err", "perplexity", "ppl", "time", "seconds"} {
		if strings.Contains(k, s) {
			return true
		}
	}
	return false
}

// HeadlineMetric is a virtual metric key: a finetuning run's test AUROC, macro one-vs-rest
// (test_macro_auroc) for a multi-class task and binary (test_auroc) otherwise — the paper's
// figure, read the same way across tasks of both kinds (finetuning logs "test_" + the
// metric's name).
const HeadlineMetric = "test AUROC"

// headlineKeys are the keys HeadlineMetric reads, the first a run has.
var headlineKeys = []string{"test_macro_auroc", "test_auroc"}

// MetricValue is the latest value of metric in r; metric may be HeadlineMetric.
func MetricValue(r RunInfo, metric string) (float64, bool) {
	if metric != HeadlineMetric {
		v, ok := r.Metrics[metric]
		return v, ok
	}
	for _, k := range headlineKeys {
		if v, ok := r.Metrics[k]; ok {
			return v, true
		}
	}
	return 0, false
}

// HasHeadline reports whether some run has a HeadlineMetric value.
func HasHeadline(runs []RunInfo) bool {
	for _, r := range runs {
		if _, ok := MetricValue(r, HeadlineMetric); ok {
			return true
		}
	}
	return false
}
