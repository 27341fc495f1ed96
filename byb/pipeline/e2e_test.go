package pipeline

import (
	"fmt"
	"io"
	"path/filepath"
	"testing"
)

// The end-to-end check of BYB on ci-scale tmall-like data: pretraining must give the frozen
// encoder's E information about the future that a random-initialised encoder of the same
// architecture does not have, as measured by the same probe (a 2-layer MLP head on
// standardised E). The data are `byb data gen --preset tmall-like --scale ci` (seed 1), as
// generated; the training settings are the ci budget's (experiments/table2.go):
//   - pretraining: 400 steps of batch 32 (≈ 13 epochs of the 1,000 users) at lr 1e-3. The
//     paper's 1e-4 is meant for two epochs over millions of users (tens of thousands of
//     steps); at a few hundred steps it leaves the encoder near its initialisation (measured:
//     400 steps at 1e-4 gain at most 0.005 AUROC over the random encoder in a logistic probe).
//   - the probe: 30 epochs over the labelled finetune users (≈ 550-800) at lr 1e-3.
//
// Measured when written (macro AUROC over 90 classes; BYB against the random encoder of the
// same seed): 5-day 0.623/0.662 against 0.555/0.560 and 30-day 0.618/0.637 against
// 0.571/0.565 for seeds 0/1; seeds 2/3, run once outside the suite, gave margins of
// 0.075/0.102 (5-day) and 0.083/0.038 (30-day). The required margin, 0.02, is about half the
// smallest of the eight, so that it does not flake, and above the random encoder's
// seed-to-seed standard deviation (about 0.012), so that it does not pass by chance.
const (
	e2ePretrain  = "batch_size=32;epochs=100;steps=400;learning_rate=1e-3;max_len=192;checkpoint_every=0"
	e2eProbe     = "batch_size=32;epochs=30;learning_rate=1e-3"
	e2eMinMargin = 0.02
)

func TestBYBFrozenProbeBeatsRandomInit(t *testing.T) {
	eng := xlaOrSkip(t)
	dataDir := ciTmall(t)
	for _, seed := range []int{0, 1} {
		pre, err := Pretrain(PretrainOptions{Data: dataDir, Method: "byb", Out: filepath.Join(t.TempDir(), "byb"),
			Backend: eng.Backend, Engine: eng.Info, Settings: fmt.Sprintf("%s;seed=%d", e2ePretrain, seed), Progress: io.Discard})
		if err != nil {
			t.Fatal(err)
		}
		for _, task := range []string{"5-day", "30-day"} {
			probe := func(init string) float64 {
				res, err := Finetune(FinetuneOptions{Data: dataDir, Init: init, Task: task, Freeze: true, Backend: eng.Backend,
					Settings: fmt.Sprintf("%s;seed=%d;max_len=%d", e2eProbe, seed, pre.MaxLen), Progress: io.Discard})
				if err != nil {
					t.Fatal(err)
				}
				return res.Metrics["macro_auroc"]
			}
			byb, random := probe(pre.Dir), probe("none")
			t.Logf("seed %d %s: BYB(freeze) %.4f, random init(freeze) %.4f, margin %+.4f", seed, task, byb, random, byb-random)
			if byb-random < e2eMinMargin {
				t.Errorf("seed %d %s: BYB(freeze) %.4f does not beat random init(freeze) %.4f by %.2f", seed, task, byb, random, e2eMinMargin)
			}
		}
	}
}
