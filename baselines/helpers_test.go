package baselines

import (
	"testing"

	"github.com/byb-dev/byb/byb/encoder"
	"github.com/byb-dev/byb/byb/engine"
	"github.com/byb-dev/byb/byb/params"
	"github.com/gomlx/gomlx/backends"
	. "github.com/gomlx/gomlx/pkg/core/graph" //nolint:revive
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/gomlx/gomlx/pkg/ml/context"
)

// Helpers shared by the baselines' tests. PureGoBackend and TinyContext are exported because
// the external tests (package baselines_test, e2e_*_test.go) use them too; being declared in a
// _test file, they are part of no build of the package outside its tests.

// PureGoBackend opens the pure-Go engine, on which the unit tests build and differentiate
// their graphs.
func PureGoBackend(t testing.TB) backends.Backend {
	t.Helper()
	b, _, err := engine.OpenConfig(engine.PureGo)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TinyContext is a tiny model's context: the encoder's defaults, a method's defaults, a
// one-layer encoder of width 8 with a fixed initial seed, then settings.
func TinyContext(t testing.TB, defaults func(*context.Context), settings string) *context.Context {
	t.Helper()
	ctx, err := tinyContext(defaults, settings)
	if err != nil {
		t.Fatal(err)
	}
	return ctx
}

func tinyContext(defaults func(*context.Context), settings string) (*context.Context, error) {
	ctx := context.New()
	encoder.SetDefaults(ctx)
	defaults(ctx)
	ctx.SetParams(map[string]any{encoder.ParamDim: 8, encoder.ParamLayers: 1, encoder.ParamHeads: 2, encoder.ParamFF: 8,
		context.ParamInitialSeed: int64(3)})
	_, err := params.Apply(ctx, settings)
	return ctx, err
}

// settingsError is the error a method's settings meet: the registry's range check when
// applying them, else the method's own when build constructs it from the context.
func settingsError(defaults func(*context.Context), settings string, build func(*context.Context) error) error {
	ctx, err := tinyContext(defaults, settings)
	if err != nil {
		return err
	}
	return build(ctx)
}

// newEncoder builds the encoder of ctx's architecture for the given vocabularies and windows.
func newEncoder(t testing.TB, ctx *context.Context, vocab []int, windows int) *encoder.Encoder {
	t.Helper()
	enc, err := encoder.New(ctx, vocab, windows)
	if err != nil {
		t.Fatal(err)
	}
	return enc
}

// anys are tensors as the arguments of context.ExecOnceN.
func anys(ts []*tensors.Tensor) []any {
	out := make([]any, len(ts))
	for i, x := range ts {
		out[i] = x
	}
	return out
}

// withExtra is the Inputs of graph parameters made of a batch's base tensors
// (encoder.BatchTensors, the first base nodes) followed by a method's extra inputs.
func withExtra(nodes []*Node, base int) encoder.Inputs {
	in := encoder.InputsFrom(nodes[:base])
	in.Extra = nodes[base:]
	return in
}

// f64 widens float32 values to float64, for computations by hand.
func f64(x []float32) []float64 {
	out := make([]float64, len(x))
	for i, v := range x {
		out[i] = float64(v)
	}
	return out
}
