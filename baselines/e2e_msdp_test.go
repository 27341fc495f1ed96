package baselines_test

import (
	"fmt"
	"io"
	"math"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/byb-dev/byb/byb/data/synth"
	"github.com/byb-dev/byb/byb/params"
	"github.com/byb-dev/byb/byb/pipeline"
	"github.com/byb-dev/byb/tracking"
)

// msdpMetrics records the trainer's metrics in memory.
type msdpMetrics struct {
	tracking.Nop
	mu     sync.Mutex
	values map[string][]float64
}

func (m *msdpMetrics) LogMetric(key string, value float64, _ int64) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.values == nil {
		m.values = map[string][]float64{}
	}
	m.values[key] = append(m.values[key], value)
	return nil
}

// MSDP on ci data, on XLA CPU: pretraining lowers its own loss (tmall-like: the mean of the
// last 5 of 40 steps below that of the first 5) and its presence targets are not empty
// (the pipeline hands it every behavior of the 30 days after the pretraining span); then a
// frozen probe on E and the embedding export run from the pretrained run directory, on
// tmall-like and on mobile-like data.
func TestMSDPEndToEnd(t *testing.T) {
	backend, info := xlaCPU(t)
	for _, tc := range []struct {
		preset, task, metric string
		steps                int
	}{
		{synth.TmallLike, "5-day", "macro_auroc", 40},
		{synth.MobileLike, "Active-30d", "auroc", 10},
	} {
		t.Run(tc.preset, func(t *testing.T) {
			start := time.Now()
			dataDir := ciData(t, tc.preset)
			t.Logf("data generated in %.1f s", time.Since(start).Seconds())
			start = time.Now()
			runDir := filepath.Join(t.TempDir(), "run")
			rec := &msdpMetrics{}
			pre, err := pipeline.Pretrain(pipeline.PretrainOptions{Data: dataDir, Method: "msdp", Out: runDir,
				Backend: backend, Engine: info, Run: rec, Progress: io.Discard,
				Settings: params.MustParse(fmt.Sprintf("d=32;layers=1;heads=2;ff=32;batch_size=16;steps=%d;max_len=64;diag_every=5", tc.steps))})
			if err != nil {
				t.Fatal(err)
			}
			losses := pre.Train.Losses
			if len(losses) != tc.steps {
				t.Fatalf("%d losses, want %d", len(losses), tc.steps)
			}
			first, last := mean(losses[:5]), mean(losses[len(losses)-5:])
			rate := rec.values["diag_presence_rate"]
			t.Logf("%s: loss mean of first 5 steps %.4f, last 5 %.4f; presence rate %v; bce %v; simsiam %v; acc %v; f1 %v; E rank %v (%.1f s)",
				tc.preset, first, last, rate, rec.values["diag_bce"], rec.values["diag_simsiam"], rec.values["diag_presence_acc"],
				rec.values["diag_presence_f1"], rec.values["diag_E_rank"], pre.Train.Seconds)
			for _, l := range losses {
				if math.IsNaN(l) || math.IsInf(l, 0) {
					t.Fatalf("loss %v", losses)
				}
			}
			if len(rate) == 0 || mean(rate) == 0 {
				t.Fatalf("presence rate %v: no behavior of K after the pretraining span reached the targets", rate)
			}
			if len(rec.values["diag_simsiam"]) == 0 {
				t.Fatal("no SimSiam diagnostic logged")
			}
			if tc.preset == synth.TmallLike && !(last < first) {
				t.Fatalf("pretraining did not lower the loss: first 5 steps %.4f, last 5 %.4f (%v)", first, last, losses)
			}
			ft, err := pipeline.Finetune(pipeline.FinetuneOptions{Data: dataDir, Init: runDir, Task: tc.task, Freeze: true,
				Settings: params.MustParse(fmt.Sprintf("max_len=%d;batch_size=32;steps=10", pre.MaxLen)), Backend: backend, Progress: io.Discard})
			if err != nil {
				t.Fatal(err)
			}
			score, ok := ft.Metrics[tc.metric]
			t.Logf("pretrain %.1f s, probe %.1f s", pre.Train.Seconds, time.Since(start).Seconds()-pre.Train.Seconds)
			start = time.Now()
			t.Logf("%s %s frozen probe: %s %.4f (%d train, %d test)", tc.preset, tc.task, tc.metric, score, ft.Train, ft.Test)
			if !ok || math.IsNaN(score) || score <= 0 || score >= 1 {
				t.Fatalf("probe metrics %v", ft.Metrics)
			}
			emb, users, rows, dim := embed(t, backend, runDir, dataDir)
			t.Logf("embed %.1f s", time.Since(start).Seconds())
			if len(users) != emb.Users || emb.Users == 0 || dim != 32 || len(rows) != len(users)*dim {
				t.Fatalf("embeddings: %d users of dim %d, result %+v", len(users), dim, emb)
			}
		})
	}
}
