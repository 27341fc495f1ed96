package bench_test

import (
	"math"
	"testing"

	"github.com/byb-dev/byb/byb/bench"
	"github.com/byb-dev/byb/byb/engine"
	"github.com/byb-dev/byb/byb/objective"
	"github.com/byb-dev/byb/byb/params"
)

// A tiny measurement runs end to end on the pure-Go engine and reports sane numbers.
func TestRunSmoke(t *testing.T) {
	res, err := bench.Run(bench.Config{Name: "smoke", Engine: "go", B: 4, N: 16, T: 6, Vocab: []int{30, 6, 4},
		Pool: true, Warmup: 1, Steps: 2, Settings: params.MustParse("d=16;layers=1;heads=2;ff=16")}, objective.Lookup)
	if err != nil {
		t.Fatal(err)
	}
	if !(res.SamplesPerSec > 0) || math.IsNaN(res.FinalLoss) || res.PeakRSSMiB <= 0 {
		t.Fatalf("bad result %+v", res)
	}
	ft, err := bench.Run(bench.Config{Name: "smoke", Stage: "finetune", Engine: "go", B: 4, N: 16, T: 6, Vocab: []int{30, 6, 4},
		Pool: true, Warmup: 1, Steps: 2, Settings: params.MustParse("d=16;layers=1;heads=2;ff=16")}, objective.Lookup)
	if err != nil {
		t.Fatal(err)
	}
	if !(ft.SamplesPerSec > 0) || !(ft.FinalLoss > 0) {
		t.Fatalf("bad FT-train result %+v", ft)
	}
}

// BenchmarkPretrainStepA times BYB pretraining at the brief's shape (a) on the default engine:
//
//	go test ./byb/bench -run XXX -bench PretrainStep -benchtime 1x
//
// (cmd/byb-bench is the full table, with the peer.)
func BenchmarkPretrainStepA(b *testing.B) {
	cfg := engine.DefaultConfig()
	for _, pool := range []bool{true, false} {
		name := "pool"
		if !pool {
			name = "nopool"
		}
		b.Run(name, func(b *testing.B) {
			for range b.N {
				res, err := bench.Run(bench.Config{Name: "a", Engine: cfg, B: 64, N: 128, T: 60, Vocab: []int{10000, 100, 10},
					Pool: pool, Warmup: 2, Steps: 5}, objective.Lookup)
				if err != nil {
					b.Fatal(err)
				}
				b.ReportMetric(res.SamplesPerSec, "samples/s")
				b.ReportMetric(res.PeakRSSMiB, "peakRSS_MiB")
			}
		})
	}
}
