package tui

import tea "github.com/charmbracelet/bubbletea"

// editLine applies an editing key to a one-line input: typed text is appended, backspace
// deletes the last character. ok is false for keys that do not edit (enter, esc, arrows),
// which the caller interprets.
func editLine(s string, k tea.KeyMsg) (string, bool) {
	switch k.Type {
	case tea.KeyBackspace:
		if r := []rune(s); len(r) > 0 {
			return string(r[:len(r)-1]), true
		}
		return s, true
	case tea.KeyRunes, tea.KeySpace:
		return s + string(k.Runes), true
	}
	return s, false
}
