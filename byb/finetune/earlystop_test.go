package finetune

import (
	"testing"

	"github.com/gomlx/gomlx/pkg/ml/context"
)

// Early stopping stops patience epochs after the best one, but never counts the epochs of a
// learning-rate warm-up: a lucky score while the rate is still rising must not end the run
// before it has trained at its rate.
func TestEarlyStoppingCountsPatienceAfterWarmup(t *testing.T) {
	scores := []float64{0.9, 0.5, 0.6, 0.7, 0.7, 0.8}
	run := func(warmupEpochs int) (stoppedAfter int, best int) {
		ctx := context.New()
		state := newEarlyStopping(ctx)
		for i, s := range scores {
			state.epochEnd(ctx, i+1, s, true, 2, i+1 <= warmupEpochs)
			if state.stopped() {
				return i + 1, state.get(bestEpochVar)
			}
		}
		return 0, state.get(bestEpochVar)
	}
	// No warm-up: epoch 1 is the best, epochs 2 and 3 bring nothing better: stop after 3.
	if stop, best := run(0); stop != 3 || best != 1 {
		t.Errorf("without warm-up: stopped after epoch %d (best %d), want 3 (best 1)", stop, best)
	}
	// Epochs 1-3 within the warm-up: patience counts from epoch 3, so epochs 4 and 5 (no
	// better than 0.9) stop the run after 5.
	if stop, best := run(3); stop != 5 || best != 1 {
		t.Errorf("with a 3-epoch warm-up: stopped after epoch %d (best %d), want 5 (best 1)", stop, best)
	}
}
