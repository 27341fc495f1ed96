package tracking

import (
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
	"unicode/utf8"
)

// The text reports below are what `byb runs` prints. They fit an 80-column terminal: long
// values are cut with "…" rather than wrapped.

// Clip shortens s to at most n runes, ending with "…" when it was cut.
func Clip(s string, n int) string {
	if n <= 0 {
		return ""
	}
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}

// FormatValue prints a metric value compactly (5 significant digits).
func FormatValue(v float64) string {
	switch {
	case math.IsNaN(v):
		return "NaN"
	case v == 0:
		return "0"
	case math.Abs(v) >= 1e6 || math.Abs(v) < 1e-4:
		return strconv.FormatFloat(v, 'e', 3, 64)
	}
	return strconv.FormatFloat(v, 'g', 5, 64)
}

// FormatDelta prints v-base with its sign, and "" when either is missing.
func FormatDelta(v, base float64) string {
	d := v - base
	if math.IsNaN(d) {
		return ""
	}
	// Three significant digits: a delta says how much, the value itself says exactly.
	out := strconv.FormatFloat(d, 'g', 3, 64)
	if d >= 0 {
		out = "+" + out
	}
	return out
}

// FormatDuration prints a run length as 45s, 12m03s, 3h07m.
func FormatDuration(d time.Duration) string {
	switch {
	case d < 0:
		return "-"
	case d < time.Minute:
		return fmt.Sprintf("%ds", int(d.Seconds()))
	case d < time.Hour:
		return fmt.Sprintf("%dm%02ds", int(d.Minutes()), int(d.Seconds())%60)
	}
	return fmt.Sprintf("%dh%02dm", int(d.Hours()), int(d.Minutes())%60)
}

// WriteRunsTable prints one line per run: ID, status, experiment, method, data, task, start.
func WriteRunsTable(w io.Writer, runs []RunInfo) error {
	tw := tabwriter.NewWriter(w, 0, 0, 1, ' ', 0)
	fmt.Fprintln(tw, "ID\tSTATUS\tEXPERIMENT\tMETHOD\tDATA\tTASK\tSTARTED\tDUR")
	for _, r := range runs {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", r.ID, r.Status, Clip(r.Experiment, 10),
			Clip(r.Params["method"], 7), Clip(DataName(r.Params["data"]), 10), Clip(r.Params["task"], 8),
			r.Start.Local().Format("01-02 15:04"), FormatDuration(r.Duration()))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	_, err := fmt.Fprintf(w, "%d run(s)\n", len(runs))
	return err
}

// WriteRun prints one run: its record, params, final metrics, artifacts and children.
func WriteRun(w io.Writer, d *RunDetail) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	line := func(k, v string) {
		if v != "" {
			fmt.Fprintf(tw, "%s\t%s\n", k, Clip(v, 64))
		}
	}
	line("run", d.ID)
	line("name", d.Name)
	line("experiment", d.Experiment)
	st := d.Status
	if d.EndReason != "" {
		st += " (" + d.EndReason + ")"
	}
	line("status", st)
	line("started", d.Start.Local().Format("2006-01-02 15:04:05"))
	if !d.End.IsZero() {
		line("ended", d.End.Local().Format("2006-01-02 15:04:05"))
	}
	line("duration", FormatDuration(d.Duration()))
	line("engine", d.Engine)
	line("git commit", d.GitCommit)
	if d.Seed != nil {
		line("seed", strconv.FormatInt(*d.Seed, 10))
	}
	line("parent", d.ParentID)
	line("resumed from", d.ResumedFrom)
	line("dir", d.Dir)
	line("command", d.Command)
	tw.Flush()

	section := func(title string, kv map[string]string) {
		if len(kv) == 0 {
			return
		}
		fmt.Fprintf(w, "\n%s:\n", title)
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		for _, k := range sortedKeys(keySet(kv)) {
			fmt.Fprintf(tw, "  %s\t%s\n", Clip(k, 28), Clip(kv[k], 46))
		}
		tw.Flush()
	}
	section("params", d.Params)
	section("tags", d.Tags)
	if len(d.Metrics) > 0 {
		fmt.Fprintf(w, "\nmetrics (final):\n")
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		fmt.Fprintf(tw, "  KEY\tVALUE\tSTEP\tPOINTS\n")
		for _, k := range MetricKeys([]RunInfo{d.RunInfo}) {
			fmt.Fprintf(tw, "  %s\t%s\t%d\t%d\n", Clip(k, 36), FormatValue(d.Metrics[k]), d.MetricStep[k], d.MetricPoints[k])
		}
		tw.Flush()
	}
	if len(d.Artifacts) > 0 {
		fmt.Fprintf(w, "\nartifacts:\n")
		for _, a := range d.Artifacts {
			fmt.Fprintf(w, "  %-11s %s\n", a.Kind, ClipLeft(a.Path, 64))
		}
	}
	if len(d.Children) > 0 {
		fmt.Fprintf(w, "\nchildren:\n")
		for _, c := range d.Children {
			fmt.Fprintf(w, "  %s  %-8s %s\n", c.ID, c.Status, Clip(strings.TrimSpace(c.Params["method"]+" "+c.Params["task"]+" "+c.Name), 54))
		}
	}
	return nil
}

// ClipLeft shortens s to n runes keeping its end (paths: the file name matters most).
func ClipLeft(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return "…" + string(r[len(r)-n+1:])
}

func keySet(m map[string]string) map[string]bool {
	out := make(map[string]bool, len(m))
	for k := range m {
		out[k] = true
	}
	return out
}

// WriteCompare prints the params that differ and the metrics side by side, each metric with
// its delta against the first run. Runs that do not fit in 80 columns continue in further
// blocks below.
func WriteCompare(w io.Writer, c *Comparison) error {
	if len(c.Runs) == 0 {
		return nil
	}
	base := c.Runs[0]
	type row struct {
		key   string
		cells []string // one per run; nil for a section heading
	}
	var rows []row
	if len(c.DiffParams) > 0 {
		rows = append(rows, row{key: "params that differ:"})
		for _, k := range c.DiffParams {
			r := row{key: "  " + Clip(k, 20)}
			for _, run := range c.Runs {
				v, ok := run.Params[k]
				if !ok {
					v = "-"
				}
				r.cells = append(r.cells, Clip(v, 18))
			}
			rows = append(rows, r)
		}
	} else {
		rows = append(rows, row{key: "(params all equal)"})
	}
	if len(c.MetricKeys) > 0 {
		rows = append(rows, row{key: "metrics (Δ vs " + Clip(base.ID, 6) + "):"})
	}
	for _, k := range c.MetricKeys {
		r := row{key: "  " + Clip(k, 20)}
		for _, run := range c.Runs {
			v, ok := run.Metrics[k]
			cell := "-"
			if ok {
				cell = FormatValue(v)
				if bv, ok := base.Metrics[k]; ok && run.ID != base.ID {
					if d := FormatDelta(v, bv); d != "" {
						cell += " (" + d + ")"
					}
				}
			}
			r.cells = append(r.cells, cell)
		}
		rows = append(rows, r)
	}
	keyW := 0
	for _, r := range rows {
		if r.cells != nil {
			keyW = max(keyW, utf8.RuneCountInString(r.key))
		}
	}
	colW := make([]int, len(c.Runs))
	for j, run := range c.Runs {
		colW[j] = len(run.ID)
		for _, r := range rows {
			if r.cells != nil {
				colW[j] = max(colW[j], utf8.RuneCountInString(r.cells[j]))
			}
		}
	}
	pad := func(s string, n int, right bool) string {
		gap := strings.Repeat(" ", max(0, n-utf8.RuneCountInString(s)))
		if right {
			return gap + s
		}
		return s + gap
	}
	for start := 0; start < len(c.Runs); {
		end, width := start, keyW
		for end < len(c.Runs) && (end == start || width+2+colW[end] <= 80) {
			width += 2 + colW[end]
			end++
		}
		if start > 0 {
			fmt.Fprintln(w)
		}
		line := pad("", keyW, false)
		for j := start; j < end; j++ {
			line += "  " + pad(c.Runs[j].ID, colW[j], true)
		}
		fmt.Fprintln(w, strings.TrimRight(line, " "))
		for _, r := range rows {
			if r.cells == nil {
				fmt.Fprintln(w, r.key)
				continue
			}
			line := pad(r.key, keyW, false)
			for j := start; j < end; j++ {
				line += "  " + pad(r.cells[j], colW[j], true)
			}
			fmt.Fprintln(w, line)
		}
		start = end
	}
	return nil
}

// WriteExperiments prints experiments with their run counts.
func WriteExperiments(w io.Writer, exps []ExperimentInfo) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "EXPERIMENT\tRUNS\tRUNNING\tFINISHED\tFAILED\tKILLED\tLAST")
	for _, e := range exps {
		last := ""
		if !e.LastStart.IsZero() {
			last = e.LastStart.Local().Format("01-02 15:04")
		}
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%d\t%d\t%s\n", Clip(e.Name, 24), e.Runs, e.ByStatus[StatusRunning],
			e.ByStatus[StatusFinished], e.ByStatus[StatusFailed], e.ByStatus[StatusKilled], last)
	}
	return tw.Flush()
}

// ParseParamFilters turns ["k=v", ...] into a map, rejecting entries without "=".
func ParseParamFilters(kvs []string) (map[string]string, error) {
	out := map[string]string{}
	for _, kv := range kvs {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || k == "" {
			return nil, fmt.Errorf("--param %q: want key=value", kv)
		}
		out[k] = v
	}
	return out, nil
}
