package finetune

import (
	"strings"

	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/gomlx/gomlx/pkg/ml/context"
)

// The probe's progress lives in context variables, so that the run's checkpoint holds it and
// a probe run directory that is run again continues (or, when it is done, only predicts)
// instead of starting over: the epochs done, whether early stopping ended it, the best
// validation epoch and score, and a copy of the head's weights at that epoch.
const (
	probeStateScope = "/probe_state"
	probeBestScope  = "/probe_best" // the best epoch's head, variable by variable
	probeEpochsDone = "epochs_done"
	probeStopped    = "stopped"
	probeBestEpoch  = "best_epoch"
	probeBestScore  = "best_score"
)

type probeState struct{ ctx *context.Context }

func newProbeState(ctx *context.Context) probeState {
	s := ctx.InAbsPath(probeStateScope).Checked(false)
	for _, name := range []string{probeEpochsDone, probeStopped, probeBestEpoch} {
		s.VariableWithValue(name, int64(0)).SetTrainable(false)
	}
	s.VariableWithValue(probeBestScore, float64(0)).SetTrainable(false)
	return probeState{s}
}

func (p probeState) get(name string) int {
	return int(tensors.ToScalar[int64](p.ctx.GetVariable(name).MustValue()))
}

func (p probeState) set(name string, v int) {
	p.ctx.GetVariable(name).MustSetValue(tensors.FromScalar(int64(v)))
}

func (p probeState) score() float64 {
	return tensors.ToScalar[float64](p.ctx.GetVariable(probeBestScore).MustValue())
}

// headVariables are the head's trainable variables (not its fixed scaler).
func headVariables(ctx *context.Context) []*context.Variable {
	prefix := context.RootScope + HeadScope
	var out []*context.Variable
	for v := range ctx.IterVariables() {
		if v.Trainable && (v.Scope() == prefix || strings.HasPrefix(v.Scope(), prefix+context.ScopeSeparator)) {
			out = append(out, v)
		}
	}
	return out
}

// keepBest records epoch and score as the best so far and copies the head's weights.
func (p probeState) keepBest(ctx *context.Context, epoch int, score float64) {
	p.set(probeBestEpoch, epoch)
	p.ctx.GetVariable(probeBestScore).MustSetValue(tensors.FromScalar(score))
	for _, v := range headVariables(ctx) {
		value, _ := v.MustValue().LocalClone()
		if best := ctx.GetVariableByScopeAndName(probeBestScope+v.Scope(), v.Name()); best != nil {
			best.MustSetValue(value)
		} else {
			ctx.InAbsPath(probeBestScope+v.Scope()).VariableWithValue(v.Name(), value).SetTrainable(false)
		}
	}
}

// restoreBest puts the best epoch's weights back into the head.
func (p probeState) restoreBest(ctx *context.Context) {
	for _, v := range headVariables(ctx) {
		if best := ctx.GetVariableByScopeAndName(probeBestScope+v.Scope(), v.Name()); best != nil {
			value, _ := best.MustValue().LocalClone()
			v.MustSetValue(value)
		}
	}
}
