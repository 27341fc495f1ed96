package tsne

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/byb-dev/byb/byb/engine"
	"github.com/byb-dev/byb/internal/testenv"
	. "github.com/gomlx/gomlx/pkg/core/graph" //nolint:revive // GoMLX convention
	"github.com/gomlx/gomlx/pkg/core/tensors"
)

// The binary search finds the Gaussian whose perplexity is the one asked for: the
// conditional's entropy, recomputed here as −Σ p log p, is log(perp).
func TestConditionalHasThePerplexityAsked(t *testing.T) {
	d2 := []float64{0, 1, 4, 9, 16, 25, 2.5}
	out := make([]float64, len(d2))
	for _, perp := range []float64{1.5, 2, 3.7, 5} {
		conditional(d2, 0, math.Log(perp), out)
		var h, sum float64
		for j, p := range out {
			sum += p
			if p > 0 {
				h -= p * math.Log(p)
			}
			if j == 0 && p != 0 {
				t.Fatalf("p(self) = %v, want 0", p)
			}
		}
		if math.Abs(sum-1) > 1e-9 || math.Abs(math.Exp(h)-perp) > 1e-4 {
			t.Errorf("perplexity %v: got Σp=%v, exp(H)=%v", perp, sum, math.Exp(h))
		}
		// Nearer points weigh more.
		if !(out[1] > out[6] && out[6] > out[2] && out[2] > out[3]) {
			t.Errorf("perplexity %v: weights %v do not fall with distance", perp, out)
		}
	}
}

// P is symmetric, sums to one and has a zero diagonal.
func TestJointPIsADistribution(t *testing.T) {
	x := randomPoints(rand.New(rand.NewPCG(testenv.Seed(t, 3), 1)), 12, 5)
	p := JointP(x, 3)
	n := len(x)
	var sum float64
	for i := 0; i < n; i++ {
		if p[i*n+i] != 0 {
			t.Errorf("p[%d][%d] = %v, want 0", i, i, p[i*n+i])
		}
		for j := 0; j < n; j++ {
			sum += float64(p[i*n+j])
			if p[i*n+j] != p[j*n+i] {
				t.Fatalf("p[%d][%d]=%v != p[%d][%d]=%v", i, j, p[i*n+j], j, i, p[j*n+i])
			}
		}
	}
	if math.Abs(sum-1) > 1e-4 {
		t.Errorf("Σ p = %v, want 1", sum)
	}
}

// The graph's closed-form gradient matches central finite differences of the host's KL.
func TestKLGradientMatchesFiniteDifferences(t *testing.T) {
	backend, _, err := engine.OpenConfig(engine.PureGo)
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(testenv.Seed(t, 4), 2))
	n := 7
	p := JointP(randomPoints(rng, n, 3), 2)
	y := make([][2]float32, n)
	flat := make([]float32, 0, 2*n)
	for i := range y {
		y[i] = [2]float32{float32(rng.NormFloat64()), float32(rng.NormFloat64())}
		flat = append(flat, y[i][0], y[i][1])
	}
	got := tensors.MustCopyFlatData[float32](MustExecOnce(backend, func(p, y *Node) *Node { return KLGradient(p, y) },
		tensors.FromFlatDataAndDimensions(p, n, n), tensors.FromFlatDataAndDimensions(flat, n, 2)))
	const h = 1e-2
	for i := 0; i < n; i++ {
		for k := 0; k < 2; k++ {
			plus, minus := clone(y), clone(y)
			plus[i][k] += h
			minus[i][k] -= h
			want := (KL(p, plus) - KL(p, minus)) / (2 * h)
			if g := float64(got[2*i+k]); math.Abs(g-want) > 2e-3+0.02*math.Abs(want) {
				t.Errorf("∂KL/∂y[%d][%d]: graph %.5f, finite differences %.5f", i, k, g, want)
			}
		}
	}
}

// Three well-separated Gaussian clusters in 8-D stay separated in the 2-D map: every point's
// nearest neighbour in the map is from its own cluster, and the KL falls far below the
// starting map's.
func TestEmbedSeparatesKnownClusters(t *testing.T) {
	backend, _, err := engine.OpenConfig(engine.PureGo)
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(testenv.Seed(t, 5), 3))
	const perCluster, dims = 20, 8
	var x [][]float32
	var label []int
	for c := 0; c < 3; c++ {
		for _, pt := range randomPoints(rng, perCluster, dims) {
			pt[c] += 10 // cluster c sits 10 away along axis c; within-cluster std 1
			x = append(x, pt)
			label = append(label, c)
		}
	}
	res, err := Embed(backend, x, Options{Perplexity: 8, Iterations: 500, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	start := make([][2]float32, len(x))
	for i := range start {
		start[i] = [2]float32{float32(1e-4 * rng.NormFloat64()), float32(1e-4 * rng.NormFloat64())}
	}
	p := JointP(x, 8)
	if k0 := KL(p, start); !(res.KL < 0.5*k0) {
		t.Errorf("KL %.3f after t-SNE, %.3f at a random start: want less than half", res.KL, k0)
	}
	wrong := 0
	for i, yi := range res.Y {
		best, bestD := -1, math.Inf(1)
		for j, yj := range res.Y {
			dx, dy := float64(yi[0]-yj[0]), float64(yi[1]-yj[1])
			if d := dx*dx + dy*dy; j != i && d < bestD {
				best, bestD = j, d
			}
		}
		if label[best] != label[i] {
			wrong++
		}
	}
	if wrong > 0 {
		t.Errorf("%d of %d points have their nearest map neighbour in another cluster", wrong, len(x))
	}
}

func TestEmbedRejectsBadInput(t *testing.T) {
	backend, _, err := engine.OpenConfig(engine.PureGo)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Embed(backend, [][]float32{{1}, {2}, {3}}, Options{}); err == nil {
		t.Error("3 points: want an error")
	}
	if _, err := Embed(backend, [][]float32{{1}, {2}, {3}, {4, 5}}, Options{}); err == nil {
		t.Error("ragged points: want an error")
	}
}

func randomPoints(rng *rand.Rand, n, dims int) [][]float32 {
	x := make([][]float32, n)
	for i := range x {
		x[i] = make([]float32, dims)
		for k := range x[i] {
			x[i][k] = float32(rng.NormFloat64())
		}
	}
	return x
}

func clone(y [][2]float32) [][2]float32 { return append([][2]float32(nil), y...) }
