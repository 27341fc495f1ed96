package tui

import (
	"strings"

	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/lipgloss"
)

// keyMap is every key the TUI understands; the help screen is generated from it, so a key
// cannot exist without being listed there.
type keyMap struct {
	Help, Quit, Back                        key.Binding
	Up, Down, PageUp, PageDown, Top, Bottom key.Binding
	Open, Filter, SortNext, SortPrev        key.Binding
	Reverse, Metric, Select, Compare        key.Binding
	Ablation, Reload, Left, Right, Baseline key.Binding
	AddColumn, DropColumn, Wide, Hidden     key.Binding
	Overlay, Smooth, LogY, Tag, Note        key.Binding
	Children, NextSet                       key.Binding
}

var keys = keyMap{
	Help:       key.NewBinding(key.WithKeys("?"), key.WithHelp("?", "show / hide this help")),
	Quit:       key.NewBinding(key.WithKeys("q", "ctrl+c"), key.WithHelp("q/ctrl+c", "quit")),
	Back:       key.NewBinding(key.WithKeys("esc", "backspace"), key.WithHelp("esc", "back to the previous view")),
	Up:         key.NewBinding(key.WithKeys("up", "k"), key.WithHelp("↑/k", "move up")),
	Down:       key.NewBinding(key.WithKeys("down", "j"), key.WithHelp("↓/j", "move down")),
	PageUp:     key.NewBinding(key.WithKeys("pgup", "ctrl+u"), key.WithHelp("pgup", "page up")),
	PageDown:   key.NewBinding(key.WithKeys("pgdown", "ctrl+d"), key.WithHelp("pgdn", "page down")),
	Top:        key.NewBinding(key.WithKeys("home", "g"), key.WithHelp("g/home", "first row")),
	Bottom:     key.NewBinding(key.WithKeys("end", "G"), key.WithHelp("G/end", "last row")),
	Open:       key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "open; in a run: its children")),
	Filter:     key.NewBinding(key.WithKeys("/"), key.WithHelp("/", "filter as you type")),
	SortNext:   key.NewBinding(key.WithKeys("s"), key.WithHelp("s", "sort by next column")),
	SortPrev:   key.NewBinding(key.WithKeys("S"), key.WithHelp("S", "sort by previous column")),
	Reverse:    key.NewBinding(key.WithKeys("r"), key.WithHelp("r", "reverse sort order")),
	Metric:     key.NewBinding(key.WithKeys("m"), key.WithHelp("m", "next metric")),
	Select:     key.NewBinding(key.WithKeys(" "), key.WithHelp("space", "select run for compare")),
	Compare:    key.NewBinding(key.WithKeys("c"), key.WithHelp("c", "compare selected runs")),
	Ablation:   key.NewBinding(key.WithKeys("a"), key.WithHelp("a", "ablation: group by a param")),
	AddColumn:  key.NewBinding(key.WithKeys("p"), key.WithHelp("p", "add a varying param column")),
	DropColumn: key.NewBinding(key.WithKeys("P"), key.WithHelp("P", "remove the last param column")),
	Wide:       key.NewBinding(key.WithKeys("w"), key.WithHelp("w", "wide: columns fit content")),
	Hidden:     key.NewBinding(key.WithKeys("H"), key.WithHelp("H", "show / hide failed & data runs")),
	Reload:     key.NewBinding(key.WithKeys("R", "ctrl+r"), key.WithHelp("R", "reload now")),
	Left:       key.NewBinding(key.WithKeys("left", "h"), key.WithHelp("←/h", "prev chart/param/columns")),
	Right:      key.NewBinding(key.WithKeys("right", "l"), key.WithHelp("→/l", "next chart/param/columns")),
	Tag:        key.NewBinding(key.WithKeys("t"), key.WithHelp("t", "tag the run: key=value")),
	Note:       key.NewBinding(key.WithKeys("n"), key.WithHelp("n", "write a note on the run")),
	Baseline:   key.NewBinding(key.WithKeys("b"), key.WithHelp("b", "next baseline")),
	Overlay:    key.NewBinding(key.WithKeys("o"), key.WithHelp("o", "overlaid curves / table")),
	Smooth:     key.NewBinding(key.WithKeys("e"), key.WithHelp("e", "curves: EMA 0 / 0.6 / 0.9")),
	LogY:       key.NewBinding(key.WithKeys("y"), key.WithHelp("y", "curves: log scale on y")),
	Children:   key.NewBinding(key.WithKeys("C"), key.WithHelp("C", "list the run's children")),
	NextSet:    key.NewBinding(key.WithKeys("tab"), key.WithHelp("tab", "results: next data set")),
}

// helpGroups is the help screen's layout: two columns of groups, so that every key fits 80×24.
func helpGroups() (left, right []helpGroup) {
	left = []helpGroup{
		{"everywhere", []key.Binding{keys.Help, keys.Quit, keys.Back, keys.Reload}},
		{"lists", []key.Binding{keys.Up, keys.Down, keys.PageUp, keys.PageDown, keys.Top, keys.Bottom, keys.Open}},
		{"run detail, a reproduction's results", []key.Binding{keys.Tag, keys.Note, keys.Children, keys.NextSet}},
	}
	right = []helpGroup{
		{"runs table", []key.Binding{keys.Filter, keys.SortNext, keys.SortPrev, keys.Reverse, keys.Metric, keys.Select,
			keys.Compare, keys.Ablation, keys.AddColumn, keys.DropColumn, keys.Wide, keys.Hidden}},
		{"detail, compare, ablation", []key.Binding{keys.Left, keys.Right, keys.Baseline, keys.Overlay, keys.Smooth, keys.LogY}},
	}
	return left, right
}

type helpGroup struct {
	title string
	b     []key.Binding
}

// helpText lists every binding of keys, in two columns so that it fits 80×24.
func helpText() string {
	render := func(gs []helpGroup) string {
		var b strings.Builder
		for i, g := range gs {
			if i > 0 {
				b.WriteString("\n")
			}
			b.WriteString(headerStyle.Render(g.title) + "\n")
			for _, k := range g.b {
				h := k.Help()
				b.WriteString(keyStyle.Render(padCell(h.Key, 8, false)) + " " + padCell(h.Desc, 30, false) + "\n")
			}
		}
		return strings.TrimRight(b.String(), "\n")
	}
	left, right := helpGroups()
	return titleStyle.Render("byb tui — keys") + "\n\n" +
		lipgloss.JoinHorizontal(lipgloss.Top, render(left), "  ", render(right)) + "\n" +
		dimStyle.Render("mouse: wheel scrolls · click picks a row, again opens it · ? or esc closes")
}
