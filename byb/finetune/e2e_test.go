package finetune_test

import (
	"io"
	"iter"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/byb-dev/byb/byb/bench"
	"github.com/byb-dev/byb/byb/data"
	"github.com/byb-dev/byb/byb/encoder"
	"github.com/byb-dev/byb/byb/engine"
	"github.com/byb-dev/byb/byb/finetune"
	"github.com/byb-dev/byb/byb/metrics"
	"github.com/byb-dev/byb/byb/objective"
	"github.com/byb-dev/byb/byb/train"
	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/pkg/ml/context"
)

const (
	e2eUsers, e2eTrainUsers, e2eDays, e2eFuture, e2eLen, e2eBatch = 600, 400, 28, 7, 96, 32
	arch                                                          = "d=32;layers=2;heads=2;ff=32"
	pretrainSettings                                              = arch + ";epochs=10;learning_rate=2e-3;batch_size=32"
	probeSettings                                                 = arch + ";epochs=15;learning_rate=3e-3"
)

func e2eBackend(t *testing.T) backends.Backend {
	t.Helper()
	b, info, err := engine.Open("")
	if err != nil {
		t.Fatal(err)
	}
	if info.Name != "xla" && os.Getenv("BYB_E2E_PUREGO") == "" {
		t.Skipf("engine %s: the end-to-end test is sized for XLA CPU (~1 min); on the pure-Go engine it takes many minutes: set BYB_E2E_PUREGO=1 to run it anyway", info)
	}
	t.Logf("engine %s", info)
	return b
}

// pretrain runs BYB on every user (labels unseen) and returns the run directory.
func pretrain(t *testing.T, b backends.Backend, ds *bench.Synthetic, seed uint64) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "pretrain")
	ctx := context.New()
	encoder.SetDefaults(ctx)
	objective.BYBDefaults(ctx)
	train.SetDefaults(ctx)
	settings := pretrainSettings + ";seed=" + itoa(int(seed))
	if _, err := encoder.ApplySettings(ctx, settings); err != nil {
		t.Fatal(err)
	}
	enc, err := encoder.New(ctx, ds.Vocab, ds.Days)
	if err != nil {
		t.Fatal(err)
	}
	obj, _ := objective.NewBYB(ctx)
	batches := func(epoch int) iter.Seq[*data.Batch] { return ds.Batches(0, e2eUsers, e2eBatch, true, seed, epoch) }
	res, err := train.Train(ctx, enc, obj, batches, train.Options{Backend: b, Dir: dir, Settings: settings, Progress: io.Discard,
		Config: train.RunConfig{Method: "byb", Vocab: ds.Vocab, Windows: ds.Days, MaxLen: e2eLen}})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("pretrain loss %.3f → %.3f (%d steps)", res.Losses[0], res.Losses[len(res.Losses)-1], len(res.Losses))
	return dir
}

func probe(t *testing.T, b backends.Backend, ds *bench.Synthetic, init string, seed uint64) metrics.Result {
	t.Helper()
	res, err := finetune.Run(finetune.Options{Backend: b, Init: init, Freeze: true, NumClasses: ds.Classes,
		Settings: probeSettings + ";seed=" + itoa(int(seed)), Vocab: ds.Vocab, Windows: ds.Days, Progress: io.Discard,
		Train: func(epoch int) iter.Seq[*data.Batch] {
			return ds.Batches(0, e2eTrainUsers, e2eBatch, true, seed+1, epoch)
		},
		Test: ds.Batches(e2eTrainUsers, e2eUsers, e2eBatch, false, 0, 0)})
	if err != nil {
		t.Fatal(err)
	}
	return res.Metrics
}

// The frozen probe on a BYB-pretrained encoder beats the same probe on a random-initialised
// encoder, on 3 seeds of a synthetic dataset: by at least 0.01 macro AUROC on every seed and
// 0.03 on average. (Observed on XLA CPU over repeated runs: margins 0.02-0.09 per seed, mean
// 0.05; the random-init probe is strong here because category IDs are an input slot.)
func TestPretrainedProbeBeatsRandomInit(t *testing.T) {
	b := e2eBackend(t)
	total := 0.0
	for _, seed := range []uint64{1, 2, 3} {
		start := time.Now()
		ds := bench.NewSynthetic(seed, e2eUsers, e2eDays, e2eFuture, e2eLen)
		dir := pretrain(t, b, ds, seed)
		pre := probe(t, b, ds, dir, seed)
		rnd := probe(t, b, ds, "none", seed)
		t.Logf("seed %d: pretrained %s | random-init %s (%.1fs)", seed, pre, rnd, time.Since(start).Seconds())
		margin := pre[metrics.MetricMacroAUROC] - rnd[metrics.MetricMacroAUROC]
		total += margin
		if margin < 0.01 {
			t.Errorf("seed %d: pretrained macro AUROC %.4f does not beat random-init %.4f by 0.01",
				seed, pre[metrics.MetricMacroAUROC], rnd[metrics.MetricMacroAUROC])
		}
	}
	if mean := total / 3; mean < 0.03 {
		t.Errorf("mean margin %.4f < 0.03", mean)
	}
}

func itoa(i int) string { return strconv.Itoa(i) }
