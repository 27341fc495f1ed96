package encoder_test

import (
	"fmt"
	"math"
	"testing"

	"github.com/byb-dev/byb/byb/encoder"
	. "github.com/gomlx/gomlx/pkg/core/graph" //nolint:revive
	"github.com/gomlx/gomlx/pkg/ml/context"
)

// E is the Transformer's output at the position e_at names, on the hand-built batch of
// reduce_test.go (user 1's last two windows are empty, user 2 has no behavior): with pooling,
// e_at=last reads window T-1 for everyone and e_at=last_active the last window with a
// behavior (T-1 for a user with none); without pooling both read the last real behavior (the
// first position for an empty row). Padded and packed batches; on the pure-Go engine, which
// cannot differentiate every op, with a gradient through E (unfrozen finetuning needs it).
func TestEAt(t *testing.T) {
	cases := []struct {
		pool, packed bool
		want         map[string][]int // by e_at, the position E is read at per user
	}{
		{true, false, map[string][]int{encoder.EAtLast: {3, 3, 3}, encoder.EAtLastActive: {3, 1, 3}}},
		{true, true, map[string][]int{encoder.EAtLast: {3, 3, 3}, encoder.EAtLastActive: {3, 1, 3}}},
		{false, false, map[string][]int{encoder.EAtLast: {4, 2, 0}, encoder.EAtLastActive: {4, 2, 0}}},
	}
	eAts := []string{encoder.EAtLast, encoder.EAtLastActive}
	for _, e := range engines(t) {
		for _, c := range cases {
			t.Run(fmt.Sprintf("%s/pool=%v/packed=%v", e.name, c.pool, c.packed), func(t *testing.T) {
				ctx := smallContext(c.pool)
				ctx.SetParam(encoder.ParamLayers, 1)
				base, err := encoder.New(ctx, []int{6}, handT)
				if err != nil {
					t.Fatal(err)
				}
				// One graph: E by each e_at (encoders that differ only in it share the
				// variables), and on the pure-Go engine the gradient of E by last_active.
				out, err := context.ExecOnceN(e.backend, ctx.Checked(false), func(ctx *context.Context, nodes []*Node) []*Node {
					var outs []*Node
					for _, eAt := range eAts {
						enc := *base
						enc.EAt = eAt
						o := enc.Forward(ctx, encoder.InputsFrom(nodes))
						if outs == nil {
							outs = append(outs, o.Hidden)
						}
						outs = append(outs, o.E)
					}
					if e.name != "go" {
						return outs
					}
					return append(outs, ctx.BuildTrainableVariablesGradientsGraph(ReduceAllSum(outs[len(outs)-1]))...)
				}, handInputs(c.packed)...)
				if err != nil {
					t.Fatal(err)
				}
				hidden := out[0].Value().([][][]float32)
				for i, eAt := range eAts {
					got := out[1+i].Value().([][]float32)
					for r, p := range c.want[eAt] {
						for j := range got[r] {
							if got[r][j] != hidden[r][p][j] {
								t.Fatalf("e_at=%s, user %d: E = %v, want the output at position %d %v", eAt, r, got[r], p, hidden[r][p])
							}
						}
					}
				}
				if c.pool && same(hidden[1][1], hidden[1][3]) {
					t.Fatalf("user 1's outputs at its last active and its last window are equal: the test cannot tell them apart")
				}
				if e.name == "go" && len(out) == 1+len(eAts) {
					t.Fatalf("no gradient through E")
				}
			})
		}
	}
}

func same(a, b []float32) bool {
	for i := range a {
		if math.Abs(float64(a[i]-b[i])) > 1e-6 {
			return false
		}
	}
	return true
}
