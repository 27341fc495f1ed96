package baselines_test

import (
	"fmt"
	"io"
	"iter"
	"math"
	"math/rand/v2"
	"path/filepath"
	"testing"

	"github.com/byb-dev/byb/baselines"
	"github.com/byb-dev/byb/byb/bench"
	"github.com/byb-dev/byb/byb/data"
	"github.com/byb-dev/byb/byb/data/synth"
	"github.com/byb-dev/byb/byb/encoder"
	"github.com/byb-dev/byb/byb/objective"
	"github.com/byb-dev/byb/byb/params"
	"github.com/byb-dev/byb/byb/pipeline"
	"github.com/byb-dev/byb/byb/train"
	"github.com/gomlx/gomlx/pkg/ml/context"
)

// Every NBP and MBM variant trains on the pure-Go engine: the whole step graph (loss,
// gradients, Adam) builds there, without the ops it cannot differentiate, and a few steps on
// one fixed batch lower the loss.
func TestNBPMBMTrainOnPureGo(t *testing.T) {
	const T = 4
	b := baselines.PureGoBackend(t)
	rng := rand.New(rand.NewPCG(21, 22))
	vocab := []int{40, 9}
	batch := bench.WithTargets(rng, bench.RandomPaddedBatch(rng, 6, 12, T, vocab), 7, 7, vocab)
	facts := objective.Facts{Vocab: vocab, Windows: T, MaxLen: 12}
	for _, tc := range []struct{ method, settings string }{
		{"nbp", ""},
		{"nbp", "idhead_full_max=10;idhead_negatives=8"},
		{"nbp", "pool=true"},
		{"mbmv1", ""},
		{"mbmv2", "idhead_full_max=10;idhead_negatives=8"},
	} {
		t.Run(tc.method+" "+tc.settings, func(t *testing.T) {
			m, err := objective.Lookup(tc.method)
			if err != nil {
				t.Fatal(err)
			}
			ctx := baselines.TinyContext(t, func(ctx *context.Context) { train.SetDefaults(ctx); m.Defaults(ctx) },
				"steps=12;learning_rate=0.01;diag_every=1;"+tc.settings)
			enc, err := encoder.New(ctx, vocab, T)
			if err != nil {
				t.Fatal(err)
			}
			obj, err := m.New(ctx, facts)
			if err != nil {
				t.Fatal(err)
			}
			batches := func(int) iter.Seq[*data.Batch] {
				return func(yield func(*data.Batch) bool) { _ = yield(batch) }
			}
			res, err := train.Train(ctx, enc, obj, batches, train.Options{Backend: b, Progress: io.Discard})
			if err != nil {
				t.Fatal(err)
			}
			l := res.Losses
			t.Logf("loss %.4f → %.4f over %d steps", l[0], l[len(l)-1], len(l))
			if len(l) != 12 || math.IsNaN(l[len(l)-1]) || !(mean(l[len(l)-3:]) < mean(l[:3])) {
				t.Fatalf("losses %v: no decrease", l)
			}
		})
	}
}

// End to end on ci tmall-like data, as `byb pretrain --method nbp|mbmv1|mbmv2` runs it: each
// method pretrains through pipeline.Pretrain (the registry, the dataset's facts, the
// next-behavior window for NBP, the host-side mask for MBM), lowers its own loss (the mean of
// the last 5 of 40 steps below that of the first 5), records its hyper-parameters, and its
// encoder then serves the frozen probe and the embedding export. NBP and MBMv2 run with the
// item field's softmax sampled, MBMv1 with every softmax full.
func TestNBPMBMPretrainProbeEmbed(t *testing.T) {
	backend, info := xlaCPU(t)
	dataDir := ciData(t, synth.TmallLike)
	const tiny = "d=32;layers=1;heads=2;ff=32;batch_size=16;steps=40;max_len=64;diag_every=0"
	for _, tc := range []struct {
		method, settings string
		params           map[string]any // recorded in config.json
	}{
		{"nbp", "idhead_full_max=2000;idhead_negatives=128", map[string]any{"nbp_future_days": 7.0, "pool": false, "causal": true, "idhead_full_max": 2000.0}},
		{"mbmv1", "", map[string]any{"mbm_mask_ratio": 0.1, "pool": false, "causal": false, "idhead_full_max": 10000.0}},
		{"mbmv2", "idhead_full_max=2000;idhead_negatives=128", map[string]any{"mbm_mask_ratio": 0.2, "idhead_negatives": 128.0}},
	} {
		t.Run(tc.method, func(t *testing.T) {
			runDir := filepath.Join(t.TempDir(), "run")
			pre, err := pipeline.Pretrain(pipeline.PretrainOptions{Data: dataDir, Method: tc.method, Settings: params.MustParse(tiny + ";" + tc.settings),
				Out: runDir, Backend: backend, Engine: info, Progress: io.Discard})
			if err != nil {
				t.Fatal(err)
			}
			l := pre.Train.Losses
			first, last := mean(l[:5]), mean(l[len(l)-5:])
			t.Logf("%s: %d steps, loss mean of the first 5 %.4f, of the last 5 %.4f", tc.method, len(l), first, last)
			if len(l) != 40 || !(last < first) {
				t.Fatalf("%s does not lower its loss: first 5 %.4f, last 5 %.4f (%v)", tc.method, first, last, l)
			}
			rc, err := train.ReadConfig(runDir)
			if err != nil {
				t.Fatal(err)
			}
			if rc.Method != tc.method {
				t.Fatalf("config.json method %q", rc.Method)
			}
			for k, v := range tc.params {
				if fmt.Sprint(rc.Params[k]) != fmt.Sprint(v) {
					t.Errorf("config.json %s = %v, want %v", k, rc.Params[k], v)
				}
			}
			ft, err := pipeline.Finetune(pipeline.FinetuneOptions{Data: dataDir, Init: runDir, Task: "5-day", Freeze: true,
				Settings: params.MustParse(fmt.Sprintf("max_len=%d;epochs=1", pre.MaxLen)), Backend: backend, Progress: io.Discard})
			if err != nil {
				t.Fatal(err)
			}
			auc, ok := ft.Metrics["macro_auroc"]
			t.Logf("%s(freeze) 5-day macro AUROC after a tiny pretraining and a 1-epoch probe: %.4f", tc.method, auc)
			if !ok || !(auc > 0 && auc < 1) {
				t.Fatalf("probe metrics %v", ft.Metrics)
			}
			emb, users, _, dim := embed(t, backend, runDir, dataDir)
			if emb.Users == 0 || len(users) != emb.Users || dim != 32 {
				t.Fatalf("embeddings: %d users of dim %d, result %+v", len(users), dim, emb)
			}
		})
	}
}
