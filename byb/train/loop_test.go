package train

import (
	"errors"
	"iter"
	"math"
	"slices"
	"strings"
	"testing"
)

// ints yields epoch*10 + 0..n-1: batches that say which epoch and place they are.
func ints(n int) func(epoch int) iter.Seq[int] {
	return func(epoch int) iter.Seq[int] {
		return func(yield func(int) bool) {
			for i := range n {
				if !yield(epoch*10 + i) {
					return
				}
			}
		}
	}
}

// runLoop runs a loop over ints(n) whose loss is the batch's value, and returns the batches
// stepped, the epochs ended, and where it stopped.
func runLoop(t *testing.T, n int, done func(int, int64) bool, from Position, step int64) (seen, ended []int, end Position, last int64, err error) {
	t.Helper()
	res := &Result{}
	l := Loop[int]{
		Batches:    ints(n),
		Step:       func(b int, _ int64) (float64, int, error) { seen = append(seen, b); return float64(b), 1, nil },
		Done:       done,
		AfterEpoch: func(epoch int, _ int64) error { ended = append(ended, epoch); return nil },
	}
	end, last, err = l.Run(from, step, res)
	if err == nil && len(res.Losses) != len(seen) {
		t.Errorf("res has %d losses for %d steps", len(res.Losses), len(seen))
	}
	return seen, ended, end, last, err
}

func TestLoopEpochsAndSteps(t *testing.T) {
	// Two epochs of three batches.
	seen, ended, end, last, err := runLoop(t, 3, func(e int, _ int64) bool { return e >= 2 }, Position{}, 0)
	if err != nil || !slices.Equal(seen, []int{0, 1, 2, 10, 11, 12}) || !slices.Equal(ended, []int{0, 1}) || end != (Position{2, 0}) || last != 6 {
		t.Errorf("2 epochs: seen %v ended %v end %v step %d err %v", seen, ended, end, last, err)
	}
	// A step budget stops mid-epoch, without ending that epoch.
	seen, ended, end, last, _ = runLoop(t, 3, func(_ int, s int64) bool { return s >= 4 }, Position{}, 0)
	if !slices.Equal(seen, []int{0, 1, 2, 10}) || !slices.Equal(ended, []int{0}) || end != (Position{1, 1}) || last != 4 {
		t.Errorf("4 steps: seen %v ended %v end %v step %d", seen, ended, end, last)
	}
	// Resuming from that position sees what the uninterrupted run would have seen next.
	seen, _, _, last, _ = runLoop(t, 3, func(_ int, s int64) bool { return s >= 6 }, Position{1, 1}, 4)
	if !slices.Equal(seen, []int{11, 12}) || last != 6 {
		t.Errorf("resumed at (1,1): seen %v step %d, want [11 12] and step 6", seen, last)
	}
	// A run that is already over steps nothing.
	if seen, _, end, _, _ := runLoop(t, 3, func(e int, _ int64) bool { return e >= 2 }, Position{2, 0}, 6); len(seen) != 0 || end != (Position{2, 0}) {
		t.Errorf("finished run: seen %v end %v", seen, end)
	}
}

func TestLoopEmptyEpochIsAnError(t *testing.T) {
	_, _, _, _, err := runLoop(t, 0, func(_ int, s int64) bool { return s >= 5 }, Position{}, 0)
	if err == nil || !strings.Contains(err.Error(), "no batch") {
		t.Errorf("a step budget over empty epochs must fail, got %v", err)
	}
}

// A loss that stops being finite ends the loop at that step, before it is recorded or
// AfterStep (which checkpoints) sees it.
func TestLoopStopsOnANonFiniteLoss(t *testing.T) {
	for _, bad := range []float64{math.NaN(), math.Inf(1)} {
		losses := []float64{2.5, 1.25, bad, 0.5}
		var after []int64
		res := &Result{}
		l := Loop[int]{
			Batches:   ints(4),
			Step:      func(b int, _ int64) (float64, int, error) { return losses[b], 1, nil },
			Done:      func(e int, _ int64) bool { return e >= 1 },
			AfterStep: func(s int64, _ float64, _ int, _ Position) error { after = append(after, s); return nil },
		}
		_, _, err := l.Run(Position{}, 0, res)
		var div *DivergedError
		if !errors.As(err, &div) || div.Step != 3 || div.LastStep != 2 || div.LastFinite != 1.25 {
			t.Fatalf("loss %v at step 3: err %v; want a DivergedError at step 3 after 1.25 at step 2", bad, err)
		}
		if !slices.Equal(after, []int64{1, 2}) || len(res.Losses) != 2 {
			t.Errorf("after the bad step: AfterStep saw %v, %d losses recorded; want steps 1 and 2 only", after, len(res.Losses))
		}
		if !strings.Contains(err.Error(), "step 3") || !strings.Contains(err.Error(), "1.25") {
			t.Errorf("message %q names neither the step nor the last finite loss", err)
		}
	}
}

// A checkpoint is resumed only by the dataset it was trained on: other vocabularies are
// refused in one line that shows both.
func TestResumeRefusesAnotherDataset(t *testing.T) {
	dir := t.TempDir()
	if err := WriteConfig(dir, RunConfig{Method: "byb", Vocab: []int{10, 5}}); err != nil {
		t.Fatal(err)
	}
	same := Options{Dir: dir, Config: RunConfig{Vocab: []int{10, 5}}}
	if err := sameModel(same, map[string]any{"d": 8}, map[string]any{"d": 8}); err != nil {
		t.Fatalf("the same dataset and shape: %v", err)
	}
	other := Options{Dir: dir, Config: RunConfig{Vocab: []int{12, 5}}}
	err := sameModel(other, map[string]any{"d": 8}, map[string]any{"d": 8})
	if err == nil || !strings.Contains(err.Error(), "vocabularies [10 5], this one has [12 5]") {
		t.Fatalf("another dataset: %v", err)
	}
}

// An error after a progress bar starts on a line of its own.
func TestProgressAbortEndsTheLine(t *testing.T) {
	var out strings.Builder
	p := newProgress(Options{Progress: &out}, 10, 0)
	p.step(1.5, 4)
	p.abort()
	if s := out.String(); !strings.HasSuffix(s, "\n") {
		t.Fatalf("progress output %q does not end its line", s)
	}
}
