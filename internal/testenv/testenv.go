// Package testenv decides what a test does when something it needs from outside Go is
// missing: the XLA CPU plugin, Python with scikit-learn/numpy/pandas/pyarrow, tmux, or the
// Online Retail file in ../shared.
//
// On a developer's machine a missing tool skips the test (or, with Have, leaves out the part
// that needs it), so a fresh clone's `go test` stays green. Under BYB_CI=1, which .ci/run
// exports, the same absence fails the test instead, saying what to install: a CI machine
// whose setup broke cannot pass by skipping.
//
// BYB_CI=1 also overrides -short: SkipShort runs the test anyway, since CI means every test.
//
// It lives in the top-level internal/ (not byb/internal/) so that tui and tracking, which sit
// outside byb/, may import it too.
package testenv

import (
	"os"
	"strconv"
	"strings"
	"testing"
)

// Var is the environment variable that makes missing tools fail tests.
const Var = "BYB_CI"

// SeedVar is the environment variable that overrides a test's fixed random seed (see Seed).
const SeedVar = "BYB_TEST_SEED"

// Strict reports whether BYB_CI=1: missing tools fail tests instead of skipping them.
func Strict() bool { return os.Getenv(Var) == "1" }

// Require skips t when available is false, or fails it under BYB_CI=1. what names the missing
// thing (it may carry the error that showed it missing); howToInstall tells how to get it.
func Require(t testing.TB, available bool, what, howToInstall string) {
	t.Helper()
	if available {
		return
	}
	if Strict() {
		t.Fatalf("%s is required under %s=1 but missing; to install it: %s", what, Var, howToInstall)
		return
	}
	t.Skipf("skipping: %s is missing (to install it: %s; under %s=1 this fails)", what, howToInstall, Var)
}

// Have is Require for a test that still has something to check without the tool: it returns
// available, logging what is left out when false; under BYB_CI=1 a missing tool fails t.
func Have(t testing.TB, available bool, what, howToInstall string) bool {
	t.Helper()
	if available {
		return true
	}
	if Strict() {
		t.Fatalf("%s is required under %s=1 but missing; to install it: %s", what, Var, howToInstall)
		return false
	}
	t.Logf("%s is missing: leaving out what needs it (to install it: %s; under %s=1 this fails)", what, howToInstall, Var)
	return false
}

// SkipShort skips t under -short, except under BYB_CI=1, where the test runs: CI hides
// nothing, not even behind a flag it does not pass.
func SkipShort(t testing.TB, why string) {
	t.Helper()
	if !testing.Short() {
		return
	}
	if Strict() {
		t.Logf("-short ignored under %s=1: running (%s)", Var, why)
		return
	}
	t.Skipf("skipping in -short mode: %s", why)
}

// LastLine is the last non-empty line of a command's output (a Python traceback's error), to
// name what is missing in one line.
func LastLine(out []byte) string {
	s := strings.TrimSpace(string(out))
	if i := strings.LastIndexByte(s, '\n'); i >= 0 {
		s = strings.TrimSpace(s[i+1:])
	}
	return s
}

// Seed returns the seed a randomized test draws from: def, or BYB_TEST_SEED when set (to try
// other data). It logs the seed, so a failure names what reproduces it; put it in failure
// messages too.
func Seed(t testing.TB, def uint64) uint64 {
	t.Helper()
	seed := def
	if s := os.Getenv(SeedVar); s != "" {
		v, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			t.Fatalf("%s=%q: not an unsigned integer: %v", SeedVar, s, err)
			return def
		}
		seed = v
	}
	t.Logf("seed %d (rerun with %s=%d)", seed, SeedVar, seed)
	return seed
}
