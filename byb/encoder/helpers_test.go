package encoder_test

import (
	"testing"

	"github.com/byb-dev/byb/byb/engine"
	"github.com/byb-dev/byb/internal/testenv"
	"github.com/gomlx/gomlx/backends"
)

type engineCase struct {
	name    string
	backend backends.Backend
}

// engines returns the pure-Go engine and, when its plugin is installed, XLA CPU (under
// BYB_CI=1 a missing plugin fails the test).
func engines(t *testing.T) []engineCase {
	t.Helper()
	goB, _, err := engine.OpenConfig(engine.PureGo)
	if err != nil {
		t.Fatal(err)
	}
	out := []engineCase{{"go", goB}}
	if !testenv.Have(t, engine.XLACPUPluginPath() != "", "the XLA CPU plugin (to run these tests on XLA too)",
		"`just setup` (links pjrt_c_api_cpu_plugin.so into ~/.local/lib/go-xla)") {
		return out
	}
	xB, _, err := engine.OpenConfig("xla:cpu")
	if err != nil {
		t.Fatal(err)
	}
	return append(out, engineCase{"xla", xB})
}
