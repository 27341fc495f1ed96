package tui

import (
	"math"
	"strings"

	"github.com/byb-dev/byb/tracking"
)

type compareState struct {
	ids      []string // in the order picked
	cmp      *tracking.Comparison
	baseline int // index in cmp.Runs the deltas are taken against
	offset   int // first run column shown (←/→ scroll)
	ov       overlayState
	back     view // where esc returns: the runs table, or a results table whose cell it compares
}

// rebuildCompare reloads the compared runs from allRuns (after a refresh, say).
func (m Model) rebuildCompare() Model {
	byID := map[string]tracking.RunInfo{}
	for _, r := range m.allRuns {
		byID[r.ID] = r
	}
	var runs []tracking.RunInfo
	for _, id := range m.cmp.ids {
		if r, ok := byID[id]; ok {
			runs = append(runs, r)
		}
	}
	if len(runs) == 0 {
		m.cmp.cmp = nil
		return m
	}
	m.cmp.cmp = tracking.NewComparison(runs)
	if m.cmp.baseline >= len(runs) {
		m.cmp.baseline = 0
	}
	return m
}

const (
	cmpKeyW = 16
	cmpColW = 18
)

func (m Model) compareView() string {
	c := m.cmp.cmp
	if c == nil {
		return m.frame("compare", "no runs", "esc back")
	}
	if m.cmp.ov.on {
		return m.overlayView()
	}
	ncols := max(1, (m.width-cmpKeyW-1)/(cmpColW+1))
	off := min(m.cmp.offset, max(0, len(c.Runs)-ncols))
	shown := c.Runs[off:min(len(c.Runs), off+ncols)]
	base := c.Runs[m.cmp.baseline]

	var b strings.Builder
	row := func(key string, cells []string) {
		b.WriteString(padCell(key, cmpKeyW, false))
		for _, cell := range cells {
			b.WriteString(" " + cell)
		}
		b.WriteString("\n")
	}
	var ids, what []string
	for _, r := range shown {
		id := r.ID
		if r.ID == base.ID {
			id = "*" + id
		}
		ids = append(ids, headerStyle.Render(padCell(id, cmpColW, true)))
		what = append(what, statusStyle(r.Status).Render(padCell(strings.TrimSpace(r.Params["method"]+" "+r.Params["task"]), cmpColW, true)))
	}
	row("", ids)
	row("", what)
	if len(c.DiffParams) == 0 {
		b.WriteString(dimStyle.Render("params: all equal") + "\n")
	} else {
		b.WriteString(titleStyle.Render("params that differ") + "\n")
		for _, k := range c.DiffParams {
			var cells []string
			for _, r := range shown {
				v, ok := r.Params[k]
				if !ok {
					v = "-"
				}
				cells = append(cells, padCell(v, cmpColW, true))
			}
			row("  "+k, cells)
		}
	}
	b.WriteString(titleStyle.Render("metrics · Δ vs *"+base.ID) + "\n")
	for _, k := range c.MetricKeys {
		var cells []string
		for _, r := range shown {
			cells = append(cells, deltaCell(r, base, k))
		}
		row("  "+k, cells)
	}
	title := "compare · " + itoa(len(c.Runs)) + " runs"
	if len(c.Runs) > ncols {
		title += " · columns " + itoa(off+1) + "-" + itoa(off+len(shown)) + " (←/→)"
	}
	return m.frame(title, b.String(), "o curves · b baseline · ←/→ columns · esc back · ? help · q quit")
}

// deltaCell is "value (+delta)" with the delta green when better than the baseline and red
// when worse, according to tracking.LowerIsBetter (losses, errors, times).
func deltaCell(r, base tracking.RunInfo, key string) string {
	v, ok := r.Metrics[key]
	if !ok {
		return padCell("-", cmpColW, true)
	}
	val := tracking.FormatValue(v)
	bv, bok := base.Metrics[key]
	if r.ID == base.ID || !bok {
		return padCell(val, cmpColW, true)
	}
	d := tracking.FormatDelta(v, bv)
	if d == "" {
		return padCell(val, cmpColW, true)
	}
	text := padCell(val+" ("+d+")", cmpColW, true)
	diff := v - bv
	if tracking.LowerIsBetter(key) {
		diff = -diff
	}
	switch {
	case math.IsNaN(diff) || diff == 0:
		return text
	case diff > 0:
		return betterStyle.Render(text)
	}
	return worseStyle.Render(text)
}
