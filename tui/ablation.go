package tui

import (
	"fmt"
	"math"
	"strings"

	"github.com/byb-dev/byb/tracking"
)

type ablationState struct {
	runs    []tracking.RunInfo // finished runs of the runs table when the view opened
	params  []string
	param   int
	metrics []string
	metric  int
}

func (m Model) openAblation() Model {
	var runs []tracking.RunInfo
	for _, r := range m.runs.list {
		if r.Status == tracking.StatusFinished {
			runs = append(runs, r)
		}
	}
	a := ablationState{runs: runs, params: tracking.AblationParams(runs), metrics: metricChoices(runs)}
	// Keep the user's choices when coming back.
	for i, p := range a.params {
		if m.abl.param < len(m.abl.params) && p == m.abl.params[m.abl.param] {
			a.param = i
		}
	}
	for i, k := range a.metrics {
		if k == m.runs.metric() {
			a.metric = i
		}
	}
	m.abl = a
	m.view = viewAblation
	return m
}

const (
	ablKeyW  = 14
	ablCellW = 20
)

func (m Model) ablationView() string {
	a := m.abl
	if len(a.params) == 0 || len(a.metrics) == 0 {
		return m.frame("ablation", "\n  No param takes two values among the finished runs listed\n  (filter the runs table to the runs of one ablation first).",
			"esc back · ? help · q quit")
	}
	param, metric := a.params[a.param], a.metrics[a.metric]
	t := tracking.Ablate(a.runs, param, metric)
	dir := "higher is better"
	if t.LowerIsBetter {
		dir = "lower is better"
	}
	var b strings.Builder
	b.WriteString(fmt.Sprintf("group by %s · metric %s (%s)\n", keyStyle.Render(param), keyStyle.Render(metric), dir))
	b.WriteString(dimStyle.Render(fmt.Sprintf("mean ± std over seeds (n runs) · %d finished runs · best in bold*", len(a.runs))) + "\n\n")
	ntasks := max(1, (m.width-ablKeyW)/(ablCellW+1))
	tasks := t.Tasks[:min(len(t.Tasks), ntasks)]
	head := padCell(param, ablKeyW, false)
	for _, task := range tasks {
		head += " " + padCell(task, ablCellW, true)
	}
	b.WriteString(headerStyle.Render(head) + "\n")
	for i, v := range t.Values {
		line := padCell(v, ablKeyW, false)
		for j := range tasks {
			c := t.Cells[i][j]
			cell := ablationCell(c)
			cell = padCell(cell, ablCellW, true)
			if c.Best {
				cell = bestStyle.Render(cell)
			}
			line += " " + cell
		}
		b.WriteString(line + "\n")
	}
	if len(t.Tasks) > len(tasks) {
		b.WriteString(dimStyle.Render(fmt.Sprintf("(%d more tasks: widen the terminal)", len(t.Tasks)-len(tasks))) + "\n")
	}
	title := fmt.Sprintf("ablation · param %d/%d · metric %d/%d", a.param+1, len(a.params), a.metric+1, len(a.metrics))
	return m.frame(title, b.String(), "←/→ param · m metric · esc back · ? help · q quit")
}

// ablationCell is "mean±std (n)", or "value (1)" for one run, whose spread is unknown rather
// than 0; the best of a column is marked * for terminals without bold.
func ablationCell(c tracking.AblationCell) string {
	if c.N == 0 {
		return "-"
	}
	cell := fixed(c.Mean)
	if c.N > 1 {
		cell += "±" + fixed(c.Std)
	}
	cell += " (" + itoa(c.N) + ")"
	if c.Best {
		return cell + "*"
	}
	return cell + " "
}

// fixed prints 4 decimals for the usual metric range, else tracking.FormatValue's 5
// significant digits.
func fixed(v float64) string {
	if math.Abs(v) < 100 {
		return fmt.Sprintf("%.4f", v)
	}
	return tracking.FormatValue(v)
}
