package tui

import (
	"reflect"

	"github.com/charmbracelet/bubbles/key"
)

// allBindings lists every binding of keys (for the help test), read from keyMap's fields so
// that a new key cannot be missed.
func allBindings() []key.Binding {
	v := reflect.ValueOf(keys)
	out := make([]key.Binding, v.NumField())
	for i := range out {
		out[i] = v.Field(i).Interface().(key.Binding)
	}
	return out
}
