package tui

import "github.com/charmbracelet/bubbles/key"

// allBindings lists keys' bindings (for the help test).
func allBindings() []key.Binding {
	return []key.Binding{keys.Help, keys.Quit, keys.Back, keys.Up, keys.Down, keys.PageUp, keys.PageDown, keys.Top,
		keys.Bottom, keys.Open, keys.Filter, keys.SortNext, keys.SortPrev, keys.Reverse, keys.Metric, keys.Select,
		keys.Compare, keys.Ablation, keys.Reload, keys.Left, keys.Right, keys.Baseline}
}
