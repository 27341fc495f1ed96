package baselines_test

import (
	"fmt"
	"io"
	"math"
	"path/filepath"
	"testing"

	"github.com/byb-dev/byb/byb/data/synth"
	"github.com/byb-dev/byb/byb/params"
	"github.com/byb-dev/byb/byb/pipeline"
	"github.com/byb-dev/byb/byb/train"
	"github.com/byb-dev/byb/tracking"
)

// ctsTiny is the architecture and budget of these tests: small enough for seconds on XLA CPU.
const ctsTiny = "d=32;layers=1;heads=2;ff=32;batch_size=16;max_len=64"

// CTS end to end on ci tmall-like data at a tiny budget, through the pipeline functions:
// pretraining lowers its own loss and logs its contrastive accuracy, the run records CTS's
// hyper-parameters, and the pretrained encoder goes through the frozen probe and the
// embedding export.
//
// The loss of one batch depends much on its users (how many behaviors a local permutation
// moves, how alike they are), and the default initialisation (ID embeddings N(0,1)) already
// tells users apart, so over 40 steps the first and last steps' losses differ by less than
// that noise. The test therefore compares the last 5 steps with the same 5 steps of a run at
// learning_rate=0, which draws the same batches and the same views (both are seeded by the
// step): trained must be lower.
func TestCTSEndToEnd(t *testing.T) {
	backend, info := xlaCPU(t)
	dataDir := ciData(t, synth.TmallLike)
	db := filepath.Join(t.TempDir(), "byb.db")
	const steps, batch = 40, 16
	pretrain := func(extra string) (string, *pipeline.PretrainResult, []tracking.Point) {
		t.Helper()
		run, err := tracking.Begin(db, tracking.RunOptions{Experiment: "test", Params: map[string]string{"method": "cts"}})
		if err != nil {
			t.Fatal(err)
		}
		dir := filepath.Join(t.TempDir(), "run")
		res, err := pipeline.Pretrain(pipeline.PretrainOptions{Data: dataDir, Method: "cts", Out: dir,
			Settings: params.MustParse(fmt.Sprintf("%s;steps=%d;diag_every=10%s", ctsTiny, steps, extra)), Backend: backend, Engine: info, Run: run, Progress: io.Discard})
		if err != nil {
			t.Fatal(err)
		}
		if err := run.End(tracking.StatusFinished, ""); err != nil {
			t.Fatal(err)
		}
		s, err := tracking.OpenExisting(db)
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		acc, err := s.MetricHistory(run.ID(), "diag_accuracy")
		if err != nil || len(acc) == 0 {
			t.Fatalf("diag_accuracy history %v %v", acc, err)
		}
		if len(res.Train.Losses) != steps {
			t.Fatalf("%d losses, want %d", len(res.Train.Losses), steps)
		}
		return dir, res, acc
	}
	runDir, pre, acc := pretrain("")
	_, frozenPre, frozenAcc := pretrain(";learning_rate=0")
	trained, frozen := pre.Train.Losses, frozenPre.Train.Losses
	last, frozenLast := mean(trained[steps-5:]), mean(frozen[steps-5:])
	t.Logf("loss (log B = %.4f): trained, first 5 steps %.4f, last 5 %.4f; learning_rate=0, first 5 %.4f, last 5 %.4f (trained/untrained %.3f)",
		math.Log(batch), mean(trained[:5]), last, mean(frozen[:5]), frozenLast, last/frozenLast)
	t.Logf("contrastive accuracy at steps 10..40: trained %v, learning_rate=0 %v", values(acc), values(frozenAcc))
	for i, l := range trained {
		if !(l > 0) { // a cross-entropy
			t.Fatalf("step %d: loss %v, want > 0", i+1, l)
		}
	}
	if trained[0] != frozen[0] {
		t.Fatalf("the two runs' first steps differ (%.6f, %.6f): they do not see the same batches and views", trained[0], frozen[0])
	}
	if !(last < 0.97*frozenLast) {
		t.Fatalf("CTS pretraining did not lower its loss: last 5 steps %.4f, the same batches untrained %.4f", last, frozenLast)
	}
	if a := acc[len(acc)-1].Value; !(a > 2.0/batch) {
		t.Fatalf("contrastive accuracy %.3f at step %d, not above chance 1/%d", a, acc[len(acc)-1].Step, batch)
	}

	cfg, err := train.ReadConfig(runDir)
	if err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]any{"cts_projector": "mlp", "cts_window": 5.0, "cts_tau": 0.1, "cts_normalize": true,
		"pool": false, "causal": true} {
		if got := cfg.Params[name]; got != want {
			t.Errorf("config.json: %s = %v (%T), want %v", name, got, got, want)
		}
	}
	ft, err := pipeline.Finetune(pipeline.FinetuneOptions{Data: dataDir, Init: runDir, Task: "5-day", Freeze: true,
		Settings: params.MustParse(fmt.Sprintf("max_len=%d;batch_size=16;steps=5", pre.MaxLen)), Backend: backend, Progress: io.Discard})
	if err != nil {
		t.Fatal(err)
	}
	auc, ok := ft.Metrics["macro_auroc"]
	if !ok || math.IsNaN(auc) {
		t.Fatalf("frozen probe metrics %v", ft.Metrics)
	}
	emb, users, rows, dim := embed(t, backend, runDir, dataDir)
	t.Logf("frozen probe (5 steps) 5-day macro AUROC %.4f; %d embeddings of dim %d", auc, len(users), dim)
	if len(users) != emb.Users || emb.Users == 0 || dim != 32 {
		t.Fatalf("embeddings: %d users of dim %d, result %+v", len(users), dim, emb)
	}
	varies := false
	for i, v := range rows {
		if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
			t.Fatalf("embedding value %d is %v", i, v)
		}
		if v != rows[i%dim] {
			varies = true
		}
	}
	if !varies {
		t.Fatal("every user has the same embedding")
	}
}

func values(ps []tracking.Point) []float64 {
	out := make([]float64, len(ps))
	for i, p := range ps {
		out[i] = p.Value
	}
	return out
}
