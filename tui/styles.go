package tui

import (
	"github.com/byb-dev/byb/tracking"
	"github.com/charmbracelet/lipgloss"
)

// Styles. Colours are ANSI 16 so that they follow the user's terminal theme; lipgloss drops
// them on terminals without colour.
var (
	titleStyle    = lipgloss.NewStyle().Bold(true)
	dimStyle      = lipgloss.NewStyle().Faint(true)
	headerStyle   = lipgloss.NewStyle().Bold(true).Underline(true)
	cursorStyle   = lipgloss.NewStyle().Reverse(true)
	selectedStyle = lipgloss.NewStyle().Foreground(lipgloss.Color("5")).Bold(true)
	errorStyle    = lipgloss.NewStyle().Foreground(lipgloss.Color("1")).Bold(true)
	bestStyle     = lipgloss.NewStyle().Bold(true)
	betterStyle   = lipgloss.NewStyle().Foreground(lipgloss.Color("2"))
	worseStyle    = lipgloss.NewStyle().Foreground(lipgloss.Color("1"))
	keyStyle      = lipgloss.NewStyle().Foreground(lipgloss.Color("6")).Bold(true)

	statusStyles = map[string]lipgloss.Style{
		tracking.StatusRunning:  lipgloss.NewStyle().Foreground(lipgloss.Color("4")).Bold(true),
		tracking.StatusFinished: lipgloss.NewStyle().Foreground(lipgloss.Color("2")),
		tracking.StatusFailed:   lipgloss.NewStyle().Foreground(lipgloss.Color("1")),
		tracking.StatusKilled:   lipgloss.NewStyle().Foreground(lipgloss.Color("3")),
	}
)

func statusStyle(s string) lipgloss.Style {
	if st, ok := statusStyles[s]; ok {
		return st
	}
	return lipgloss.NewStyle()
}
