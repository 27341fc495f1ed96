package bench_test

import (
	"math"
	"strings"
	"testing"

	"github.com/byb-dev/byb/byb/bench"
)

// The FLOP count of a tiny shape, written out by hand term by term.
func TestFLOPsPerSampleByHand(t *testing.T) {
	s := bench.Shape{N: 10, T: 4, M: 3, Pool: true, D: 8, FF: 16, Layers: 2, Predictor: true, TargetLen: 5, TrainSteps: true}
	behavior := func(n float64) float64 { return 2*n*3*8 + 2*n*8*8 } // gate (d → 1 for each of m IDs) and W1
	layer := 4*2*4.0*8*8 + 2*2*4.0*4*8 + 2*2*4.0*8*16                // projections, scores and mix, feed-forward
	fwd := behavior(10) + 2*layer + 2*2*4.0*8*8                      // + predictor
	if got, want := bench.FLOPsPerSample(s), 3*fwd+behavior(5); math.Abs(got-want) > 1e-9 {
		t.Errorf("pooled training step: %v FLOPs, by hand %v", got, want)
	}
	s.Pool, s.Predictor, s.TargetLen, s.TrainSteps = false, false, 0, false
	rawLayer := 4*2*10.0*8*8 + 2*2*10.0*10*8 + 2*2*10.0*8*16
	if got, want := bench.FLOPsPerSample(s), behavior(10)+2*rawLayer; math.Abs(got-want) > 1e-9 {
		t.Errorf("raw forward: %v FLOPs, by hand %v", got, want)
	}
	// The paper's Base at shape (b) pooled: about 0.76 GFLOP a sample.
	b := bench.Shape{N: 1024, T: 180, M: 3, Pool: true, D: 128, FF: 128, Layers: 4, Predictor: true, TargetLen: 32, TrainSteps: true}
	if g := bench.FLOPsPerSample(b) / 1e9; g < 0.7 || g > 0.8 {
		t.Errorf("shape (b) pooled: %.3f GFLOP a sample, want about 0.76", g)
	}
}

// The peak comes from the flags, the clock in the model name (else cpu MHz) and the cores.
func TestCPUPeak(t *testing.T) {
	xeon := "processor\t: 0\nmodel name\t: Intel(R) Xeon(R) Gold 6148 CPU @ 2.40GHz\ncpu MHz\t\t: 3100.000\nflags\t\t: fpu sse avx2 fma avx512f avx512dq\n\nprocessor\t: 1\nflags\t\t: nothing\n"
	p, err := bench.CPUPeak(strings.NewReader(xeon), 2)
	if err != nil || math.Abs(p.GFLOPs-2*2.4*16*2*2) > 1e-9 || !strings.Contains(p.How, "AVX-512") {
		t.Errorf("Xeon: %+v, %v; want 2 × 2.4 × 16 × 4 = 307.2", p, err)
	}
	epyc := "model name\t: AMD EPYC\ncpu MHz\t\t: 2250.000\nflags\t\t: fpu avx fma avx2\n"
	if p, err = bench.CPUPeak(strings.NewReader(epyc), 2); err != nil || math.Abs(p.GFLOPs-2*2.25*8*2*2) > 1e-9 || !strings.Contains(p.How, "current clock") {
		t.Errorf("EPYC: %+v, %v; want 2 × 2.25 × 8 × 4 = 144", p, err)
	}
	if _, err := bench.CPUPeak(strings.NewReader("flags\t: sse2\ncpu MHz\t: 2000\n"), 2); err == nil {
		t.Error("a CPU without AVX2/FMA got a peak")
	}
}
