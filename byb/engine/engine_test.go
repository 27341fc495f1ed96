package engine

import (
	"errors"
	"math"
	"math/rand"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/byb-dev/byb/internal/testenv"
	"github.com/gomlx/gomlx/pkg/core/graph"
)

func TestNormalize(t *testing.T) {
	for in, want := range map[string]string{
		"go": PureGo, "simplego": PureGo, "go:ops_sequential": PureGo, "GO": PureGo,
		"xla": "xla:cpu", "xla:cpu": "xla:cpu", "xla:cuda": "xla:cuda", "xla:/p/x.so": "xla:/p/x.so",
	} {
		got, err := Normalize(in)
		if err != nil || got != want {
			t.Errorf("Normalize(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "tpu", "torch:cpu"} {
		_, err := Normalize(bad)
		var e *Error
		if !errors.As(err, &e) || strings.Contains(err.Error(), "\n") {
			t.Errorf("Normalize(%q): want a one-line *Error, got %v", bad, err)
		}
	}
}

func TestChoosePrecedence(t *testing.T) {
	t.Setenv(EnvVar, "go")
	if cfg, _ := Choose("xla:cuda"); cfg != "xla:cuda" {
		t.Errorf("flag must win over $%s, got %s", EnvVar, cfg)
	}
	if cfg, _ := Choose(""); cfg != PureGo {
		t.Errorf("$%s must win over the default, got %s", EnvVar, cfg)
	}
	t.Setenv(EnvVar, "nonsense")
	if _, err := Choose(""); err == nil || !strings.Contains(err.Error(), EnvVar) {
		t.Errorf("a bad $%s must be reported as such, got %v", EnvVar, err)
	}
}

func TestMissingPluginIsOneClearLine(t *testing.T) {
	t.Setenv("PJRT_PLUGIN_LIBRARY_PATH", t.TempDir()) // an empty directory: no plugin
	if DefaultConfig() != PureGo {
		t.Fatalf("without a plugin the default must be %s, got %s", PureGo, DefaultConfig())
	}
	_, _, err := OpenConfig("xla:cpu")
	if err == nil || strings.Contains(err.Error(), "\n") || !strings.Contains(err.Error(), "just setup") {
		t.Fatalf("want one line telling what to install, got %v", err)
	}
	_, _, err = Open("xla:/no/such/plugin.so")
	if err == nil || !strings.Contains(err.Error(), "/no/such/plugin.so") {
		t.Fatalf("want the bad path named, got %v", err)
	}
	// A file that is not a plugin fails to load with one line, not a panic or a download.
	bogus := filepath.Join(t.TempDir(), "pjrt_c_api_cpu_plugin.so")
	os.WriteFile(bogus, []byte("not a shared library"), 0o644)
	_, _, err = OpenConfig("xla:" + bogus)
	if err == nil || strings.Contains(err.Error(), "\n") {
		t.Fatalf("want a one-line load error, got %v", err)
	}
}

// TestEnginesAgree runs the same small graph (matmul, softmax, reductions, gather) on both
// engines and compares the numbers.
func TestEnginesAgree(t *testing.T) {
	testenv.Require(t, XLACPUPluginPath() != "", "the XLA CPU plugin (to compare the pure-Go engine with)",
		"`just setup` (links pjrt_c_api_cpu_plugin.so into ~/.local/lib/go-xla)")
	goB, _, err := OpenConfig(PureGo)
	if err != nil {
		t.Fatal(err)
	}
	xlaB, info, err := OpenConfig("xla:cpu")
	if err != nil {
		t.Fatal(err)
	}
	if info.Plugin == "" || info.Version == "" {
		t.Errorf("engine info incomplete: %+v", info)
	}
	rng := rand.New(rand.NewSource(1))
	x := make([][]float32, 16)
	w := make([][]float32, 32)
	for i := range x {
		x[i] = make([]float32, 32)
		for j := range x[i] {
			x[i][j] = float32(rng.NormFloat64())
		}
	}
	for i := range w {
		w[i] = make([]float32, 8)
		for j := range w[i] {
			w[i][j] = float32(rng.NormFloat64()) / 4
		}
	}
	fn := func(x, w *graph.Node) *graph.Node {
		h := graph.Tanh(graph.MatMul(x, w))
		p := graph.Softmax(h, -1)
		idx := graph.Const(x.Graph(), [][]int32{{3}, {0}, {7}})
		picked := graph.Gather(graph.Transpose(p, 0, 1), idx) // rows 3, 0, 7 of p^T
		return graph.Concatenate([]*graph.Node{graph.ReduceSum(p, 0), graph.ReduceMax(h, 0), graph.Reshape(picked, -1)}, 0)
	}
	a := graph.MustExecOnce(goB, fn, x, w).Value().([]float32)
	b := graph.MustExecOnce(xlaB, fn, x, w).Value().([]float32)
	if len(a) != len(b) {
		t.Fatalf("shapes differ: %d vs %d", len(a), len(b))
	}
	maxDiff := 0.0
	for i := range a {
		maxDiff = math.Max(maxDiff, math.Abs(float64(a[i]-b[i])))
	}
	t.Logf("pure Go vs XLA CPU: max |diff| = %.3g over %d outputs", maxDiff, len(a))
	if maxDiff > 1e-5 {
		t.Fatalf("engines disagree: max |diff| = %g", maxDiff)
	}
}
