package train

import (
	"github.com/gomlx/gomlx/pkg/core/dtypes"
	. "github.com/gomlx/gomlx/pkg/core/graph" //nolint:revive // GoMLX convention
	"github.com/gomlx/gomlx/pkg/ml/context"
	"github.com/gomlx/gomlx/pkg/ml/train/optimizers"
)

// warmUp makes the learning rate of the optimizer step being built lr·min(1, t/n): a linear
// rise from 0 over the first n steps, which post-LN Transformers (byb's default, as PyTorch's)
// are known to need: their gradients near the output are large at initialisation, and the full
// rate from the first step can stall or derail training (Xiong et al., 2020, "On Layer
// Normalization in the Transformer Architecture"; norm_first=true is the pre-LN alternative).
// t is the 1-based number of that step: the context's global step, before GoMLX's Adam
// increments it, plus one. The global step is a variable that checkpoints keep, so a resumed
// run goes on with the schedule where it stopped. A finetuning starts its own optimizer and
// global step (finetune copies only the encoder's variables), so it warms up anew.
//
// The rate is written to the optimizer's learning-rate variable, which Adam reads in the same
// graph. It is computed from lr every step, never from the variable's stored value, so a
// checkpoint taken mid-warm-up (holding a partial rate) resumes on the schedule.
func warmUp(ctx *context.Context, g *Graph, lr float64, n int, dtype dtypes.DType) {
	step := optimizers.GetGlobalStepVar(ctx).ValueGraph(g) // int64, steps already taken
	t := ConvertDType(AddScalar(step, 1), dtype)
	rate := MulScalar(MinScalar(DivScalar(t, float64(n)), 1), lr)
	optimizers.LearningRateVar(ctx, dtype, lr).SetValueGraph(rate)
}
