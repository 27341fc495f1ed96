package tui

import (
	"fmt"

	"github.com/byb-dev/byb/tracking"
	"github.com/mattn/go-runewidth"
)

// resultLabel is a row's label, with † for byb's own reference rows (as in the Markdown).
func resultLabel(r tracking.ResultRow) string {
	if r.Reference {
		return r.Label + " †"
	}
	return r.Label
}

// resultCellText is a cell as the table prints it: "mean ± std" over seeds (the value alone
// for one seed) with its marks, or why it is empty; compact drops the spaces around ±.
func resultCellText(c tracking.ResultCell, compact bool) string {
	switch {
	case len(c.Values) == 0 && c.Skipped != "":
		return c.Skipped
	case len(c.Values) == 0:
		return "—"
	case len(c.Values) == 1:
		return fmt.Sprintf("%.4f%s", c.Values[0], c.Marks)
	}
	mean, std := c.MeanStd()
	if compact {
		return fmt.Sprintf("%.4f±%.4f%s", mean, std, c.Marks)
	}
	return fmt.Sprintf("%.4f ± %.4f%s", mean, std, c.Marks)
}

// gridCursor is the cell drawn reversed; row < 0 draws none.
type gridCursor struct{ row, col int }

// minLabelW is the narrowest the row labels get before the tasks scroll.
const minLabelW = 16

// resultGrid draws one data set's table in width cells: the row labels, then as many task
// columns as fit, starting with the one that keeps the cursor's column in view. A whole row
// is worth more than spaces: when the tasks do not all fit, "±" loses its spaces, then the
// labels narrow to minLabelW, then the tasks scroll. It returns the lines and the range of
// tasks shown.
func resultGrid(d tracking.ResultDataset, width int, cur gridCursor) (lines []string, first, last int) {
	labelW := 0
	for _, r := range d.Rows {
		labelW = max(labelW, runewidth.StringWidth(resultLabel(r)))
	}
	avail := width - 2
	widths := func(compact bool) (colW []int, total int) {
		colW = make([]int, len(d.Tasks))
		for j, task := range d.Tasks {
			colW[j] = runewidth.StringWidth(task)
			for _, r := range d.Rows {
				colW[j] = max(colW[j], runewidth.StringWidth(resultCellText(r.Cells[j], compact)))
			}
			total += 1 + colW[j]
		}
		return colW, total
	}
	compact := false
	colW, total := widths(false)
	if min(labelW, minLabelW)+total > avail {
		compact = true
		colW, total = widths(true)
	}
	fits := func(first, last int) bool {
		w := min(labelW, minLabelW)
		for j := first; j < last; j++ {
			w += 1 + colW[j]
		}
		return w <= avail
	}
	col := max(0, min(cur.col, len(d.Tasks)-1))
	for last < len(d.Tasks) && fits(first, last+1) {
		last++
	}
	for last <= col && last < len(d.Tasks) { // scroll right until the cursor's task shows
		last++
		for first < last-1 && !fits(first, last) {
			first++
		}
	}
	last = max(last, min(first+1, len(d.Tasks))) // at least one task, clipped if it must be
	shown := 0
	for j := first; j < last; j++ {
		shown += 1 + colW[j]
	}
	labelW = max(min(labelW, minLabelW), min(labelW, avail-shown)) // the labels take what is left
	head := padCell("", labelW, false)
	for j := first; j < last; j++ {
		head += " " + padCell(d.Tasks[j], colW[j], true)
	}
	lines = append(lines, "  "+headerStyle.Render(head))
	for i, r := range d.Rows {
		line := padCell(resultLabel(r), labelW, false)
		for j := first; j < last; j++ {
			c := r.Cells[j]
			text := padCell(resultCellText(c, compact), colW[j], true)
			switch {
			case i == cur.row && j == cur.col:
				text = cursorStyle.Render(text)
			case c.Best:
				text = bestStyle.Render(text)
			case len(c.Values) == 0:
				text = dimStyle.Render(text)
			}
			line += " " + text
		}
		lines = append(lines, "  "+line)
	}
	return lines, first, last
}
