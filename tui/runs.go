package tui

import (
	"math"
	"sort"
	"strings"

	"github.com/byb-dev/byb/tracking"
	"github.com/charmbracelet/lipgloss"
)

// Columns of the runs table, in display order.
const (
	colID = iota
	colStatus
	colExperiment
	colMethod
	colData
	colTask
	colSeed
	colStarted
	colDur
	colMetric
	colName
	numRunCols
)

// runColumns: at 80 columns the ID, status, method, task, seed, start, duration and the chosen
// metric show; data, experiment and name join on wider terminals.
func runColumns(metric string) []column {
	title := metric
	if i := strings.LastIndex(metric, "/"); i >= 0 {
		title = metric[i+1:]
	}
	if title == "" {
		title = "METRIC"
	}
	return []column{
		colID:         {title: "ID", width: 12},
		colStatus:     {title: "STATUS", width: 8},
		colExperiment: {title: "EXPERIMENT", width: 12, prio: 4},
		colMethod:     {title: "METHOD", width: 7, prio: 1},
		colData:       {title: "DATA", width: 12, prio: 4},
		colTask:       {title: "TASK", width: 8, prio: 1},
		colSeed:       {title: "SEED", width: 4, prio: 2, right: true},
		colStarted:    {title: "STARTED", width: 11, prio: 3},
		colDur:        {title: "DUR", width: 6, prio: 2, right: true},
		colMetric:     {title: strings.ToUpper(title), width: 9, prio: 1, right: true},
		colName:       {title: "NAME", width: 18, prio: 5},
	}
}

type runsState struct {
	table      tableView
	list       []tracking.RunInfo // the rows shown, filtered and sorted
	filter     string
	filtering  bool
	selected   []string // run IDs in the order they were picked
	metricKeys []string
	metricIdx  int
	sortCol    int
	desc       bool
}

func (r *runsState) metric() string {
	if len(r.metricKeys) == 0 {
		return ""
	}
	return r.metricKeys[r.metricIdx%len(r.metricKeys)]
}

func (r *runsState) isSelected(id string) bool {
	for _, s := range r.selected {
		if s == id {
			return true
		}
	}
	return false
}

func (r *runsState) toggle(id string) {
	for i, s := range r.selected {
		if s == id {
			r.selected = append(r.selected[:i], r.selected[i+1:]...)
			return
		}
	}
	r.selected = append(r.selected, id)
}

// matches: every space-separated term of the filter must occur (case-insensitively) in the
// run's ID, name, status, experiment or one of its "key=value" params.
func matches(r tracking.RunInfo, filter string) bool {
	terms := strings.Fields(strings.ToLower(filter))
	if len(terms) == 0 {
		return true
	}
	var sb strings.Builder
	for _, s := range []string{r.ID, r.Name, r.Status, r.Experiment} {
		sb.WriteString(strings.ToLower(s) + "\x00")
	}
	for k, v := range r.Params {
		sb.WriteString(strings.ToLower(k+"="+v) + "\x00")
	}
	hay := sb.String()
	for _, t := range terms {
		if !strings.Contains(hay, t) {
			return false
		}
	}
	return true
}

func runCell(r tracking.RunInfo, col int, metric string) string {
	switch col {
	case colID:
		return r.ID
	case colStatus:
		return r.Status
	case colExperiment:
		return r.Experiment
	case colMethod:
		return r.Params["method"]
	case colData:
		return tracking.DataName(r.Params["data"])
	case colTask:
		return r.Params["task"]
	case colSeed:
		if r.Seed != nil {
			return itoa64(*r.Seed)
		}
		return r.Params["seed"]
	case colStarted:
		return r.Start.Local().Format("01-02 15:04")
	case colDur:
		return tracking.FormatDuration(r.Duration())
	case colMetric:
		if v, ok := r.Metrics[metric]; ok {
			return tracking.FormatValue(v)
		}
		return "-"
	case colName:
		return r.Name
	}
	return ""
}

// less orders two runs by col; numbers compare as numbers, missing metrics sort last.
func less(a, b tracking.RunInfo, col int, metric string) bool {
	switch col {
	case colStarted:
		return a.Start.Before(b.Start)
	case colDur:
		return a.Duration() < b.Duration()
	case colSeed:
		return seedOf(a) < seedOf(b)
	case colMetric:
		va, oka := a.Metrics[metric]
		vb, okb := b.Metrics[metric]
		if !oka || math.IsNaN(va) {
			return false
		}
		if !okb || math.IsNaN(vb) {
			return true
		}
		return va < vb
	}
	return runCell(a, col, metric) < runCell(b, col, metric)
}

func seedOf(r tracking.RunInfo) int64 {
	if r.Seed != nil {
		return *r.Seed
	}
	return math.MinInt64
}

// rebuildRuns recomputes the runs table from allRuns, the experiment, filter and sort,
// keeping the cursor on the same run when it is still listed.
func (m Model) rebuildRuns() Model {
	r := &m.runs
	var cur string
	if r.table.cursor < len(r.list) {
		cur = r.list[r.table.cursor].ID
	}
	var inExp []tracking.RunInfo
	for _, run := range m.allRuns {
		if m.experiment == "" || run.Experiment == m.experiment {
			inExp = append(inExp, run)
		}
	}
	keys := tracking.MetricKeys(inExp)
	if old := r.metric(); old != "" {
		r.metricIdx = 0
		for i, k := range keys {
			if k == old {
				r.metricIdx = i
			}
		}
	}
	r.metricKeys = keys
	metric := r.metric()
	r.list = r.list[:0:0]
	for _, run := range inExp {
		if matches(run, r.filter) {
			r.list = append(r.list, run)
		}
	}
	col, desc := r.sortCol, r.desc
	sort.SliceStable(r.list, func(i, j int) bool {
		if desc {
			return less(r.list[j], r.list[i], col, metric)
		}
		return less(r.list[i], r.list[j], col, metric)
	})
	r.table.cols = runColumns(metric)
	r.table.sortCol, r.table.desc = col, desc
	r.table.rows = make([][]string, len(r.list))
	for i, run := range r.list {
		row := make([]string, numRunCols)
		for c := range row {
			row[c] = runCell(run, c, metric)
		}
		r.table.rows[i] = row
		if run.ID == cur {
			r.table.cursor = i
		}
	}
	list := r.list
	r.table.style = func(row, col int) (lipgloss.Style, bool) {
		if col == colStatus {
			return statusStyle(list[row].Status), true
		}
		return lipgloss.Style{}, false
	}
	sel := r.selected
	r.table.mark = func(row int) bool {
		for _, s := range sel {
			if s == list[row].ID {
				return true
			}
		}
		return false
	}
	r.table.clampOffset()
	return m
}

func (m Model) currentRun() (tracking.RunInfo, bool) {
	if m.runs.table.cursor < len(m.runs.list) && len(m.runs.list) > 0 {
		return m.runs.list[m.runs.table.cursor], true
	}
	return tracking.RunInfo{}, false
}

func (m Model) runsView() string {
	r := &m.runs
	scope := "all experiments"
	if m.experiment != "" {
		scope = m.experiment
	}
	dir := "▲"
	if r.desc {
		dir = "▼"
	}
	title := "runs · " + scope + " · sort " + runColumns(r.metric())[r.sortCol].title + dir
	if len(r.selected) > 0 {
		title += " · " + itoa(len(r.selected)) + " selected"
	}
	live := 0
	for _, run := range r.list {
		if run.Status == tracking.StatusRunning {
			live++
		}
	}
	if live > 0 {
		title += " · " + itoa(live) + " live"
	}
	var foot string
	switch {
	case r.filtering:
		foot = "filter: " + r.filter + "█  (enter keep · esc clear)"
	case r.filter != "":
		foot = "filter: " + r.filter + " · " + r.table.scrollInfo() + " · / edit · ? help"
	default:
		foot = r.table.scrollInfo() + " · enter open · space select · c compare · a ablation · / filter · s sort · ? help · q quit"
	}
	body := r.table.render()
	if len(r.list) == 0 {
		body = "  " + headerStyle.Render("no runs match") + "\n" + strings.Repeat("\n", max(0, r.table.height))
	}
	return m.frame(title, body, foot)
}
