package encoder

import (
	"errors"
	"fmt"
	"reflect"
	"runtime/debug"
	"slices"
	"sync"

	"github.com/gomlx/gomlx/backends/simplego"
	"github.com/gomlx/gomlx/pkg/core/dtypes"
	. "github.com/gomlx/gomlx/pkg/core/graph" //nolint:revive // GoMLX convention
	"github.com/gomlx/gomlx/pkg/core/shapes"
)

// GoMLX v0.26.0 differentiates DotGeneral by multiplying the adjoint with the other operand
// broadcast to the full [batch, lhsCross, rhsCross, contracting] outer product and reducing
// it afterwards. For a [N,K]x[K,M] matmul that is an N·M·K tensor per gradient: much slower
// than a matmul on the pure-Go engine, and a loop fusion instead of a GEMM on XLA. The
// registry of gradients is public (graph.VJPRegistration), so we replace the DotGeneral entry,
// process-wide, with the textbook VJP: each gradient is itself one DotGeneral (plus a
// transpose). Dot (what layers.Dense uses on rank-2 inputs, e.g. the finetuning head) has the
// same problem and gets the same treatment.
//
// Reading a DotGeneral node's axes needs GoMLX internals (an unexported struct, read by
// reflection), so the replacement is tied to the GoMLX release it was written against,
// supportedGoMLX, pinned in go.mod. InstallDotGeneralVJP installs it only when
//   - the GoMLX version linked in is supportedGoMLX, or cannot be told (test binaries carry no
//     module dependencies in their build information; a directory replace has no version):
//     the structural probe below is then what decides; and
//   - a probe DotGeneral node, built on the pure-Go engine, has the unexported fields with the
//     expected kinds and gives back the axes it was built with.
// Otherwise GoMLX's own gradients stay: correct, only slower. A known different version is
// refused even when the probe passes: the fields could keep their names and change meaning.
//
// It is not done in an init(): encoder.New installs it, so the process-wide change happens
// where a model is built, visibly. Every byb path that builds gradients (train.Train, the
// finetuning probe) has an Encoder from New first. TestDotGeneralVJP checks the replacement
// against GoMLX's own gradient and against finite differences; TestSupportedGoMLXIsPinned ties
// supportedGoMLX to go.mod, since a test binary cannot tell its GoMLX version.

// supportedGoMLX is the GoMLX release whose internals dotGeneralAxes reads.
const supportedGoMLX = "v0.26.0"

const gomlxModule = "github.com/gomlx/gomlx"

// GoMLX's own gradients, captured when this package's variables are initialised (after
// GoMLX's, before anything here can replace them), so they stay available as the fallback
// and for tests.
var (
	stockDotGeneralVJP = VJPRegistration[NodeTypeDotGeneral]
	stockDotVJP        = VJPRegistration[NodeTypeDot]
)

var (
	installOnce sync.Once
	statusMu    sync.Mutex
	installed   bool
	reason      = "not attempted: InstallDotGeneralVJP has not been called (encoder.New calls it)"
)

// InstallDotGeneralVJP replaces GoMLX's DotGeneral and Dot gradients with dotGeneralVJP, once
// per process; later calls return the first call's outcome. It returns nil when installed,
// and otherwise an error saying why not (GoMLX's own gradients then stay, which is correct).
// It writes graph.VJPRegistration, a plain map: call it before any goroutine builds graphs,
// as encoder.New does before a model exists.
func InstallDotGeneralVJP() error {
	installOnce.Do(func() {
		bi, haveInfo := debug.ReadBuildInfo()
		ok, why := decideInstall(gomlxVersion(bi, haveInfo), probeDotGeneral)
		if ok {
			VJPRegistration[NodeTypeDotGeneral] = dotGeneralNodeVJP
			VJPRegistration[NodeTypeDot] = dotNodeVJP
		}
		statusMu.Lock()
		installed, reason = ok, why
		statusMu.Unlock()
	})
	if ok, why := DotGeneralVJPStatus(); !ok {
		return errors.New(why)
	}
	return nil
}

// DotGeneralVJPStatus says whether the replacement gradients are installed, and why (or why
// not): the GoMLX version seen and the outcome of the structural probe.
func DotGeneralVJPStatus() (ok bool, why string) {
	statusMu.Lock()
	defer statusMu.Unlock()
	return installed, reason
}

// gomlxVersion is the version of GoMLX in the build information, or "" when it cannot be told:
// no build information, no module dependencies listed (test binaries), or a replace without a
// version (a local directory).
func gomlxVersion(bi *debug.BuildInfo, ok bool) string {
	if !ok || bi == nil {
		return ""
	}
	for _, d := range bi.Deps {
		if d.Path != gomlxModule {
			continue
		}
		if d.Replace != nil {
			d = d.Replace
		}
		if d.Version == "(devel)" {
			return ""
		}
		return d.Version
	}
	return ""
}

// decideInstall applies the policy above to a GoMLX version ("" = unknown); probe is only run
// when the version allows.
func decideInstall(version string, probe func() error) (ok bool, why string) {
	if version != "" && version != supportedGoMLX {
		return false, fmt.Sprintf("not installed: GoMLX is %s, and the replacement DotGeneral/Dot gradient reads internals of GoMLX %s; "+
			"GoMLX's own gradients are used (correct, slower): update byb/encoder/dotgrad.go for %s", version, supportedGoMLX, version)
	}
	seen := "GoMLX " + version
	if version == "" {
		seen = "GoMLX version unknown (no module information in this binary)"
	}
	if err := probe(); err != nil {
		return false, fmt.Sprintf("not installed: %s, and its DotGeneral internals are not as expected: %v; "+
			"GoMLX's own gradients are used (correct, slower)", seen, err)
	}
	return true, fmt.Sprintf("installed: %s, DotGeneral internals verified by a probe graph", seen)
}

// probeDotGeneral builds a DotGeneral whose four axis lists are all different on the pure-Go
// engine (building only, nothing is compiled) and checks that dotGeneralAxes reads them back;
// and that Dot is still a two-input node.
func probeDotGeneral() (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("building the probe graph panicked: %v", r)
		}
	}()
	backend, err := simplego.New("")
	if err != nil {
		return fmt.Errorf("pure-Go engine for the probe graph: %w", err)
	}
	defer backend.Finalize()
	g := NewGraph(backend, "byb_dotgeneral_probe")
	defer g.Finalize()
	// lhs [batch, free, contracting, free], rhs [free, contracting, free, batch].
	lhs := Parameter(g, "lhs", shapes.Make(dtypes.Float32, 2, 3, 4, 5))
	rhs := Parameter(g, "rhs", shapes.Make(dtypes.Float32, 6, 4, 7, 2))
	want := [4][]int{{2}, {0}, {1}, {3}}
	node := DotGeneral(lhs, want[0], want[1], rhs, want[2], want[3])
	if node.Type() != NodeTypeDotGeneral {
		return fmt.Errorf("DotGeneral built a %s node", node.Type())
	}
	lc, lb, rc, rb, err := dotGeneralAxes(node)
	if err != nil {
		return err
	}
	if got := [4][]int{lc, lb, rc, rb}; !slices.EqualFunc(got[:], want[:], slices.Equal[[]int]) {
		return fmt.Errorf("read axes (contracting, batch, contracting, batch) %v from a DotGeneral built with %v", got, want)
	}
	dot := Dot(Parameter(g, "m", shapes.Make(dtypes.Float32, 2, 3)), Parameter(g, "v", shapes.Make(dtypes.Float32, 3)))
	if dot.Type() != NodeTypeDot || len(dot.Inputs()) != 2 {
		return fmt.Errorf("Dot built a %s node with %d inputs", dot.Type(), len(dot.Inputs()))
	}
	return nil
}

func dotGeneralNodeVJP(node *Node, v []*Node, outputShape shapes.Shape) []*Node {
	lc, lb, rc, rb, err := dotGeneralAxes(node)
	if err != nil {
		// The probe passed, so this is not expected; GoMLX's own gradient is still right.
		return stockDotGeneralVJP(node, v, outputShape)
	}
	return dotGeneralVJP(node.Inputs()[0], node.Inputs()[1], lc, lb, rc, rb, v[0])
}

func dotNodeVJP(node *Node, v []*Node, _ shapes.Shape) []*Node {
	// Dot contracts the last axis of lhs with the first of rhs (ranks 1 or 2).
	lhs, rhs := node.Inputs()[0], node.Inputs()[1]
	return dotGeneralVJP(lhs, rhs, []int{lhs.Rank() - 1}, nil, []int{0}, nil, v[0])
}

// dotGeneralAxes reads the axes a DotGeneral node was built with. GoMLX keeps them in an
// unexported struct (Node.inputs, a *nodeInputsDotGeneral); reflect may read (not write)
// unexported fields. Every step is checked, so a different layout is an error, not a panic.
func dotGeneralAxes(node *Node) (lc, lb, rc, rb []int, err error) {
	if node == nil {
		return nil, nil, nil, nil, errors.New("nil node")
	}
	f := reflect.ValueOf(node).Elem().FieldByName("inputs")
	if !f.IsValid() || f.Kind() != reflect.Interface {
		return nil, nil, nil, nil, errors.New("graph.Node has no interface field \"inputs\"")
	}
	if f.IsNil() {
		return nil, nil, nil, nil, errors.New("graph.Node.inputs is nil")
	}
	in := f.Elem()
	if in.Kind() != reflect.Pointer || in.IsNil() || in.Elem().Kind() != reflect.Struct {
		return nil, nil, nil, nil, fmt.Errorf("graph.Node.inputs holds a %s, not a pointer to a struct", in.Type())
	}
	in = in.Elem()
	read := func(name string) []int {
		if err != nil {
			return nil
		}
		f := in.FieldByName(name)
		if !f.IsValid() || f.Kind() != reflect.Slice || f.Type().Elem().Kind() != reflect.Int {
			err = fmt.Errorf("%s has no []int field %q", in.Type(), name)
			return nil
		}
		out := make([]int, f.Len())
		for i := range out {
			out[i] = int(f.Index(i).Int())
		}
		return out
	}
	lc, lb = read("lhsContractingAxes"), read("lhsBatchAxes")
	rc, rb = read("rhsContractingAxes"), read("rhsBatchAxes")
	if err != nil {
		return nil, nil, nil, nil, err
	}
	return lc, lb, rc, rb, nil
}

// freeAxes lists the axes of a rank-r operand that are neither contracted nor batch, in order.
func freeAxes(rank int, contracting, batch []int) []int {
	var out []int
	for a := range rank {
		if !slices.Contains(contracting, a) && !slices.Contains(batch, a) {
			out = append(out, a)
		}
	}
	return out
}

// dotGeneralVJP: output axes are [batch..., lhsFree..., rhsFree...]. The gradient wrt one
// operand ("this") contracts the adjoint v over the other operand's free axes with the other
// operand, keeping the batch axes. Either operand order works; the result holds [batch...,
// this operand's free axes, its contracting axes] in some order and is transposed back to the
// operand's layout. Both orders are tried and the one that needs no transpose is preferred
// (e.g. dW = xᵀ·v for a dense layer comes out as [in, out] directly).
func dotGeneralVJP(lhs, rhs *Node, lc, lb, rc, rb []int, v *Node) []*Node {
	lFree := freeAxes(lhs.Rank(), lc, lb)
	rFree := freeAxes(rhs.Rank(), rc, rb)
	nb := len(lb)
	vBatch := iota(0, nb)
	vLFree := iota(nb, len(lFree))
	vRFree := iota(nb+len(lFree), len(rFree))
	// grad returns the gradient wrt "this" (rank thisRank, axes thisB/thisC/thisFree) given the
	// other operand and the positions in v of the other's free axes.
	grad := func(thisRank int, thisC, thisB, thisFree, vThisFree, vOtherFree []int, other *Node, otherC, otherB, otherFree []int) *Node {
		sortedOtherC := slices.Clone(otherC)
		slices.Sort(sortedOtherC)
		// Order 1: DotGeneral(v, other) → [batch, thisFree (from v), other's remaining = otherC sorted].
		perm1 := make([]int, thisRank)
		// Order 2: DotGeneral(other, v) → [batch, other's remaining = otherC sorted, thisFree (from v)].
		perm2 := make([]int, thisRank)
		for i, a := range thisB {
			perm1[a], perm2[a] = i, i
		}
		for i, a := range thisFree {
			perm1[a] = nb + i
			perm2[a] = nb + len(otherC) + i
		}
		for i, oc := range otherC {
			pos := slices.Index(sortedOtherC, oc)
			perm1[thisC[i]] = nb + len(thisFree) + pos
			perm2[thisC[i]] = nb + pos
		}
		if isIdentity(perm2) && !isIdentity(perm1) {
			return DotGeneral(other, otherFree, otherB, v, vOtherFree, vBatch)
		}
		g := DotGeneral(v, vOtherFree, vBatch, other, otherFree, otherB)
		if isIdentity(perm1) {
			return g
		}
		return TransposeAllAxes(g, perm1...)
	}
	return []*Node{
		grad(lhs.Rank(), lc, lb, lFree, vLFree, vRFree, rhs, rc, rb, rFree),
		grad(rhs.Rank(), rc, rb, rFree, vRFree, vLFree, lhs, lc, lb, lFree),
	}
}

func iota(start, n int) []int {
	out := make([]int, n)
	for i := range out {
		out[i] = start + i
	}
	return out
}

func isIdentity(perm []int) bool {
	for i, p := range perm {
		if i != p {
			return false
		}
	}
	return true
}
