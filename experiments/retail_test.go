package experiments

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/byb-dev/byb/internal/testenv"
)

// The whole path on a real log, at a smoke budget: import Online Retail from ../shared,
// pretrain BYB, probe it and a random encoder, finetune both ways, fit the bag-of-IDs
// reference; every number is produced and the user split has the share asked for.
func TestRetailEndToEnd(t *testing.T) {
	testenv.SkipShort(t, "imports the 541,909-line Online Retail log and trains on it")
	_, self, _, _ := runtime.Caller(0)
	in := filepath.Join(filepath.Dir(self), "..", "..", "shared", "data", "online-retail", "online_retail.csv.gz")
	_, err := os.Stat(in)
	testenv.Require(t, err == nil, fmt.Sprintf("the Online Retail log (%v)", err),
		"put the UCI Online Retail file at ../shared/data/online-retail/online_retail.csv.gz beside the repository")
	backend, info := xlaCPU(t)
	rep, err := runRetail(Config{Scale: "ci", Seeds: 1, Out: t.TempDir(), Backend: backend, Engine: info, Input: in, Tracking: "off", Log: os.Stderr, Quiet: true})
	if err != nil {
		t.Fatal(err)
	}
	for _, row := range retailRows {
		v := rep.Values[row.key]
		if len(v) != 1 || math.IsNaN(v[0]) || v[0] <= 0 || v[0] >= 1 {
			t.Errorf("%s: AUROC %v, want one number in (0,1)", row.label, v)
		}
	}
	if share := rep.Values["test_share"][0]; math.Abs(share-0.3) > 0.02 {
		t.Errorf("test split holds %.3f of the customers, asked 0.3", share)
	}
	t.Log(rep.Markdown)
}
