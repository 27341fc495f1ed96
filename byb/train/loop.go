package train

import (
	"fmt"
	"iter"
	"math"

	"github.com/byb-dev/byb/byb/record"
)

// Position is where in its data a run is: the epoch under way and how many of its batches are
// done. A checkpoint stores it, so that a resumed run skips what it has seen.
type Position struct{ Epoch, Batch int }

// Loop is the training loop of every run — pretraining, unfrozen finetuning (Train) and the
// frozen probe's head on cached features — over batches of any kind B: it runs steps over
// epochs of batches until Done, records each step's loss, and calls back after every step and
// every whole epoch. What a step computes, and what the callbacks save or score, is the
// caller's.
type Loop[B any] struct {
	// Batches yields the batches of an epoch; the order must depend only on the epoch.
	Batches func(epoch int) iter.Seq[B]
	// Step runs one optimizer step, the given global step (1-based), on b and returns its loss
	// and the number of samples it saw.
	Step func(b B, step int64) (loss float64, samples int, err error)
	// Done reports whether the run is over after epochsDone whole epochs and globalStep steps.
	// It is asked before every epoch and after every step (with the epochs done before the
	// one under way), so a step budget stops mid-epoch.
	Done func(epochsDone int, globalStep int64) bool
	// Run records "loss" at every step; nil records nothing.
	Tracker record.Recorder
	// AfterStep, if set, is called after every step with where the run now is.
	AfterStep func(step int64, loss float64, samples int, at Position) error
	// AfterEpoch, if set, is called after every whole epoch (epoch is its 0-based index) that
	// did not end the run mid-way.
	AfterEpoch func(epoch int, step int64) error
}

// DivergedError ends a run whose loss stopped being a finite number: every step after it
// would train on NaN weights, and a checkpoint of them is worth nothing.
type DivergedError struct {
	Step       int64   // the step whose loss is not finite
	Loss       float64 // NaN or ±Inf
	LastFinite float64 // the last finite loss, NaN if there was none
	LastStep   int64   // its step, 0 if there was none
	Hint       string  // what to try, said by the caller who knows the settings
}

func (e *DivergedError) Error() string {
	msg := fmt.Sprintf("step %d: the loss is %v, training diverged", e.Step, e.Loss)
	if e.LastStep > 0 {
		msg += fmt.Sprintf(" (last finite loss %.4g at step %d)", e.LastFinite, e.LastStep)
	}
	if e.Hint != "" {
		msg += "; " + e.Hint
	}
	return msg
}

// Run runs the loop from position from at global step step (the steps done so far), adding
// each step's loss and samples to res, and returns where it stopped and the global step then.
// An epoch that yields no batch, after the first, is an error: under a step budget it would
// loop for ever.
//
// A loss that is NaN or infinite ends the run with a *DivergedError before the step is
// recorded or AfterStep (which may checkpoint) sees it.
func (l Loop[B]) Run(from Position, step int64, res *Result) (Position, int64, error) {
	pos := from
	lastFinite, lastStep := math.NaN(), int64(0)
	for !l.Done(pos.Epoch, step) {
		ran, i := 0, 0
		for b := range l.Batches(pos.Epoch) {
			if i < pos.Batch {
				i++
				continue
			}
			loss, samples, err := l.Step(b, step+1)
			if err != nil {
				return pos, step, fmt.Errorf("step %d: %w", step+1, err)
			}
			step++
			if math.IsNaN(loss) || math.IsInf(loss, 0) {
				return pos, step, &DivergedError{Step: step, Loss: loss, LastFinite: lastFinite, LastStep: lastStep}
			}
			lastFinite, lastStep = loss, step
			i++
			ran++
			res.Losses = append(res.Losses, loss)
			res.Samples += samples
			if l.Tracker != nil {
				_ = l.Tracker.LogMetric("loss", loss, step)
			}
			if l.AfterStep != nil {
				if err := l.AfterStep(step, loss, samples, Position{pos.Epoch, i}); err != nil {
					return pos, step, err
				}
			}
			if l.Done(pos.Epoch, step) {
				return Position{pos.Epoch, i}, step, nil
			}
		}
		if ran == 0 && pos.Epoch > from.Epoch {
			return pos, step, fmt.Errorf("epoch %d has no batch: fewer training samples than batch_size", pos.Epoch+1)
		}
		if l.AfterEpoch != nil {
			if err := l.AfterEpoch(pos.Epoch, step); err != nil {
				return pos, step, err
			}
		}
		pos = Position{pos.Epoch + 1, 0}
	}
	return pos, step, nil
}
