package experiments

import (
	"os"
	"testing"

	"github.com/byb-dev/byb/byb/bench"
	"github.com/byb-dev/byb/methods"
)

// TestMain lets table3's measurements run in fresh processes of the test binary, as they do
// in fresh processes of byb.
func TestMain(m *testing.M) {
	bench.ServeIsolated(methods.Lookup)
	os.Exit(m.Run())
}
