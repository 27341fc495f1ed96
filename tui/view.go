package tui

import (
	"strings"

	"github.com/charmbracelet/lipgloss"
)

// View renders the current view; the help screen covers any of them.
func (m Model) View() string {
	if m.help {
		return lipgloss.NewStyle().MaxWidth(m.width).MaxHeight(m.height).Render(helpText())
	}
	switch m.view {
	case viewRuns:
		return m.runsView()
	case viewDetail:
		return m.detailView()
	case viewCompare:
		return m.compareView()
	case viewAblation:
		return m.ablationView()
	case viewSweep:
		return m.sweepView()
	case viewResults:
		return m.resultsView()
	}
	return m.experimentsView()
}

// frame puts a title line above body and a footer line (notice or error first) below it,
// clipping every line to the terminal width so nothing wraps.
func (m Model) frame(title, body, foot string) string {
	if m.err != nil {
		foot = errorStyle.Render("error: " + m.err.Error())
	} else if m.notice != "" {
		foot = selectedStyle.Render(m.notice)
	} else {
		foot = dimStyle.Render(padCell(foot, m.width, false))
	}
	head := titleStyle.Render(padCell("byb · "+title, m.width, false))
	lines := strings.Split(strings.TrimRight(body, "\n"), "\n")
	if max := m.height - 2; len(lines) > max && max > 0 {
		lines = lines[:max]
	}
	for len(lines) < m.height-2 {
		lines = append(lines, "")
	}
	out := head + "\n" + strings.Join(lines, "\n") + "\n" + foot
	return lipgloss.NewStyle().MaxWidth(m.width).Render(out)
}
