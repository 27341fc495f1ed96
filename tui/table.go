package tui

import (
	"math"
	"strconv"
	"strings"

	"github.com/charmbracelet/lipgloss"
	"github.com/mattn/go-runewidth"
)

// column is one column of a table view. Columns with a higher prio number are dropped first
// when the terminal is too narrow, so that 80 columns always show the essentials.
type column struct {
	title string
	width int
	prio  int
	right bool
	fit   int // > 0: the column widens to its widest cell, up to fit cells (fitContent)
}

// fitContent widens the columns that fit their content (every column, without a cap, in wide
// mode) to their widest cell, and the title with its sort arrow: values that differ only at
// the end, such as "Unbind-30d" and "Unbind-90d", must not both read "Unbind-…".
func fitContent(cols []column, rows [][]string, wide bool) {
	for i := range cols {
		limit := cols[i].fit
		if wide {
			limit = math.MaxInt
		}
		if limit <= 0 {
			continue
		}
		w := runewidth.StringWidth(cols[i].title) + 1
		for _, r := range rows {
			w = max(w, runewidth.StringWidth(r[i]))
		}
		cols[i].width = max(cols[i].width, min(w, limit))
	}
}

// fitColumns returns the indices of the columns that fit in width, in display order. It
// drops one column at a time, the highest prio first and, among equals, the rightmost, so
// that a wide column costs only the columns needed to make room for it; prio 0 stays.
func fitColumns(cols []column, width int) []int {
	keep := make([]bool, len(cols))
	total := -1
	for i, c := range cols {
		keep[i] = true
		total += c.width + 1
	}
	for total > width {
		drop := -1
		for i, c := range cols {
			if keep[i] && c.prio > 0 && (drop < 0 || c.prio >= cols[drop].prio) {
				drop = i
			}
		}
		if drop < 0 {
			break
		}
		keep[drop] = false
		total -= cols[drop].width + 1
	}
	var idx []int
	for i := range cols {
		if keep[i] {
			idx = append(idx, i)
		}
	}
	return idx
}

// padCell clips s to w terminal cells and pads it.
func padCell(s string, w int, right bool) string {
	s = runewidth.Truncate(s, w, "…")
	gap := strings.Repeat(" ", max(0, w-runewidth.StringWidth(s)))
	if right {
		return gap + s
	}
	return s + gap
}

// tableView renders rows[offset:offset+height] of a table. style, when not nil, colours a
// cell; the cursor row is drawn in reverse video without cell colours (nested ANSI styles
// would cut the reverse band short).
type tableView struct {
	cols    []column
	rows    [][]string
	style   func(row, col int) (lipgloss.Style, bool)
	mark    func(row int) bool // selected rows
	cursor  int
	offset  int
	height  int
	width   int
	sortCol int // -1: none
	desc    bool
	// hideCursor draws no cursor row: a table shown for reading inside another view.
	hideCursor bool
}

func (t *tableView) clampOffset() {
	if t.cursor >= len(t.rows) {
		t.cursor = len(t.rows) - 1
	}
	if t.cursor < 0 {
		t.cursor = 0
	}
	if t.height < 1 {
		t.height = 1
	}
	if t.cursor < t.offset {
		t.offset = t.cursor
	}
	if t.cursor >= t.offset+t.height {
		t.offset = t.cursor - t.height + 1
	}
	if t.offset > max(0, len(t.rows)-t.height) {
		t.offset = max(0, len(t.rows)-t.height)
	}
	if t.offset < 0 {
		t.offset = 0
	}
}

func (t *tableView) move(d int) {
	t.cursor += d
	t.clampOffset()
}

func (t *tableView) render() string {
	t.clampOffset()
	idx := fitColumns(t.cols, t.width-2)
	var b strings.Builder
	var head []string
	for _, i := range idx {
		title := t.cols[i].title
		if i == t.sortCol {
			if t.desc {
				title += "▼"
			} else {
				title += "▲"
			}
		}
		head = append(head, padCell(title, t.cols[i].width, t.cols[i].right))
	}
	b.WriteString("  " + headerStyle.Render(strings.Join(head, " ")) + "\n")
	end := min(len(t.rows), t.offset+t.height)
	for r := t.offset; r < end; r++ {
		var cells []string
		for _, i := range idx {
			cell := padCell(t.rows[r][i], t.cols[i].width, t.cols[i].right)
			if (r != t.cursor || t.hideCursor) && t.style != nil {
				if st, ok := t.style(r, i); ok {
					cell = st.Render(cell)
				}
			}
			cells = append(cells, cell)
		}
		prefix := "  "
		if t.mark != nil && t.mark(r) {
			prefix = selectedStyle.Render("● ")
		}
		line := strings.Join(cells, " ")
		if r == t.cursor && !t.hideCursor {
			line = cursorStyle.Render(line)
		}
		b.WriteString(prefix + line + "\n")
	}
	for r := end; r < t.offset+t.height; r++ {
		b.WriteString("\n")
	}
	return b.String()
}

// headerLines is how many lines render draws above the rows (the column titles).
const headerLines = 1

// rowAt is the row drawn on line y of the table's rendering (0 = the header line), for mouse
// clicks; false when y is the header or below the last row.
func (t *tableView) rowAt(y int) (int, bool) {
	r := t.offset + y - headerLines
	if y < headerLines || y-headerLines >= t.height || r >= len(t.rows) {
		return 0, false
	}
	return r, true
}

// scrollInfo says where the visible rows are, e.g. "41-60 of 1000".
func (t *tableView) scrollInfo() string {
	if len(t.rows) == 0 {
		return "0 rows"
	}
	end := min(len(t.rows), t.offset+t.height)
	return itoa(t.offset+1) + "-" + itoa(end) + " of " + itoa(len(t.rows))
}

func itoa(i int) string { return strconv.Itoa(i) }

func itoa64(i int64) string { return strconv.FormatInt(i, 10) }
