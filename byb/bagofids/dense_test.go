package bagofids

import (
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"os/exec"
	"strings"
	"testing"

	"github.com/byb-dev/byb/internal/testenv"
)

// Two samples, one dense feature (3 and 7: standardised to -1 and +1), labels 0 and 1, worked
// out by hand. The objective depends on W only through u = W[1] = -W[0] at the optimum (the
// penalty prefers opposite weights) and the biases stay equal by symmetry, so it is
// -log σ(2u) + l2·u², whose minimum solves l2·u = 1 - σ(2u): found here by bisection.
func TestTwoSampleFitByHand(t *testing.T) {
	const l2 = 0.5
	samples := []Sample{{Dense: []float64{3}, Label: 0}, {Dense: []float64{7}, Label: 1}}
	m, err := Fit(samples, 2, 0, l2, 200)
	if err != nil {
		t.Fatal(err)
	}
	sigmoid := func(x float64) float64 { return 1 / (1 + math.Exp(-x)) }
	lo, hi := 0.0, 1/l2
	for range 100 {
		u := (lo + hi) / 2
		if l2*u < 1-sigmoid(2*u) {
			lo = u
		} else {
			hi = u
		}
	}
	u := (lo + hi) / 2 // ≈ 0.5211
	if m.Dense != 1 || m.Mean[0] != 5 || m.Std[0] != 2 {
		t.Fatalf("dense features %d, mean %v, std %v; want 1, 5, 2", m.Dense, m.Mean, m.Std)
	}
	if math.Abs(m.W[1]-u) > 1e-6 || math.Abs(m.W[0]+u) > 1e-6 || math.Abs(m.B[1]-m.B[0]) > 1e-6 {
		t.Fatalf("W %v, B %v; want W = [-%.6f %.6f], equal biases", m.W, m.B, u, u)
	}
	p, err := m.Predict([]Sample{{Dense: []float64{7}}, {Dense: []float64{5}}, {Dense: []float64{1}}})
	if err != nil {
		t.Fatal(err)
	}
	// 7 → z=+1, 5 → z=0, 1 → z=-2.
	for i, want := range []float64{sigmoid(2 * u), 0.5, sigmoid(-4 * u)} {
		if math.Abs(p[i][1]-want) > 1e-6 {
			t.Errorf("P(1 | sample %d) = %.8f, want %.8f", i, p[i][1], want)
		}
	}
}

// Every sample of a model has the same number of dense features: a fit over mixed widths and
// a prediction with another width are refused, saying so; any consistent width is a model
// with one weight row per dense feature.
func TestDenseWidthMismatchIsRefused(t *testing.T) {
	samples := tiny()
	samples[2].Dense = append(samples[2].Dense, 0.5)
	if _, err := Fit(samples, 3, 3, 0.1, 10); err == nil || !strings.Contains(err.Error(), "sample 2 has 4 dense features, not 3") {
		t.Fatalf("mixed widths: %v; want an error naming sample 2's 4 dense features", err)
	}
	wide := tiny()
	for i := range wide {
		for k := range 128 {
			wide[i].Dense = append(wide[i].Dense, float64(i*k%7))
		}
	}
	m, err := Fit(wide, 3, 3, 0.1, 10)
	if err != nil {
		t.Fatal(err)
	}
	if m.Dense != 131 || len(m.W) != 3*(3+131) || len(m.Mean) != 131 {
		t.Fatalf("a fit over 131 dense features: %d of them, %d weights", m.Dense, len(m.W))
	}
	if _, err := m.Predict(tiny()[:1]); err == nil || !strings.Contains(err.Error(), "has 3 dense features, not 131") {
		t.Fatalf("predicting with 3 dense features from a model of 131: %v", err)
	}
}

// sklearnScript fits scikit-learn's multinomial LogisticRegression on the features as byb
// sees them (sparse values as they are, dense ones standardised with the population std) and
// prints its probabilities. byb minimises mean cross-entropy + l2/2·‖W‖² with free biases;
// scikit-learn C·Σ cross-entropy + ½‖W‖², the same minimum at C = 1/(l2·n).
const sklearnScript = `
import json, sys
import numpy as np
from sklearn.linear_model import LogisticRegression
d = json.load(sys.stdin)
X, y, k = np.array(d["x"]), np.array(d["y"]), d["sparse"]
dense = X[:, k:]
X[:, k:] = (dense - dense.mean(axis=0)) / dense.std(axis=0)
m = LogisticRegression(C=1 / (d["l2"] * len(y)), tol=1e-12, max_iter=100000).fit(X, y)
print(json.dumps(m.predict_proba(X).tolist()))
`

// byb's fit of sparse and dense features (10 dense, as a tiny E) gives scikit-learn's
// probabilities: an implementation other than byb's objective and L-BFGS.
func TestFitMatchesScikitLearn(t *testing.T) {
	testenv.SkipShort(t, "live scikit-learn comparison")
	py, err := exec.LookPath("python3")
	testenv.Require(t, err == nil, "python3 in PATH (for the scikit-learn comparison)", "`just setup` (`just test` puts its venv first in PATH)")
	out, err := exec.Command(py, "-c", "import numpy, sklearn").CombinedOutput()
	testenv.Require(t, err == nil, fmt.Sprintf("numpy and scikit-learn for %s (%v: %s)", py, err, testenv.LastLine(out)),
		"`just setup`, or pip install scikit-learn numpy")
	seed := testenv.Seed(t, 11)
	r := rand.New(rand.NewPCG(seed, 3))
	const n, classes, sparse, dense, l2 = 90, 3, 6, 10, 0.05
	var samples []Sample
	x := make([][]float64, n)
	y := make([]int, n)
	for i := range n {
		s := Sample{Label: int32(i % classes)}
		x[i] = make([]float64, sparse+dense)
		for c := range sparse {
			p := 0.3
			if c%classes == int(s.Label) {
				p = 0.6
			}
			if r.Float64() < p {
				s.Index, s.Value = append(s.Index, int32(c)), append(s.Value, float32(math.Log1p(float64(1+r.IntN(4)))))
				x[i][c] = float64(s.Value[len(s.Value)-1])
			}
		}
		for j := range dense {
			v := 2*r.NormFloat64() + 3 + 0.5*float64(int(s.Label)*(j%3))
			s.Dense = append(s.Dense, v)
			x[i][sparse+j] = v
		}
		samples, y[i] = append(samples, s), int(s.Label)
	}
	m, err := Fit(samples, classes, sparse, l2, 1000)
	if err != nil {
		t.Fatal(err)
	}
	got, err := m.Predict(samples)
	if err != nil {
		t.Fatal(err)
	}
	in, _ := json.Marshal(map[string]any{"x": x, "y": y, "sparse": sparse, "l2": l2})
	cmd := exec.Command(py, "-c", sklearnScript)
	cmd.Stdin = strings.NewReader(string(in))
	if out, err = cmd.Output(); err != nil {
		t.Fatalf("seed %d: python: %v", seed, err)
	}
	var want [][]float64
	if err := json.Unmarshal(out, &want); err != nil || len(want) != n {
		t.Fatalf("seed %d: parsing %q: %v", seed, out, err)
	}
	worst := 0.0
	for i := range n {
		for c := range classes {
			worst = max(worst, math.Abs(got[i][c]-want[i][c]))
		}
	}
	t.Logf("largest difference from scikit-learn's probabilities: %.2g", worst)
	if worst > 1e-4 {
		t.Errorf("seed %d: probabilities differ from scikit-learn's by up to %.2g (sample 0: byb %v, sklearn %v)", seed, worst, got[0], want[0])
	}
}
