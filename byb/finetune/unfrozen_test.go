package finetune

import (
	"io"
	"iter"
	"strings"
	"testing"

	"github.com/byb-dev/byb/byb/data"
	"github.com/byb-dev/byb/byb/engine"
	"github.com/byb-dev/byb/byb/metrics"
	"github.com/byb-dev/byb/byb/params"
	"github.com/byb-dev/byb/tracking"
)

// metricLog is a tracking.Run that keeps every metric point, in order.
type metricLog struct {
	tracking.Nop
	points []metricPoint
}

type metricPoint struct {
	key   string
	value float64
	step  int64
}

func (m *metricLog) LogMetric(key string, value float64, step int64) error {
	m.points = append(m.points, metricPoint{key, value, step})
	return nil
}

// values are the logged values of the metrics whose key starts with prefix, in order.
func (m *metricLog) values(prefix string) []float64 {
	var out []float64
	for _, p := range m.points {
		if strings.HasPrefix(p.key, prefix) {
			out = append(out, p.value)
		}
	}
	return out
}

// Unfrozen finetuning from scratch (Supervised) with early stopping: it scores the
// validation part after every epoch, stops ft_unfrozen_patience epochs after the best one,
// and is tested with the best epoch's weights — tested on the validation samples themselves,
// its test AUROC is exactly the best epoch's validation score, not the last epoch's (which
// is lower). Without a validation part it trains the paper's one epoch and keeps it.
// Pure-Go engine, tiny sizes.
func TestUnfrozenKeepsBestValidationEpoch(t *testing.T) {
	b, _, err := engine.OpenConfig(engine.PureGo)
	if err != nil {
		t.Fatal(err)
	}
	ds := NewToyData(11, 128, 14, 7, 32)
	const patience = 2
	log := &metricLog{}
	val := ds.Batches(96, 128, 16, false, 0, 0)
	res, err := Run(Options{Backend: b, Init: "none", NumClasses: ds.Classes, Vocab: ds.Vocab, Windows: ds.Days, Run: log,
		Settings: params.MustParse("d=16;layers=1;heads=2;ff=16;batch_size=16;learning_rate=3e-2;seed=3;ft_unfrozen_patience=2;ft_unfrozen_max_epochs=40"),
		Progress: io.Discard, StepsPerEpoch: 6,
		Train: func(epoch int) iter.Seq[*data.Batch] { return ds.Batches(0, 96, 16, true, 2, epoch) },
		Val:   val, Test: val})
	if err != nil {
		t.Fatal(err)
	}
	sel := res.Selection
	scores := log.values("val_macro_auroc")
	t.Logf("validation scores by epoch %.4f; kept epoch %d of %d", scores, sel.BestEpoch, sel.Epochs)
	if !sel.Validated || !sel.Stopped || sel.Metric != metrics.MetricMacroAUROC || len(scores) != sel.Epochs {
		t.Fatalf("selection %+v with %d validation scores", sel, len(scores))
	}
	if sel.Epochs >= 40 || sel.Epochs != sel.BestEpoch+patience || sel.StillImproving() {
		t.Fatalf("ran %d epochs with the best at %d: want best + patience (%d), before the cap", sel.Epochs, sel.BestEpoch, patience)
	}
	if got := len(res.Train.Losses); got != 6*sel.Epochs {
		t.Fatalf("%d steps for %d epochs of 6", got, sel.Epochs)
	}
	// The first epoch with the highest score is the one kept (a tie is not an improvement).
	best := 0
	for i, s := range scores {
		if s > scores[best] {
			best = i
		}
	}
	if best+1 != sel.BestEpoch || scores[best] != sel.Score {
		t.Fatalf("kept epoch %d (%.6f), the scores' best is epoch %d (%.6f)", sel.BestEpoch, sel.Score, best+1, scores[best])
	}
	if last := scores[len(scores)-1]; last >= sel.Score {
		t.Fatalf("the last epoch scores %.6f, not below the best %.6f: this data cannot tell a restored model from the last one", last, sel.Score)
	}
	if got := res.Metrics[metrics.MetricMacroAUROC]; got != sel.Score {
		t.Fatalf("tested on the validation samples the model scores %.6f: not the best epoch's %.6f (the last epoch's: %.6f)", got, sel.Score, scores[len(scores)-1])
	}

	// No validation part: one epoch, the last weights, nothing to choose.
	paper, err := Run(Options{Backend: b, Init: "none", NumClasses: ds.Classes, Vocab: ds.Vocab, Windows: ds.Days,
		Settings: params.MustParse("d=16;layers=1;heads=2;ff=16;batch_size=16;seed=3"), Progress: io.Discard, StepsPerEpoch: 6,
		Train: func(epoch int) iter.Seq[*data.Batch] { return ds.Batches(0, 96, 16, true, 2, epoch) }, Test: val})
	if err != nil {
		t.Fatal(err)
	}
	if s := paper.Selection; s.Validated || s.Epochs != 1 || s.BestEpoch != 1 || len(paper.Train.Losses) != 6 {
		t.Fatalf("without validation: %+v after %d steps, want one epoch kept", s, len(paper.Train.Losses))
	}
}
