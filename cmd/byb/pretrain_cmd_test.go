package main

import (
	"strings"
	"testing"

	"github.com/byb-dev/byb/byb/engine"
)

// --devices takes a count up to the engine's devices, or all; anything else is an error that
// says what it wants.
func TestParseDevices(t *testing.T) {
	backend, _, err := engine.OpenConfig(engine.PureGo)
	if err != nil {
		t.Fatal(err)
	}
	have := backend.NumDevices()
	if n, err := parseDevices(backend, "all"); err != nil || n != have {
		t.Errorf("all: %d, %v; want %d", n, err, have)
	}
	if n, err := parseDevices(backend, "1"); err != nil || n != 1 {
		t.Errorf("1: %d, %v", n, err)
	}
	for _, bad := range []string{"0", "-2", "two"} {
		if _, err := parseDevices(backend, bad); err == nil || !strings.Contains(err.Error(), "want a number of devices (1 or more) or all") {
			t.Errorf("%s: %v", bad, err)
		}
	}
	if _, err := parseDevices(backend, "99"); err == nil || !strings.Contains(err.Error(), "--devices 99: the engine") {
		t.Errorf("99: %v", err)
	}
}
