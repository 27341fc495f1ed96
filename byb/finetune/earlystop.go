package finetune

import (
	"strings"

	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/gomlx/gomlx/pkg/ml/context"
)

// Every finetuning run with a validation part — the frozen probe and unfrozen finetuning
// (Supervised, BYB(unfreeze)) alike — scores its model on that part after every epoch, keeps
// a copy of the weights of its best epoch, stops once `patience` epochs have brought nothing
// better (when it chooses its own epoch count), and is scored on the test split with the
// best epoch's weights. Its state lives in context variables, so that the run's checkpoint
// holds it and a run directory that is run again continues (or, when it is done, only
// predicts) instead of starting over: the epochs done, whether early stopping ended it, the
// best validation epoch and score, and the copy of the weights at that epoch.
const (
	stopStateScope = "/early_stopping"
	bestScope      = "/best_epoch" // the best epoch's weights, variable by variable
	epochsDone     = "epochs_done"
	stoppedEarly   = "stopped"
	bestEpochVar   = "best_epoch"
	bestScoreVar   = "best_score"
	warmedUpVar    = "warmup_epochs" // the last epoch that ended within a learning-rate warm-up
)

// earlyStopping is the state of one run's epoch choice. scopes are the absolute scopes whose
// trainable variables are the model being chosen: the head alone for the probe, the encoder
// and the head for unfrozen finetuning.
type earlyStopping struct {
	state  *context.Context
	scopes []string
}

func newEarlyStopping(ctx *context.Context, scopes ...string) earlyStopping {
	s := ctx.InAbsPath(stopStateScope).Checked(false)
	for _, name := range []string{epochsDone, stoppedEarly, bestEpochVar, warmedUpVar} {
		s.VariableWithValue(name, int64(0)).SetTrainable(false)
	}
	s.VariableWithValue(bestScoreVar, float64(0)).SetTrainable(false)
	abs := make([]string, len(scopes))
	for i, sc := range scopes {
		abs[i] = context.RootScope + sc
	}
	return earlyStopping{state: s, scopes: abs}
}

func (p earlyStopping) get(name string) int {
	return int(tensors.ToScalar[int64](p.state.GetVariable(name).MustValue()))
}

func (p earlyStopping) set(name string, v int) {
	p.state.GetVariable(name).MustSetValue(tensors.FromScalar(int64(v)))
}

// score is the best epoch's validation score.
func (p earlyStopping) score() float64 {
	return tensors.ToScalar[float64](p.state.GetVariable(bestScoreVar).MustValue())
}

// epochEnd records that epoch (1-based) ended with a validation score: it becomes the best
// when it beats every earlier one (its weights are copied), and with early stopping (early)
// the run is marked stopped once patience epochs have passed since the best — counted from the
// end of a learning-rate warm-up at the earliest (inWarmup: the epoch ended within it): the
// epochs whose rate is still rising are not evidence that training has stopped improving.
func (p earlyStopping) epochEnd(ctx *context.Context, epoch int, score float64, early bool, patience int, inWarmup bool) {
	p.set(epochsDone, epoch)
	if inWarmup {
		p.set(warmedUpVar, epoch)
	}
	if p.get(bestEpochVar) == 0 || score > p.score() {
		p.keepBest(ctx, epoch, score)
	} else if early && epoch-max(p.get(bestEpochVar), p.get(warmedUpVar)) >= patience {
		p.set(stoppedEarly, 1)
	}
}

// stopped reports whether early stopping has ended the run.
func (p earlyStopping) stopped() bool { return p.get(stoppedEarly) == 1 }

// modelVariables are the trainable variables under the state's scopes (for the probe, not
// its fixed scaler).
func (p earlyStopping) modelVariables(ctx *context.Context) []*context.Variable {
	var out []*context.Variable
	for v := range ctx.IterVariables() {
		if !v.Trainable {
			continue
		}
		for _, prefix := range p.scopes {
			if v.Scope() == prefix || strings.HasPrefix(v.Scope(), prefix+context.ScopeSeparator) {
				out = append(out, v)
				break
			}
		}
	}
	return out
}

// keepBest records epoch and score as the best so far and copies the model's weights.
func (p earlyStopping) keepBest(ctx *context.Context, epoch int, score float64) {
	p.set(bestEpochVar, epoch)
	p.state.GetVariable(bestScoreVar).MustSetValue(tensors.FromScalar(score))
	for _, v := range p.modelVariables(ctx) {
		value, _ := v.MustValue().LocalClone()
		if best := ctx.GetVariableByScopeAndName(bestScope+v.Scope(), v.Name()); best != nil {
			best.MustSetValue(value)
		} else {
			ctx.InAbsPath(bestScope+v.Scope()).VariableWithValue(v.Name(), value).SetTrainable(false)
		}
	}
}

// restoreBest puts the best epoch's weights back into the model.
func (p earlyStopping) restoreBest(ctx *context.Context) {
	for _, v := range p.modelVariables(ctx) {
		if best := ctx.GetVariableByScopeAndName(bestScope+v.Scope(), v.Name()); best != nil {
			value, _ := best.MustValue().LocalClone()
			v.MustSetValue(value)
		}
	}
}
