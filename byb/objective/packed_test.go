package objective_test

import (
	"math"
	"testing"

	"github.com/byb-dev/byb/byb/data"
	"github.com/byb-dev/byb/byb/encoder"
	. "github.com/gomlx/gomlx/pkg/core/graph" //nolint:revive
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/gomlx/gomlx/pkg/ml/context"
)

// A packed batch is the same input as the padded one: BYB's loss, its targets, the
// Transformer's outputs and E agree, for every loss variant and horizon.
func TestPackedBatchGivesThePaddedLoss(t *testing.T) {
	b := goBackend(t)
	for _, tc := range []struct {
		settings string
		dt2      int
	}{
		{"byb_ema=true", 1},
		{"byb_ema=false", 1},
		{"byb_predictor=false;byb_loss=mse", 1},
		{"byb_dt2=2", 2},
		{"byb_ema=false;byb_dt2=2", 2},
	} {
		t.Run(tc.settings, func(t *testing.T) {
			padded := tinyBatch(tc.dt2)
			ctx, enc, obj := tinyModel(t, b, tc.settings, padded)
			run := func(batch *data.Batch) []*tensors.Tensor {
				out, err := context.ExecOnceN(b, ctx.Checked(false), func(ctx *context.Context, nodes []*Node) []*Node {
					in := encoder.InputsFrom(nodes)
					fw := enc.Forward(ctx, in)
					target, valid := obj.Targets(ctx, enc, in, fw)
					return []*Node{obj.Loss(ctx, enc, in), fw.Hidden, fw.E, target, valid, fw.Counts}
				}, anys(encoder.BatchTensors(batch))...)
				if err != nil {
					t.Fatal(err)
				}
				return out
			}
			want, got := run(padded), run(padded.ToPacked())
			for i, name := range []string{"loss", "hidden", "E", "targets", "valid", "counts"} {
				if d := maxDiff(flat(got[i]), flat(want[i])); d > 1e-5 {
					t.Errorf("%s differs from the padded batch's by %g", name, d)
				}
			}
		})
	}
}

func flat(t *tensors.Tensor) []float32 {
	var out []float32
	tensors.ConstFlatData(t, func(v []float32) { out = append(out, v...) })
	return out
}

func maxDiff(a, b []float32) float64 {
	if len(a) != len(b) {
		return math.Inf(1)
	}
	d := 0.0
	for i := range a {
		d = max(d, math.Abs(float64(a[i]-b[i])))
	}
	return d
}
