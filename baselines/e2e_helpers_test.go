package baselines_test

import (
	"path/filepath"
	"testing"

	"github.com/byb-dev/byb/byb/data/synth"
	"github.com/byb-dev/byb/byb/embedio"
	"github.com/byb-dev/byb/byb/engine"
	"github.com/byb-dev/byb/byb/pipeline"
	"github.com/byb-dev/byb/internal/testenv"
	"github.com/gomlx/gomlx/backends"
)

// Helpers shared by the baselines' end-to-end tests (the unit tests' helpers, which some of
// them use too, are in helpers_test.go).

// xlaCPU opens the XLA CPU engine, or skips the test where its plugin is missing: the pure-Go
// engine is too slow for an end-to-end test.
func xlaCPU(t *testing.T) (backends.Backend, engine.Info) {
	t.Helper()
	testenv.Require(t, engine.XLACPUPluginPath() != "", "the XLA CPU plugin (the pure-Go engine is too slow for this end-to-end test)",
		"`just setup` (links pjrt_c_api_cpu_plugin.so into ~/.local/lib/go-xla)")
	b, info, err := engine.OpenConfig("xla:cpu")
	if err != nil {
		t.Fatal(err)
	}
	return b, info
}

// ciData generates the ci-size synthetic dataset of a preset in a temporary directory and
// returns that directory.
func ciData(t *testing.T, preset string) string {
	t.Helper()
	cfg, err := synth.NewConfig(preset, "ci", 1)
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), preset+"-ci")
	if _, err := synth.Generate(cfg, dir, nil); err != nil {
		t.Fatal(err)
	}
	return dir
}

// embed exports the embeddings of the pretrained run runDir for dataDir's users, as
// `byb embed` does, and reads the file back.
func embed(t *testing.T, backend backends.Backend, runDir, dataDir string) (res *pipeline.EmbedResult, users []string, rows []float32, dim int) {
	t.Helper()
	out := filepath.Join(t.TempDir(), "e.csv")
	res, err := pipeline.Embed(pipeline.EmbedOptions{Model: runDir, Data: dataDir, Out: out, Backend: backend})
	if err != nil {
		t.Fatal(err)
	}
	users, rows, dim, err = embedio.Read(out)
	if err != nil {
		t.Fatal(err)
	}
	return res, users, rows, dim
}

func mean(xs []float64) float64 {
	s := 0.0
	for _, x := range xs {
		s += x
	}
	return s / float64(len(xs))
}
