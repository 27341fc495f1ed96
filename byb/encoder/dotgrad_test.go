package encoder

// Internal tests (package encoder, not encoder_test): they use GoMLX's stock gradients, which
// dotgrad.go keeps unexported, and the install policy's helpers.

import (
	"errors"
	"math"
	"math/rand/v2"
	"os"
	"reflect"
	"regexp"
	"runtime/debug"
	"strings"
	"testing"

	"github.com/byb-dev/byb/byb/engine"
	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/backends/simplego"
	"github.com/gomlx/gomlx/pkg/core/dtypes"
	. "github.com/gomlx/gomlx/pkg/core/graph" //nolint:revive
	"github.com/gomlx/gomlx/pkg/core/shapes"
	"github.com/gomlx/gomlx/pkg/core/tensors"
)

// withStockDotVJPs runs f with GoMLX's own DotGeneral and Dot gradients registered, and puts
// back whatever was registered before. The registry is a plain map: tests in this package do
// not run in parallel, so nothing else reads it meanwhile.
func withStockDotVJPs(f func()) {
	dg, d := VJPRegistration[NodeTypeDotGeneral], VJPRegistration[NodeTypeDot]
	defer func() { VJPRegistration[NodeTypeDotGeneral], VJPRegistration[NodeTypeDot] = dg, d }()
	VJPRegistration[NodeTypeDotGeneral], VJPRegistration[NodeTypeDot] = stockDotGeneralVJP, stockDotVJP
	f()
}

type gradEngine struct {
	name    string
	backend backends.Backend
}

// gradEngines is the pure-Go engine and, when its plugin is installed, XLA CPU (as the
// encoder_test package's engines, which this package cannot see).
func gradEngines(t *testing.T) []gradEngine {
	t.Helper()
	goB, _, err := engine.OpenConfig(engine.PureGo)
	if err != nil {
		t.Fatal(err)
	}
	out := []gradEngine{{"go", goB}}
	if engine.XLACPUPluginPath() == "" {
		t.Log("XLA CPU plugin not installed: testing the pure-Go engine only")
		return out
	}
	xB, _, err := engine.OpenConfig("xla:cpu")
	if err != nil {
		t.Fatal(err)
	}
	return append(out, gradEngine{"xla", xB})
}

type productCase struct {
	name     string
	lhs, rhs []int
	op       func(a, b *Node) *Node
}

func dotGeneralCase(name string, lhs, rhs, lc, lb, rc, rb []int) productCase {
	return productCase{name, lhs, rhs, func(a, b *Node) *Node { return DotGeneral(a, lc, lb, b, rc, rb) }}
}

func dotCase(name string, lhs, rhs []int) productCase {
	return productCase{name, lhs, rhs, Dot}
}

// TestDotGeneralVJP: the replacement DotGeneral and Dot gradients equal GoMLX's own (stock)
// gradients and central finite differences (float64), on the contraction patterns byb uses
// (dense layers, the two attention products, one-hot pooling) and on layouts that exercise
// the axis bookkeeping (contracting axes first or several and permuted, batch axes not
// leading or interleaved, all four axis lists different).
func TestDotGeneralVJP(t *testing.T) {
	if err := InstallDotGeneralVJP(); err != nil {
		t.Fatal(err)
	}
	cases := []productCase{
		dotGeneralCase("matmul", []int{3, 4}, []int{4, 5}, []int{1}, nil, []int{0}, nil),
		dotGeneralCase("matmul_contracting_first", []int{4, 3}, []int{4, 5}, []int{0}, nil, []int{0}, nil),
		dotGeneralCase("dense_rank3", []int{2, 3, 4}, []int{4, 5}, []int{2}, nil, []int{0}, nil),
		// [B,h,Lq,dh]·[B,h,Lk,dh] over dh (Lq ≠ Lk so swapped axes show up).
		dotGeneralCase("attention_scores", []int{2, 3, 4, 5}, []int{2, 3, 6, 5}, []int{3}, []int{0, 1}, []int{3}, []int{0, 1}),
		// [B,h,Lq,Lk]·[B,h,Lk,dh] over Lk.
		dotGeneralCase("attention_context", []int{2, 3, 4, 6}, []int{2, 3, 6, 5}, []int{3}, []int{0, 1}, []int{2}, []int{0, 1}),
		dotGeneralCase("interleaved_batch", []int{2, 3, 2, 4}, []int{2, 3, 2, 4}, []int{3}, []int{0, 2}, []int{3}, []int{0, 2}),
		dotGeneralCase("pool_onehot", []int{2, 5, 3}, []int{2, 5, 4}, []int{1}, []int{0}, []int{1}, []int{0}),
		dotGeneralCase("two_contractions_permuted", []int{3, 2, 4}, []int{4, 5, 3}, []int{0, 2}, nil, []int{2, 0}, nil),
		dotGeneralCase("batch_not_leading", []int{3, 2, 4}, []int{4, 2, 5}, []int{2}, []int{1}, []int{0}, []int{1}),
		dotGeneralCase("all_axes_different", []int{2, 3, 4, 5}, []int{6, 4, 7, 2}, []int{2}, []int{0}, []int{1}, []int{3}),
		dotCase("dot_vector_vector", []int{4}, []int{4}),
		dotCase("dot_matrix_vector", []int{3, 4}, []int{4}),
		dotCase("dot_matrix_matrix", []int{3, 4}, []int{4, 5}),
	}
	const seed = 20240607
	t.Logf("random inputs from PCG(%d, 0)", seed)
	rng := rand.New(rand.NewPCG(seed, 0))
	random := func(dims []int) *tensors.Tensor {
		x := tensors.FromShape(shapes.Make(dtypes.Float64, dims...))
		tensors.MutableFlatData(x, func(f []float64) {
			for i := range f {
				f[i] = rng.NormFloat64()
			}
		})
		return x
	}
	for _, e := range gradEngines(t) {
		for _, c := range cases {
			a, b := random(c.lhs), random(c.rhs)
			// L = Σ w ⊙ op(a,b) with random w: its gradient is the VJP of the adjoint w.
			out := MustExecOnce(e.backend, c.op, a, b).Shape()
			w := random(out.Dimensions)
			loss := func(a, b, w *Node) *Node { return ReduceAllSum(Mul(w, c.op(a, b))) }
			grad := func(a, b, w *Node) []*Node { return Gradient(loss(a, b, w), a, b) }
			replaced := MustExecOnceN(e.backend, grad, a, b, w)
			var stock []*tensors.Tensor
			withStockDotVJPs(func() { stock = MustExecOnceN(e.backend, grad, a, b, w) })
			lossExec := MustNewExec(e.backend, loss)
			eval := func(a, b *tensors.Tensor) float64 { return lossExec.MustExec(a, b, w)[0].Value().(float64) }
			for which, x := range []*tensors.Tensor{a, b} {
				operand := []string{"lhs", "rhs"}[which]
				got, _ := tensors.CopyFlatData[float64](replaced[which])
				want, _ := tensors.CopyFlatData[float64](stock[which])
				for i := range x.Shape().Size() {
					if math.Abs(got[i]-want[i]) > 1e-10*(1+math.Abs(want[i])) {
						t.Fatalf("%s/%s: d/d%s[%d] = %g, GoMLX's own gradient %g", e.name, c.name, operand, i, got[i], want[i])
					}
					perturbed := func(delta float64) float64 {
						xc, _ := x.LocalClone()
						tensors.MutableFlatData(xc, func(f []float64) { f[i] += delta })
						if which == 0 {
							return eval(xc, b)
						}
						return eval(a, xc)
					}
					const h = 1e-6
					fd := (perturbed(h) - perturbed(-h)) / (2 * h)
					if math.Abs(got[i]-fd) > 1e-6*(1+math.Abs(fd)) {
						t.Fatalf("%s/%s: d/d%s[%d] = %g, finite differences %g", e.name, c.name, operand, i, got[i], fd)
					}
				}
			}
		}
	}
}

// On the GoMLX release go.mod pins the replacement is installed, and the registry holds it.
// (A test binary carries no module dependencies, so its own version reads as unknown: the
// decision for v0.26.0 is checked through decideInstall with the real probe.)
func TestDotGeneralVJPStatus(t *testing.T) {
	bi, haveInfo := debug.ReadBuildInfo()
	version := gomlxVersion(bi, haveInfo)
	t.Logf("GoMLX version from this binary's build information: %q (\"\" = unknown)", version)
	if version != "" && version != supportedGoMLX {
		t.Fatalf("linked with GoMLX %s, the replacement is written for %s", version, supportedGoMLX)
	}
	err := InstallDotGeneralVJP()
	ok, why := DotGeneralVJPStatus()
	t.Log(why)
	if err != nil || !ok {
		t.Fatalf("not installed: err=%v, status %v %q", err, ok, why)
	}
	if err := InstallDotGeneralVJP(); err != nil {
		t.Fatalf("second call: %v", err)
	}
	code := func(f VJP) uintptr { return reflect.ValueOf(f).Pointer() }
	if code(VJPRegistration[NodeTypeDotGeneral]) != code(dotGeneralNodeVJP) || code(VJPRegistration[NodeTypeDot]) != code(dotNodeVJP) {
		t.Fatal("status says installed, but the registry does not hold the replacement gradients")
	}
	if code(stockDotGeneralVJP) == code(dotGeneralNodeVJP) || code(stockDotVJP) == code(dotNodeVJP) {
		t.Fatal("the saved stock gradients are the replacements: the stock comparison would be vacuous")
	}
	ok, why = decideInstall(supportedGoMLX, probeDotGeneral)
	if !ok || !strings.Contains(why, supportedGoMLX) {
		t.Fatalf("GoMLX %s: installed=%v, %q", supportedGoMLX, ok, why)
	}
}

// The policy: a different known version is refused without probing; an unknown version
// installs when the probe passes; a failed probe refuses, and the reason says why.
func TestDecideInstall(t *testing.T) {
	probed := false
	pass := func() error { probed = true; return nil }
	fail := func() error { probed = true; return errors.New("no field lhsBatchAxes") }
	for _, c := range []struct {
		version    string
		probe      func() error
		want       bool
		wantProbed bool
		mention    string
	}{
		{supportedGoMLX, pass, true, true, supportedGoMLX},
		{"", pass, true, true, "unknown"},
		{"v0.27.0", pass, false, false, "v0.27.0"},
		{supportedGoMLX, fail, false, true, "lhsBatchAxes"},
		{"", fail, false, true, "lhsBatchAxes"},
	} {
		probed = false
		ok, why := decideInstall(c.version, c.probe)
		if ok != c.want || probed != c.wantProbed || !strings.Contains(why, c.mention) {
			t.Errorf("version %q: installed=%v probed=%v %q; want installed=%v probed=%v, mentioning %q",
				c.version, ok, probed, why, c.want, c.wantProbed, c.mention)
		}
	}
}

func TestGoMLXVersionFromBuildInfo(t *testing.T) {
	dep := func(v string, replace *debug.Module) *debug.Module {
		return &debug.Module{Path: gomlxModule, Version: v, Replace: replace}
	}
	other := &debug.Module{Path: "github.com/gomlx/go-xla", Version: "v0.1.4"}
	for _, c := range []struct {
		name string
		bi   *debug.BuildInfo
		ok   bool
		want string
	}{
		{"no build info", nil, false, ""},
		{"no deps (test binary)", &debug.BuildInfo{}, true, ""},
		{"pinned", &debug.BuildInfo{Deps: []*debug.Module{other, dep("v0.26.0", nil)}}, true, "v0.26.0"},
		{"other version", &debug.BuildInfo{Deps: []*debug.Module{dep("v0.27.1", nil)}}, true, "v0.27.1"},
		{"replaced by a version", &debug.BuildInfo{Deps: []*debug.Module{dep("v0.26.0", &debug.Module{Path: "example.com/fork", Version: "v0.27.0"})}}, true, "v0.27.0"},
		{"replaced by a directory", &debug.BuildInfo{Deps: []*debug.Module{dep("v0.26.0", &debug.Module{Path: "../gomlx"})}}, true, ""},
		{"devel", &debug.BuildInfo{Deps: []*debug.Module{dep("(devel)", nil)}}, true, ""},
	} {
		if got := gomlxVersion(c.bi, c.ok); got != c.want {
			t.Errorf("%s: %q, want %q", c.name, got, c.want)
		}
	}
}

// Test binaries cannot tell the GoMLX version, so tie supportedGoMLX to go.mod here: bumping
// GoMLX fails this test until dotgrad.go has been checked against the new release.
func TestSupportedGoMLXIsPinned(t *testing.T) {
	mod, err := os.ReadFile("../../go.mod")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^\s*(?:require\s+)?github\.com/gomlx/gomlx\s+(\S+)`).FindSubmatch(mod)
	if m == nil {
		t.Fatal("go.mod does not require github.com/gomlx/gomlx")
	}
	if string(m[1]) != supportedGoMLX {
		t.Fatalf("go.mod pins GoMLX %s; byb/encoder/dotgrad.go reads internals of %s: check them and update supportedGoMLX", m[1], supportedGoMLX)
	}
}

// The probe passes on this GoMLX, and the structural check refuses a node whose inputs are
// laid out differently (a Dot node has no axis fields).
func TestDotGeneralAxesChecksStructure(t *testing.T) {
	if err := probeDotGeneral(); err != nil {
		t.Fatal(err)
	}
	backend, err := simplego.New("")
	if err != nil {
		t.Fatal(err)
	}
	defer backend.Finalize()
	g := NewGraph(backend, "dot")
	defer g.Finalize()
	dot := Dot(Parameter(g, "a", shapes.Make(dtypes.Float32, 2, 3)), Parameter(g, "b", shapes.Make(dtypes.Float32, 3)))
	if _, _, _, _, err := dotGeneralAxes(dot); err == nil || !strings.Contains(err.Error(), "lhsContractingAxes") {
		t.Fatalf("reading DotGeneral axes from a Dot node: err = %v, want a missing-field error", err)
	}
	if _, _, _, _, err := dotGeneralAxes(nil); err == nil {
		t.Fatal("nil node: no error")
	}
}
