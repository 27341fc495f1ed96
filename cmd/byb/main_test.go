package main

import (
	"os"
	"testing"
)

// asBybVar makes the test binary act as byb itself: `byb sweep` runs its points as
// subprocesses of os.Executable(), which under `go test` is this binary. A test that sweeps
// sets it (t.Setenv), and the points it starts inherit it and run byb's main.
const asBybVar = "BYB_TEST_AS_BYB"

func TestMain(m *testing.M) {
	if os.Getenv(asBybVar) == "1" {
		main() // exits
	}
	os.Exit(m.Run())
}
