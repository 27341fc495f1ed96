package bench

import (
	"bufio"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"
)

// Shape is what a training step's arithmetic depends on: the batch's sequences and the
// model's widths.
type Shape struct {
	N, T, M    int  // behaviors per sequence, pooling windows, ID slots
	Pool       bool // the Transformer runs over the T windows (false: over the n behaviors)
	D, FF      int  // model and feed-forward widths
	Layers     int  // Transformer layers
	Predictor  bool // BYB's 2-layer predictor (d → d → d) on every position
	TargetLen  int  // target-only behaviors a sample's teacher encodes (BYB; 0 = none)
	TrainSteps bool // count a training step: forward and backward (3× the forward); false: forward only
}

// FLOPsPerSample counts the floating-point operations of one sample's step by byb's own
// formulation: the matrix products only (2 per multiply-add; embeddings, activations,
// normalisations and the optimizer are left out, a few percent at these widths):
//
//   - behavior encoder, per behavior: the gate (d → 1 for each of its m IDs) and W1 (d·d) of
//     Eq. 3 as computed (W1 applied once to the gated sum, see encoder.BehaviorEncoder);
//   - Transformer, per layer over L tokens (L = T pooled, n raw): Q, K, V and the output
//     projection (4·L·d²), scores and their weighted sum (2·L²·d), the feed-forward (2·L·d·ff);
//   - BYB's predictor: two d×d layers per position;
//   - a training step is three forwards (the backward costs two), plus the teacher's forward
//     over the target-only behaviors (no gradient).
func FLOPsPerSample(s Shape) float64 {
	mul := func(a, b, c int) float64 { return 2 * float64(a) * float64(b) * float64(c) } // [a×b]·[b×c]
	behavior := func(n int) float64 { return mul(n, s.M, s.D) + mul(n, s.D, s.D) }       // gate: d → 1 per ID slot
	L := s.N
	if s.Pool {
		L = s.T
	}
	layer := 4*mul(L, s.D, s.D) + 2*mul(L, L, s.D) + 2*mul(L, s.D, s.FF)
	fwd := behavior(s.N) + float64(s.Layers)*layer
	if s.Predictor {
		fwd += 2 * mul(L, s.D, s.D)
	}
	if !s.TrainSteps {
		return fwd
	}
	return 3*fwd + behavior(s.TargetLen)
}

// Peak is the fp32 arithmetic a CPU can do at most, as the benchmark assumes it.
type Peak struct {
	GFLOPs float64 // per second, every usable core
	How    string  // the assumption, in words
}

var clockInName = regexp.MustCompile(`@\s*([0-9.]+)\s*GHz`)

// CPUPeak reads /proc/cpuinfo's text (its first processor) and the usable cores: vector
// width from the flags (AVX-512: 16 fp32 lanes, AVX2 with FMA: 8), two FMA units per core
// (2 flops each per lane and cycle), and the clock from the model name's "@ x GHz" or else
// "cpu MHz" (the current clock, which turbo and power saving move: the share is indicative).
func CPUPeak(cpuinfo io.Reader, cores int) (Peak, error) {
	var flags, name string
	var mhz float64
	sc := bufio.NewScanner(cpuinfo)
	for sc.Scan() {
		key, value, ok := strings.Cut(sc.Text(), ":")
		if !ok {
			continue
		}
		key, value = strings.TrimSpace(key), strings.TrimSpace(value)
		switch {
		case key == "flags" && flags == "":
			flags = " " + value + " "
		case key == "model name" && name == "":
			name = value
		case key == "cpu MHz" && mhz == 0:
			mhz, _ = strconv.ParseFloat(value, 64)
		}
	}
	lanes, isa := 0, ""
	switch {
	case strings.Contains(flags, " avx512f "):
		lanes, isa = 16, "AVX-512"
	case strings.Contains(flags, " avx2 ") && strings.Contains(flags, " fma "):
		lanes, isa = 8, "AVX2+FMA"
	default:
		return Peak{}, fmt.Errorf("cpuinfo: neither AVX-512 nor AVX2 with FMA among the flags: no peak assumed")
	}
	ghz, clock := mhz/1000, "cpu MHz, the current clock"
	if m := clockInName.FindStringSubmatch(name); m != nil {
		ghz, _ = strconv.ParseFloat(m[1], 64)
		clock = "the model name's base clock"
	}
	if ghz <= 0 || cores <= 0 {
		return Peak{}, fmt.Errorf("cpuinfo: no clock (model name %q, cpu MHz %v) or no cores (%d)", name, mhz, cores)
	}
	const fmaUnits = 2
	g := float64(cores) * ghz * float64(lanes) * 2 * fmaUnits
	return Peak{GFLOPs: g, How: fmt.Sprintf("%s (%s): %d core(s) × %.2f GHz (%s) × %d fp32 lanes × 2 (FMA) × %d FMA units = %.0f GFLOP/s",
		name, isa, cores, ghz, clock, lanes, fmaUnits, g)}, nil
}
