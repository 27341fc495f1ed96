package train

import (
	"fmt"
	"time"

	"github.com/byb-dev/byb/byb/params"
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/gomlx/gomlx/pkg/ml/context"
)

// budget is when a run under a context's hyper-parameters is over:
//   - time_budget set: once that much training time has gone into its steps (wall-clock time
//     without compiling: the first step and the first of every new batch shape are the
//     engine's one-off cost; summed over resumed runs), or at `steps` if that comes first —
//     the same time for every method makes a faster method train more, the paper's
//     efficiency claim made concrete;
//   - else steps set: after exactly that many steps;
//   - else after the epochs, and at least min_steps steps.
type budget struct {
	epochs          int
	steps, minSteps int64
	time            time.Duration
}

func budgetOf(ctx *context.Context) (budget, error) {
	b := budget{
		epochs:   params.Get[int](ctx, ParamEpochs),
		steps:    int64(params.Get[int](ctx, ParamSteps)),
		minSteps: int64(params.Get[int](ctx, ParamMinSteps)),
	}
	if s := params.Get[string](ctx, ParamTimeBudget); s != "" {
		d, err := time.ParseDuration(s)
		if err != nil || d <= 0 {
			return b, fmt.Errorf("%s=%q: want a positive duration such as 90s, 10m or 1h30m", ParamTimeBudget, s)
		}
		b.time = d
	}
	return b, nil
}

// done reports whether the budget is spent after epochsDone whole epochs and step steps,
// elapsed into the run.
func (b budget) done(epochsDone int, step int64, elapsed time.Duration) bool {
	switch {
	case b.time > 0:
		return elapsed >= b.time || b.steps > 0 && step >= b.steps
	case b.steps > 0:
		return step >= b.steps
	}
	return epochsDone >= b.epochs && step >= b.minSteps
}

// stateSeconds is the training time a run's steps have taken so far (Result.TrainSeconds),
// kept in the checkpoint so that a resumed run's time budget counts the time before the
// interruption.
const stateSeconds = "seconds"

func secondsVar(ctx *context.Context) *context.Variable {
	return ctx.InAbsPath(stateScope).Checked(false).VariableWithValue(stateSeconds, float64(0)).SetTrainable(false)
}

// restoredSeconds is the training time of a run before this process (0 for a fresh run).
func restoredSeconds(ctx *context.Context) time.Duration {
	return time.Duration(tensors.ToScalar[float64](secondsVar(ctx).MustValue()) * float64(time.Second))
}
