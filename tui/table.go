package tui

import (
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
}

// fitColumns returns the indices of the columns that fit in width, in display order.
func fitColumns(cols []column, width int) []int {
	maxPrio := 0
	for _, c := range cols {
		maxPrio = max(maxPrio, c.prio)
	}
	for limit := maxPrio; limit >= 0; limit-- {
		var idx []int
		total := 0
		for i, c := range cols {
			if c.prio <= limit {
				idx = append(idx, i)
				total += c.width + 1
			}
		}
		if total-1 <= width || limit == 0 {
			return idx
		}
	}
	return nil
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
			if r != t.cursor && t.style != nil {
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
		if r == t.cursor {
			line = cursorStyle.Render(line)
		}
		b.WriteString(prefix + line + "\n")
	}
	for r := end; r < t.offset+t.height; r++ {
		b.WriteString("\n")
	}
	return b.String()
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
