package encoder_test

import (
	"testing"

	"github.com/byb-dev/byb/byb/engine"
	"github.com/gomlx/gomlx/backends"
)

type engineCase struct {
	name    string
	backend backends.Backend
}

// engines returns the pure-Go engine and, when its plugin is installed, XLA CPU.
func engines(t *testing.T) []engineCase {
	t.Helper()
	goB, _, err := engine.OpenConfig(engine.PureGo)
	if err != nil {
		t.Fatal(err)
	}
	out := []engineCase{{"go", goB}}
	if engine.XLACPUPluginPath() == "" {
		t.Log("XLA CPU plugin not installed: testing the pure-Go engine only")
		return out
	}
	xB, _, err := engine.OpenConfig("xla:cpu")
	if err != nil {
		t.Fatal(err)
	}
	return append(out, engineCase{"xla", xB})
}
