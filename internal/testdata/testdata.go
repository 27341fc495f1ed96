// Package testdata makes the data sets the tests run on: byb's own synthetic generator at the
// ci scale, written to a test's temporary directory. It lives in the top-level internal/ so
// that the tests of cmd, experiments and byb's packages share it.
package testdata

import (
	"path/filepath"
	"testing"

	"github.com/byb-dev/byb/byb/data/synth"
)

// CITmall generates the ci-scale tmall-like data set (1,000 users, data seed 1; under a
// second) into a temporary directory of t and returns it.
func CITmall(t testing.TB) string {
	t.Helper()
	cfg, err := synth.NewConfig(synth.TmallLike, synth.ScaleCI, 1)
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "tmall-ci")
	if _, err := synth.Generate(cfg, dir, nil); err != nil {
		t.Fatal(err)
	}
	return dir
}
