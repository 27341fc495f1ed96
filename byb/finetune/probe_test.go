package finetune

import (
	"io"
	"iter"
	"path/filepath"
	"testing"

	"github.com/byb-dev/byb/byb/bench"
	"github.com/byb-dev/byb/byb/data"
	"github.com/byb-dev/byb/byb/engine"
)

// A probe run directory run again with more epochs continues where it stopped and ends
// exactly where an uninterrupted run does; run again with nothing left to do, it only
// predicts. Pure-Go engine, tiny sizes.
func TestProbeResumesToTheSameResult(t *testing.T) {
	b, _, err := engine.OpenConfig(engine.PureGo)
	if err != nil {
		t.Fatal(err)
	}
	ds := bench.NewSynthetic(7, 64, 14, 7, 32)
	probe := func(dir string, epochs string) *Result {
		t.Helper()
		res, err := Run(Options{Backend: b, Init: "none", Freeze: true, NumClasses: ds.Classes, Vocab: ds.Vocab, Windows: ds.Days,
			Settings: "d=16;layers=1;heads=2;ff=16;batch_size=8;learning_rate=1e-2;seed=5;epochs=" + epochs, Progress: io.Discard,
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
