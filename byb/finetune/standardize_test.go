package finetune

import (
	"io"
	"iter"
	"math"
	"path/filepath"
	"testing"

	"github.com/byb-dev/byb/byb/data"
	"github.com/byb-dev/byb/byb/engine"
	"github.com/byb-dev/byb/byb/params"
	"github.com/gomlx/gomlx/pkg/core/tensors"
)

func TestScalerFromHandComputed(t *testing.T) {
	// Column 0: values 1, 3 → mean 2, population std 1. Column 1: constant 5 → std 0.
	mean, inv := scalerFrom([]float64{4, 10}, []float64{10, 50}, 2)
	if mean[0] != 2 || mean[1] != 5 {
		t.Fatalf("mean %v, want [2 5]", mean)
	}
	if math.Abs(float64(inv[0])-1/(1+stdEpsilon)) > 1e-6 || float64(inv[1]) != float64(float32(1/stdEpsilon)) {
		t.Fatalf("1/std %v, want [~1 1e6]", inv)
	}
}

// A frozen finetuning run stores the mean and 1/std of the training samples' E, as computed
// independently by Embed from the same encoder (here a from-scratch one: the scaler must see
// the same initial weights the head then trains on). Pure-Go engine, tiny sizes.
func TestFrozenScalerMatchesEmbeddings(t *testing.T) {
	b, _, err := engine.OpenConfig(engine.PureGo)
	if err != nil {
		t.Fatal(err)
	}
	ds := NewToyData(5, 64, 14, 7, 32)
	trainBatches := func(epoch int) iter.Seq[*data.Batch] { return ds.Batches(0, 40, 16, true, 2, epoch) }
	dir := filepath.Join(t.TempDir(), "ft")
	_, err = Run(Options{Backend: b, Init: "none", Freeze: true, NumClasses: ds.Classes, Vocab: ds.Vocab, Windows: ds.Days,
		Settings: params.MustParse("d=16;layers=1;heads=2;ff=16;epochs=1;seed=3"), Progress: io.Discard, Train: trainBatches,
		Test: ds.Batches(40, 64, 16, false, 0, 0), Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	ctx, _, err := LoadPretrained(dir)
	if err != nil {
		t.Fatal(err)
	}
	stored := func(name string) []float32 {
		v := ctx.GetVariableByScopeAndName("/"+HeadScope+"/"+standardizeScope, name)
		if v == nil {
			t.Fatalf("no %s in the finetuned checkpoint", name)
		}
		out, _ := tensors.CopyFlatData[float32](v.MustValue())
		return out
	}
	mean, inv := stored("mean"), stored("inv_std")

	// Embed the same 40 training users with the finetuned run's (frozen, so initial) encoder.
	var rows [][]float32
	err = Embed(b, dir, 0, ds.Batches(0, 40, 16, false, 0, 0), func(users []int32, e [][]float32) error {
		for i, u := range users {
			if u >= 0 {
				rows = append(rows, e[i])
			}
		}
		return nil
	})
	if err != nil || len(rows) != 40 {
		t.Fatalf("embedded %d users, err %v", len(rows), err)
	}
	for j := range mean {
		var s, s2 float64
		for _, r := range rows {
			s += float64(r[j])
			s2 += float64(r[j]) * float64(r[j])
		}
		m := s / 40
		sd := math.Sqrt(s2/40 - m*m)
		if math.Abs(m-float64(mean[j])) > 1e-4 || math.Abs(1/(sd+stdEpsilon)-float64(inv[j])) > 1e-3*float64(inv[j]) {
			t.Fatalf("dim %d: stored mean %g 1/std %g; E has mean %g 1/std %g", j, mean[j], inv[j], m, 1/(sd+stdEpsilon))
		}
	}
}
