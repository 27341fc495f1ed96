package tracking

import (
	"math"
	"sort"
	"strconv"
)

// Ablation groups runs by the value of one param (rows) and by task (columns), and
// summarises one metric in each cell as mean ± std over the runs there — normally one per
// seed. It is how the paper's ablation tables read.
type Ablation struct {
	Param         string           `json:"param"`
	Metric        string           `json:"metric"`
	LowerIsBetter bool             `json:"lower_is_better"`
	Values        []string         `json:"values"` // rows: the param's values
	Tasks         []string         `json:"tasks"`  // columns: param "task" ("-" when unset)
	Cells         [][]AblationCell `json:"cells"`  // [value][task]
}

// AblationCell is one group of runs. Std is the sample standard deviation (0 for one run).
type AblationCell struct {
	N    int     `json:"n"`
	Mean float64 `json:"mean"`
	Std  float64 `json:"std"`
	Best bool    `json:"best"` // best mean of its column
}

// Ablate builds the table for param and metric (a key, or HeadlineMetric) over runs; runs
// without the metric are left out, runs without the param are grouped under "-".
func Ablate(runs []RunInfo, param, metric string) Ablation {
	a := Ablation{Param: param, Metric: metric, LowerIsBetter: LowerIsBetter(metric)}
	vals := map[string]map[string][]float64{}
	taskSet := map[string]bool{}
	for _, r := range runs {
		v, ok := MetricValue(r, metric)
		if !ok || math.IsNaN(v) {
			continue
		}
		pv := r.Params[param]
		if pv == "" {
			pv = "-"
		}
		task := r.Params["task"]
		if task == "" {
			task = "-"
		}
		if vals[pv] == nil {
			vals[pv] = map[string][]float64{}
		}
		vals[pv][task] = append(vals[pv][task], v)
		taskSet[task] = true
	}
	for v := range vals {
		a.Values = append(a.Values, v)
	}
	sortValues(a.Values)
	a.Tasks = sortedKeys(taskSet)
	a.Cells = make([][]AblationCell, len(a.Values))
	for i, v := range a.Values {
		a.Cells[i] = make([]AblationCell, len(a.Tasks))
		for j, t := range a.Tasks {
			a.Cells[i][j] = summarize(vals[v][t])
		}
	}
	for j := range a.Tasks {
		best := -1
		for i := range a.Values {
			c := a.Cells[i][j]
			if c.N == 0 {
				continue
			}
			if best < 0 || (a.LowerIsBetter && c.Mean < a.Cells[best][j].Mean) || (!a.LowerIsBetter && c.Mean > a.Cells[best][j].Mean) {
				best = i
			}
		}
		if best >= 0 && len(a.Values) > 1 {
			a.Cells[best][j].Best = true
		}
	}
	return a
}

func summarize(xs []float64) AblationCell {
	c := AblationCell{N: len(xs)}
	if c.N == 0 {
		return c
	}
	for _, x := range xs {
		c.Mean += x
	}
	c.Mean /= float64(c.N)
	if c.N > 1 {
		var ss float64
		for _, x := range xs {
			ss += (x - c.Mean) * (x - c.Mean)
		}
		c.Std = math.Sqrt(ss / float64(c.N-1))
	}
	return c
}

// sortValues orders param values numerically when they all are numbers, else as text.
func sortValues(vs []string) {
	nums := make(map[string]float64, len(vs))
	numeric := true
	for _, v := range vs {
		f, err := strconv.ParseFloat(v, 64)
		if err != nil {
			numeric = false
			break
		}
		nums[v] = f
	}
	sort.Slice(vs, func(i, j int) bool {
		if numeric {
			return nums[vs[i]] < nums[vs[j]]
		}
		return vs[i] < vs[j]
	})
}

// preferredAblationParams are the knobs the paper ablates, offered first: BYB's
// hyper-parameters as the trainer records them (byb_*), the demo's short names, the scale.
// A finetuning run's upstream knobs (UpstreamPrefix) follow: the same switches, upstream.
var preferredAblationParams = []string{"method", "byb_ema", "byb_loss", "byb_predictor", "byb_dt2",
	"ema", "loss", "predictor", "dt2", "scale",
	UpstreamPrefix + "method", UpstreamPrefix + "byb_ema", UpstreamPrefix + "byb_loss", UpstreamPrefix + "byb_predictor", UpstreamPrefix + "byb_dt2"}

// AblationParams returns the params worth grouping by: those with at least two distinct
// values among runs, the paper's ablation knobs first. Seed and task are the other two axes
// of the table and are left out (the upstream seed too: it follows the seed), as are the
// run-specific paths out and init (data is kept: runs on two datasets can be grouped by it).
func AblationParams(runs []RunInfo) []string {
	distinct := map[string]map[string]bool{}
	for _, r := range runs {
		for k, v := range r.Params {
			if distinct[k] == nil {
				distinct[k] = map[string]bool{}
			}
			distinct[k][v] = true
		}
	}
	skip := map[string]bool{"seed": true, "task": true, "out": true, "init": true, UpstreamPrefix + "seed": true}
	var out []string
	seen := map[string]bool{}
	for _, k := range preferredAblationParams {
		if len(distinct[k]) > 1 {
			out = append(out, k)
			seen[k] = true
		}
	}
	var rest []string
	for k, vs := range distinct {
		if !seen[k] && !skip[k] && len(vs) > 1 {
			rest = append(rest, k)
		}
	}
	sort.Strings(rest)
	return append(out, rest...)
}
