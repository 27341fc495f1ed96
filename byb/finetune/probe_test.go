package finetune

import (
	"fmt"
	"io"
	"iter"
	"path/filepath"
	"testing"

	"github.com/byb-dev/byb/byb/data"
	"github.com/byb-dev/byb/byb/engine"
	"github.com/byb-dev/byb/byb/params"
)

// A probe run directory run again with more epochs continues where it stopped and ends
// exactly where an uninterrupted run does; run again with nothing left to do, it only
// predicts. Pure-Go engine, tiny sizes.
func TestProbeResumesToTheSameResult(t *testing.T) {
	b, _, err := engine.OpenConfig(engine.PureGo)
	if err != nil {
		t.Fatal(err)
	}
	ds := NewToyData(7, 64, 14, 7, 32)
	probe := func(dir string, epochs string) *Result {
		t.Helper()
		res, err := Run(Options{Backend: b, Init: "none", Freeze: true, NumClasses: ds.Classes, Vocab: ds.Vocab, Windows: ds.Days,
			Settings: params.MustParse("d=16;layers=1;heads=2;ff=16;batch_size=8;learning_rate=1e-2;seed=5;ft_val=0;epochs=" + epochs), Progress: io.Discard,
			Train:     func(epoch int) iter.Seq[*data.Batch] { return ds.Batches(0, 44, 8, true, 2, epoch) },
			TrainOnce: ds.Batches(0, 44, 8, false, 0, 0), Test: ds.Batches(44, 64, 8, false, 0, 0), Dir: dir})
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	whole := probe(filepath.Join(t.TempDir(), "whole"), "4")
	split := filepath.Join(t.TempDir(), "split")
	first := probe(split, "2")
	second := probe(split, "4")
	again := probe(split, "4")
	// 44 samples in batches of 8: 6 steps per epoch, the last one padded.
	if len(whole.Train.Losses) != 24 || len(first.Train.Losses) != 12 || second.Train.FirstStep != 13 || len(again.Train.Losses) != 0 {
		t.Fatalf("steps: whole %d, first %d, second from %d, again %d", len(whole.Train.Losses), len(first.Train.Losses),
			second.Train.FirstStep, len(again.Train.Losses))
	}
	for i, l := range second.Train.Losses {
		if l != whole.Train.Losses[12+i] {
			t.Fatalf("resumed step %d: loss %g, uninterrupted %g", 13+i, l, whole.Train.Losses[12+i])
		}
	}
	if len(whole.Probs) != 20 {
		t.Fatalf("%d test rows, want 20", len(whole.Probs))
	}
	for i := range whole.Probs {
		for c := range whole.Probs[i] {
			if whole.Probs[i][c] != second.Probs[i][c] || whole.Probs[i][c] != again.Probs[i][c] {
				t.Fatalf("test row %d class %d: %g uninterrupted, %g resumed, %g re-run", i, c,
					whole.Probs[i][c], second.Probs[i][c], again.Probs[i][c])
			}
		}
	}
}

// The default probe (epochs=0) scores a validation part after every epoch, stops once
// ft_patience epochs bring no better validation score, and keeps the head of its best epoch:
// the test predictions are those of that epoch, the same whether the run went straight
// through or was resumed from its run directory; with explicit epochs it trains them all and
// still keeps the best one.
func TestProbeKeepsBestValidationEpoch(t *testing.T) {
	b, _, err := engine.OpenConfig(engine.PureGo)
	if err != nil {
		t.Fatal(err)
	}
	ds := NewToyData(7, 160, 14, 7, 32)
	probe := func(dir, settings string) *Result {
		t.Helper()
		res, err := Run(Options{Backend: b, Init: "none", Freeze: true, NumClasses: ds.Classes, Vocab: ds.Vocab, Windows: ds.Days,
			Settings: params.MustParse("d=16;layers=1;heads=2;ff=16;batch_size=16;learning_rate=3e-2;seed=5;ft_patience=3;" + settings), Progress: io.Discard,
			Train:     func(epoch int) iter.Seq[*data.Batch] { return ds.Batches(0, 96, 16, true, 2, epoch) },
			TrainOnce: ds.Batches(0, 96, 16, false, 0, 0), Val: ds.Batches(96, 120, 16, false, 0, 0),
			Test: ds.Batches(120, 160, 16, false, 0, 0), Dir: dir})
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	early := probe(filepath.Join(t.TempDir(), "early"), "ft_max_epochs=60")
	tr, sel := early.Train, early.Selection
	// 96 training samples: 6 steps per epoch.
	epochs := len(tr.Losses) / 6
	t.Logf("stopped after %d epochs, kept epoch %d (%s %.4f)", epochs, sel.BestEpoch, sel.Metric, sel.Score)
	if sel.BestEpoch < 1 || sel.Metric == "" || len(tr.Losses)%6 != 0 || sel.Epochs != epochs {
		t.Fatalf("best epoch %d metric %q after %d steps, %d epochs recorded", sel.BestEpoch, sel.Metric, len(tr.Losses), sel.Epochs)
	}
	if epochs >= 60 || epochs != sel.BestEpoch+3 || !sel.Stopped || sel.StillImproving() {
		t.Fatalf("stopped after %d epochs with the best at %d (stopped %v): want best + patience (3), before the cap", epochs, sel.BestEpoch, sel.Stopped)
	}
	// Training exactly that many epochs and keeping the best gives the same head.
	fixed := probe(filepath.Join(t.TempDir(), "fixed"), fmt.Sprintf("epochs=%d", epochs))
	// Resuming: first part of the epochs, then the rest in the same directory.
	dir := filepath.Join(t.TempDir(), "resumed")
	probe(dir, fmt.Sprintf("epochs=%d", sel.BestEpoch))
	resumed := probe(dir, fmt.Sprintf("epochs=%d", epochs))
	for _, other := range []*Result{fixed, resumed} {
		if other.Selection.BestEpoch != sel.BestEpoch {
			t.Fatalf("best epoch %d, want %d", other.Selection.BestEpoch, sel.BestEpoch)
		}
		for i := range early.Probs {
			for c := range early.Probs[i] {
				if early.Probs[i][c] != other.Probs[i][c] {
					t.Fatalf("test row %d class %d: %g early-stopped, %g other", i, c, early.Probs[i][c], other.Probs[i][c])
				}
			}
		}
	}
}
