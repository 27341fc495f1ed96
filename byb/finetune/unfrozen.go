package finetune

import (
	"fmt"
	"os"

	"github.com/byb-dev/byb/byb/encoder"
	"github.com/byb-dev/byb/byb/params"
	"github.com/byb-dev/byb/byb/record"
	"github.com/byb-dev/byb/byb/train"
	"github.com/gomlx/gomlx/pkg/ml/context"
)

// runUnfrozen trains the encoder and the head together (BYB(unfreeze); Supervised from
// scratch) with the trainer, as a frozen probe trains its head: after every epoch the model
// is scored on the validation part, the weights of the best epoch are kept, and with epochs=0
// the run stops once ft_unfrozen_patience epochs have brought nothing better (at most
// ft_unfrozen_max_epochs). The model left in ctx is the best epoch's. Without a validation
// part it trains the epochs given (one when epochs=0, the paper's) and keeps the last.
func runUnfrozen(ctx *context.Context, enc *encoder.Encoder, head *Head, opts Options, cfg train.RunConfig) (*train.Result, Selection, error) {
	run := opts.Run
	if run == nil {
		run = record.Nop{}
	}
	patience := params.Get[int](ctx, ParamUnfrozenPatience)
	early := params.Get[int](ctx, train.ParamEpochs) <= 0
	if early {
		epochs := 1 // no validation part: the paper's one epoch
		if opts.Val != nil {
			epochs = params.Get[int](ctx, ParamUnfrozenMaxEpochs)
		}
		ctx.SetParam(train.ParamEpochs, epochs)
	}
	state := newEarlyStopping(ctx, encoder.Scope, HeadScope)
	sel := Selection{Validated: opts.Val != nil, Patience: patience}
	var validation *eRunner
	valSamples := 0
	defer func() {
		if validation != nil {
			validation.Finalize()
		}
	}()
	afterEpoch := func(epoch int, at int64) error {
		if opts.Val == nil {
			state.set(epochsDone, epoch+1)
			return nil
		}
		if validation == nil {
			// Compiled once the first epoch has created the model's variables.
			var err error
			if validation, err = newERunner(opts.Backend, ctx.Reuse(), enc, head.probabilities); err != nil {
				return err
			}
		}
		val, err := encode(validation, opts.Val) // the head's probabilities, not E
		if err != nil {
			return fmt.Errorf("validation after epoch %d: %w", epoch+1, err)
		}
		valSamples = len(val.x)
		score, metric := validationScore(val.x, val.labels, head.NumClasses)
		_ = run.LogMetric("val_"+metric, score, at)
		state.epochEnd(ctx, epoch+1, score, early, patience, inWarmup(ctx, at))
		sel.Metric = metric
		return nil
	}
	tr, err := train.Train(ctx, enc, head, opts.Train, train.Options{
		Backend: opts.Backend, Run: opts.Run, Dir: opts.Dir, Settings: opts.Settings, StepsPerEpoch: opts.StepsPerEpoch,
		Progress: opts.Progress, Config: cfg, AfterEpoch: afterEpoch, Stop: state.stopped,
		Status: func() string {
			if !sel.Validated || state.get(bestEpochVar) == 0 {
				return ""
			}
			return fmt.Sprintf("best epoch %d of %d (val %s %.4f; stops %d epochs after the best)",
				state.get(bestEpochVar), state.get(epochsDone), sel.Metric, state.score(), patience)
		},
	})
	if err != nil {
		return nil, Selection{}, err
	}
	sel.Epochs, sel.BestEpoch = state.get(epochsDone), state.get(epochsDone)
	if sel.Validated && state.get(bestEpochVar) > 0 {
		state.restoreBest(ctx)
		sel.BestEpoch, sel.Score, sel.Stopped = state.get(bestEpochVar), state.score(), state.stopped()
	}
	progress := opts.Progress
	if progress == nil {
		progress = os.Stderr
	}
	_, _ = fmt.Fprintf(progress, "finetune: %d steps in %.1fs%s\n", len(tr.Losses), tr.Seconds, sel.describe(valSamples))
	return tr, sel, nil
}

// inWarmup reports whether an epoch that ended at global step at ended within the learning-rate
// warm-up (warmup_steps).
func inWarmup(ctx *context.Context, at int64) bool {
	n := int64(params.Get[int](ctx, train.ParamWarmupSteps))
	return n > 0 && at <= n
}
