package tui

import (
	"fmt"
	"slices"
	"strings"

	"github.com/byb-dev/byb/tracking"
	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/mattn/go-runewidth"
)

// A reproduction (`byb reproduce table2`, the ablations, ...) records its table as a results
// artifact (tracking.ResultTable). Its detail shows the table — rows × tasks, mean ± std over
// seeds, the best cell of each task in bold, "not run" where a row did not run — and the
// claims judged on it; enter opens the table to pick a cell, and enter on a cell opens the
// run behind it (the runs of its seeds, compared, when it has several).

// resultsState is the table of a reproduction's results with a cell under the cursor
// (viewResults).
type resultsState struct {
	runID    string // the reproduction
	table    *tracking.ResultTable
	set      int // the data set shown
	row, col int // the cell under the cursor: a row of the data set, a task
	back     view
}

// resultsCaption says what a data set's table holds.
func resultsCaption(t *tracking.ResultTable, set int) string {
	d := t.Datasets[set]
	seeds := "one seed"
	if t.Seeds > 1 {
		seeds = fmt.Sprintf("mean ± std over %d seeds", t.Seeds)
	}
	return fmt.Sprintf("%s · %s, %s", d.Name, t.Metric, seeds)
}

// resultsLines is a reproduction's results as its detail shows them: every data set's table
// and claims, no cursor.
func resultsLines(t *tracking.ResultTable, width int) string {
	var b strings.Builder
	title := t.Title
	if t.Scale != "" {
		title += " (scale " + t.Scale + ")"
	}
	b.WriteString(titleStyle.Render(title) + dimStyle.Render("  enter picks a cell and opens its runs") + "\n")
	for i, d := range t.Datasets {
		b.WriteString("\n" + headerStyle.Render(resultsCaption(t, i)) + "\n")
		lines, first, last := resultGrid(d, width, gridCursor{row: -1})
		b.WriteString(strings.Join(lines, "\n") + "\n")
		if hidden := len(d.Tasks) - (last - first); hidden > 0 {
			b.WriteString(dimStyle.Render(fmt.Sprintf("  (%d more task%s: enter, then →)", hidden, plural(hidden))) + "\n")
		}
		if len(d.Claims) > 0 {
			b.WriteString("\n")
		}
		for _, c := range d.Claims {
			b.WriteString(wrapText(c, width-2, "  ") + "\n")
		}
	}
	if t.Legend != "" {
		b.WriteString("\n" + dimStyle.Render(wrapText(t.Legend, width-2, "  ")) + "\n")
	}
	return b.String()
}

// wrapText breaks s into lines of at most width cells at spaces, each starting with indent.
func wrapText(s string, width int, indent string) string {
	width = max(10, width-runewidth.StringWidth(indent))
	var lines []string
	line := ""
	for _, w := range strings.Fields(s) {
		if line != "" && runewidth.StringWidth(line)+1+runewidth.StringWidth(w) > width {
			lines = append(lines, indent+line)
			line = ""
		}
		if line != "" {
			line += " "
		}
		line += w
	}
	return strings.Join(append(lines, indent+line), "\n")
}

// openResults shows the reproduction's table to pick a cell; the cursor stays where it was
// when the same reproduction is opened again.
func (m Model) openResults() Model {
	d := m.detail.run
	r := &m.results
	if r.runID != d.ID {
		*r = resultsState{runID: d.ID}
	}
	r.table, r.back = m.detail.results, m.detail.back
	r.clamp()
	m.view = viewResults
	return m
}

func (r *resultsState) clamp() {
	if r.table == nil || len(r.table.Datasets) == 0 {
		return
	}
	r.set = (r.set + len(r.table.Datasets)) % len(r.table.Datasets)
	d := r.table.Datasets[r.set]
	r.row = max(0, min(r.row, len(d.Rows)-1))
	r.col = max(0, min(r.col, len(d.Tasks)-1))
}

// hasCell reports whether the data set shown has a cell to put the cursor on.
func (r *resultsState) hasCell() bool {
	if r.table == nil || r.set >= len(r.table.Datasets) {
		return false
	}
	d := r.table.Datasets[r.set]
	return len(d.Rows) > 0 && len(d.Tasks) > 0
}

// cellRuns are the IDs of the runs behind the cell under the cursor, one per seed that has one.
func (m Model) cellRuns() []string {
	r := m.results
	d := r.table.Datasets[r.set]
	var ids []string
	for _, id := range tracking.CellRuns(m.allRuns, r.runID, d, d.Rows[r.row], r.col) {
		if id != "" && !slices.Contains(ids, id) {
			ids = append(ids, id)
		}
	}
	return ids
}

func (m Model) resultsKey(k tea.KeyMsg) (tea.Model, tea.Cmd) {
	r := &m.results
	switch {
	case key.Matches(k, keys.Back):
		return m.returnToDetail(r.runID, r.back)
	case key.Matches(k, keys.Up):
		r.row--
	case key.Matches(k, keys.Down):
		r.row++
	case key.Matches(k, keys.Left):
		r.col--
	case key.Matches(k, keys.Right):
		r.col++
	case key.Matches(k, keys.Top):
		r.row = 0
	case key.Matches(k, keys.Bottom):
		r.row = len(r.table.Datasets[r.set].Rows) - 1
	case key.Matches(k, keys.NextSet):
		r.set++
	case key.Matches(k, keys.Open):
		if r.hasCell() {
			return m.openCell()
		}
	}
	r.clamp()
	return m, nil
}

// openCell opens the run behind the cell: its detail for one run, a comparison of the seeds'
// runs for several; esc comes back to the table.
func (m Model) openCell() (tea.Model, tea.Cmd) {
	ids := m.cellRuns()
	switch len(ids) {
	case 0:
		m.notice = "no run in the tracker measured this cell (not run, or run with --tracking off)"
		return m, nil
	case 1:
		return m.openDetail(ids[0])
	}
	ov := overlayState{smooth: m.cmp.ov.smooth, logY: m.cmp.ov.logY}
	m.cmp = compareState{ids: ids, ov: ov, back: viewResults}
	m = m.rebuildCompare()
	m.view = viewCompare
	return m, nil
}

func (m Model) resultsView() string {
	r := m.results
	foot := "↑/↓/←/→ cell · tab data set · enter opens its runs · esc back · ? help"
	if r.table == nil || len(r.table.Datasets) == 0 {
		return m.frame("results", dimStyle.Render("no results"), "esc back")
	}
	t := r.table
	d := t.Datasets[r.set]
	if !r.hasCell() {
		return m.frame("results · "+t.Title, dimStyle.Render("  "+resultsCaption(t, r.set)+": no rows or no tasks"), foot)
	}
	var b strings.Builder
	caption := resultsCaption(t, r.set)
	if len(t.Datasets) > 1 {
		caption += fmt.Sprintf(" · data set %d of %d (tab)", r.set+1, len(t.Datasets))
	}
	b.WriteString("  " + dimStyle.Render(caption) + "\n")
	lines, first, last := resultGrid(d, m.width, gridCursor{r.row, r.col})
	b.WriteString(strings.Join(lines, "\n") + "\n")
	if first > 0 || last < len(d.Tasks) {
		b.WriteString(dimStyle.Render(fmt.Sprintf("  tasks %d-%d of %d (←/→)", first+1, last, len(d.Tasks))) + "\n")
	}
	b.WriteString("\n" + m.cellInfo() + "\n\n")
	for _, c := range d.Claims {
		b.WriteString(wrapText(c, m.width-2, "  ") + "\n")
	}
	return m.frame(fmt.Sprintf("results · %s · run %s", t.Title, r.runID), b.String(), foot)
}

// cellInfo says what the cell under the cursor holds: its values per seed, the paper's
// number, and the runs behind it.
func (m Model) cellInfo() string {
	r := m.results
	d := r.table.Datasets[r.set]
	row := d.Rows[r.row]
	c := row.Cells[r.col]
	what := fmt.Sprintf("%s × %s: %s", row.Label, d.Tasks[r.col], resultCellText(c, false))
	if len(c.Values) > 1 {
		vals := make([]string, len(c.Values))
		for i, v := range c.Values {
			vals[i] = fmt.Sprintf("%.4f", v)
		}
		what += " (seeds: " + strings.Join(vals, ", ") + ")"
	}
	if c.Paper != nil {
		what += fmt.Sprintf(" · paper %.4f", *c.Paper)
	}
	runs := "no run in the tracker"
	if ids := m.cellRuns(); len(ids) == 1 {
		runs = "run " + ids[0] + " · enter opens it"
	} else if len(ids) > 1 {
		runs = fmt.Sprintf("runs %s · enter compares them", strings.Join(ids, " "))
	}
	if len(c.Values) == 0 {
		runs = "no value: no run to open"
	}
	return lipgloss.NewStyle().Bold(true).Render(wrapText(what, m.width-2, "  ")) + "\n" + dimStyle.Render("  "+runs)
}
