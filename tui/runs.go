package tui

import (
	"math"
	"sort"
	"strconv"
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

// Widths a column may grow to, to show its content in full (see fitContent).
const (
	fitCap    = 24 // TASK, METHOD and param columns: look-alike values must not read alike
	metricFit = 12 // the metric column: room for its title ("TEST AUROC")
)

// dataExperiment holds the data-import runs (byb data gen / import): noise among results.
const dataExperiment = "data"

// runCols says what the columns of the runs table show: the fixed columns, the chosen
// metric (a key or tracking.HeadlineMetric) in colMetric, then the params the user added.
type runCols struct {
	metric string
	params []string
}

func (c runCols) count() int { return numRunCols + len(c.params) }

// columns: at 80 columns the ID, status, method, task, seed, start, duration and the chosen
// metric show; data, experiment and name join on wider terminals. The param columns the user
// added come last, at prio 2: the start time (prio 3) is the first to make room for them.
func (c runCols) columns() []column {
	title := c.metric
	if i := strings.LastIndex(title, "/"); i >= 0 {
		title = title[i+1:]
	}
	if title == "" {
		title = "METRIC"
	}
	cols := []column{
		colID:         {title: "ID", width: 12},
		colStatus:     {title: "STATUS", width: 8},
		colExperiment: {title: "EXPERIMENT", width: 12, prio: 4},
		colMethod:     {title: "METHOD", width: 7, prio: 1, fit: fitCap},
		colData:       {title: "DATA", width: 12, prio: 4},
		colTask:       {title: "TASK", width: 8, prio: 1, fit: fitCap},
		colSeed:       {title: "SEED", width: 4, prio: 2, right: true},
		colStarted:    {title: "STARTED", width: 11, prio: 3},
		colDur:        {title: "DUR", width: 6, prio: 2, right: true},
		colMetric:     {title: strings.ToUpper(title), width: 9, prio: 1, right: true, fit: metricFit},
		colName:       {title: "NAME", width: 18, prio: 5},
	}
	for _, p := range c.params {
		cols = append(cols, column{title: p, width: 6, prio: 2, fit: fitCap})
	}
	return cols
}

type runsState struct {
	table      tableView
	list       []tracking.RunInfo // the rows shown, filtered and sorted
	hidden     int                // runs of the scope and filter left out as noise
	showHidden bool               // H: show failed runs and data imports too
	wide       bool               // w: every column as wide as its content
	paramCols  []string           // params shown as columns (p adds, P removes), in order
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

func (r *runsState) cols() runCols { return runCols{metric: r.metric(), params: r.paramCols} }

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

// nextParamColumn is the first param, in tracking.AblationParams' order (the ablation knobs
// first), whose value varies among the listed runs and that no column shows yet.
func (r *runsState) nextParamColumn() (string, bool) {
	shown := map[string]bool{"method": true, "task": true, "data": true, "seed": true}
	for _, p := range r.paramCols {
		shown[p] = true
	}
	for _, p := range tracking.AblationParams(r.list) {
		if !shown[p] {
			return p, true
		}
	}
	return "", false
}

// metricChoices are the metrics the m key cycles through: the headline test AUROC first when
// a run has one (it reads each run's own AUROC key, binary or macro), then every key.
func metricChoices(runs []tracking.RunInfo) []string {
	keys := tracking.MetricKeys(runs)
	if tracking.HasHeadline(runs) {
		keys = append([]string{tracking.HeadlineMetric}, keys...)
	}
	return keys
}

// parentTerm is the filter term that keeps the children of a run: "parent:ID" (or a prefix).
const parentTerm = "parent:"

// matches: every space-separated term of the filter must hold. "parent:ID" keeps the children
// of run ID (or of the run whose ID starts so); any other term must occur (case-insensitively)
// in the run's ID, name, status, experiment or one of its "key=value" params.
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
		if id, ok := strings.CutPrefix(t, parentTerm); ok {
			if r.ParentID == "" || !strings.HasPrefix(strings.ToLower(r.ParentID), id) {
				return false
			}
		} else if !strings.Contains(hay, t) {
			return false
		}
	}
	return true
}

// cell is what column col shows for r.
func (c runCols) cell(r tracking.RunInfo, col int) string {
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
		if v, ok := tracking.MetricValue(r, c.metric); ok {
			return tracking.FormatValue(v)
		}
		return "-"
	case colName:
		return r.Name
	}
	if p := col - numRunCols; p >= 0 && p < len(c.params) {
		return r.Params[c.params[p]]
	}
	return ""
}

// less orders two runs by col; numbers compare as numbers, missing metrics sort last.
func (c runCols) less(a, b tracking.RunInfo, col int) bool {
	switch col {
	case colStarted:
		return a.Start.Before(b.Start)
	case colDur:
		return a.Duration() < b.Duration()
	case colSeed:
		return seedOf(a) < seedOf(b)
	case colMetric:
		if !c.hasMetric(a) {
			return false
		}
		if !c.hasMetric(b) {
			return true
		}
		va, _ := tracking.MetricValue(a, c.metric)
		vb, _ := tracking.MetricValue(b, c.metric)
		return va < vb
	}
	sa, sb := c.cell(a, col), c.cell(b, col)
	if col >= numRunCols {
		// Param values are often numbers (learning rates, lengths): 1e-4 before 0.001.
		fa, erra := strconv.ParseFloat(sa, 64)
		fb, errb := strconv.ParseFloat(sb, 64)
		if erra == nil && errb == nil {
			return fa < fb
		}
	}
	return sa < sb
}

func seedOf(r tracking.RunInfo) int64 {
	if r.Seed != nil {
		return *r.Seed
	}
	return math.MinInt64
}

// noise: failed runs and data imports crowd out the results one compares; they are hidden
// unless H shows them (data imports show when their experiment is the one opened).
func (m Model) noise(r tracking.RunInfo) bool {
	return r.Status == tracking.StatusFailed || r.Experiment == dataExperiment && m.experiment != dataExperiment
}

// rebuildRuns recomputes the runs table from allRuns, the experiment, hidden runs, filter and
// sort, keeping the cursor on the same run when it is still listed.
func (m Model) rebuildRuns() Model {
	r := &m.runs
	var cur string
	if r.table.cursor < len(r.list) {
		cur = r.list[r.table.cursor].ID
	}
	var scope []tracking.RunInfo
	for _, run := range m.allRuns {
		if (m.experiment == "" || run.Experiment == m.experiment) && (r.showHidden || !m.noise(run)) {
			scope = append(scope, run)
		}
	}
	r.setMetricKeys(metricChoices(scope))
	r.list, r.hidden = r.list[:0:0], 0
	for _, run := range m.allRuns {
		if (m.experiment == "" || run.Experiment == m.experiment) && matches(run, r.filter) {
			if r.showHidden || !m.noise(run) {
				r.list = append(r.list, run)
			} else {
				r.hidden++
			}
		}
	}
	if r.sortCol >= r.cols().count() {
		r.sortCol = colStarted // its param column was removed
	}
	r.sortList()
	r.fillTable(cur)
	return m
}

// setMetricKeys replaces the metric choices, staying on the chosen metric when it remains.
func (r *runsState) setMetricKeys(keys []string) {
	if old := r.metric(); old != "" {
		r.metricIdx = 0
		for i, k := range keys {
			if k == old {
				r.metricIdx = i
			}
		}
	}
	r.metricKeys = keys
}

// sortList orders the listed runs by the sort column; runs without the metric go last in
// either direction: they are not its worst, and the best must show at the top.
func (r *runsState) sortList() {
	c, col, desc := r.cols(), r.sortCol, r.desc
	sort.SliceStable(r.list, func(i, j int) bool {
		a, b := r.list[i], r.list[j]
		if col == colMetric {
			if ha, hb := c.hasMetric(a), c.hasMetric(b); ha != hb {
				return ha
			}
		}
		if desc {
			return c.less(b, a, col)
		}
		return c.less(a, b, col)
	})
}

func (c runCols) hasMetric(r tracking.RunInfo) bool {
	v, ok := tracking.MetricValue(r, c.metric)
	return ok && !math.IsNaN(v)
}

// fillTable turns the listed runs into the table's rows, the cursor on run cur when listed.
func (r *runsState) fillTable(cur string) {
	c := r.cols()
	r.table.cols = c.columns()
	r.table.sortCol, r.table.desc = r.sortCol, r.desc
	r.table.rows = make([][]string, len(r.list))
	for i, run := range r.list {
		row := make([]string, c.count())
		for col := range row {
			row[col] = c.cell(run, col)
		}
		r.table.rows[i] = row
		if run.ID == cur {
			r.table.cursor = i
		}
	}
	fitContent(r.table.cols, r.table.rows, r.wide)
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
	title := "runs · " + scope
	switch {
	case r.showHidden:
		title += " · failed & data shown"
	case r.hidden > 0:
		title += " · " + itoa(r.hidden) + " hidden"
	}
	dir := "▲"
	if r.desc {
		dir = "▼"
	}
	title += " · sort " + r.table.cols[r.sortCol].title + dir
	if r.wide {
		title += " · wide"
	}
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
		foot = r.table.scrollInfo() + " · ? help · enter open · space select · c compare · a ablation · / filter · s sort · p/P column · w wide · H hidden"
	}
	body := r.table.render()
	if len(r.list) == 0 {
		body = "  " + headerStyle.Render("no runs match") + "\n" + strings.Repeat("\n", max(0, r.table.height))
	}
	return m.frame(title, body, foot)
}
