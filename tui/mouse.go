package tui

import tea "github.com/charmbracelet/bubbletea"

// wheelStep is how many rows (or lines) one turn of the mouse wheel scrolls.
const wheelStep = 3

// titleLines is how many lines frame draws above a view's body.
const titleLines = 1

// handleMouse: the wheel scrolls the list or the detail view, a left click moves the cursor
// to the row clicked, and a click on the row already under the cursor opens it, as enter
// would (no double-click timing to guess).
func (m Model) handleMouse(msg tea.MouseMsg) (tea.Model, tea.Cmd) {
	if m.help || m.runs.filtering || m.detail.prompt.kind != promptNone {
		return m, nil
	}
	enter := tea.KeyMsg{Type: tea.KeyEnter}
	switch m.view {
	case viewExperiments:
		if m.expTable.mouse(msg, titleLines) {
			return m.experimentsKey(enter)
		}
	case viewRuns:
		if m.runs.table.mouse(msg, titleLines) {
			return m.runsKey(enter)
		}
	case viewSweep:
		if m.sweep.table.mouse(msg, titleLines+1) { // below the caption
			return m.sweepKey(enter)
		}
	case viewDetail:
		switch msg.Button {
		case tea.MouseButtonWheelUp:
			m.detail.vp.ScrollUp(wheelStep)
		case tea.MouseButtonWheelDown:
			m.detail.vp.ScrollDown(wheelStep)
		}
	}
	return m, nil
}

// mouse applies a wheel turn or a left click to a table whose rendering starts on screen
// line top, and reports a click on the row already under the cursor (open it).
func (t *tableView) mouse(msg tea.MouseMsg, top int) (open bool) {
	switch msg.Button {
	case tea.MouseButtonWheelUp:
		t.move(-wheelStep)
	case tea.MouseButtonWheelDown:
		t.move(wheelStep)
	case tea.MouseButtonLeft:
		if msg.Action != tea.MouseActionPress {
			return false // the release (or a drag) of the same click
		}
		row, ok := t.rowAt(msg.Y - top)
		if !ok {
			return false
		}
		if row == t.cursor {
			return true
		}
		t.cursor = row
		t.clampOffset()
	}
	return false
}
