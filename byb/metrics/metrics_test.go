package metrics

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/byb-dev/byb/internal/testenv"
)

const tol = 1e-12

func near(a, b float64) bool { return math.Abs(a-b) <= tol }

type binaryFixture struct {
	Name   string    `json:"name"`
	Scores []float64 `json:"scores"`
	Labels []int     `json:"labels"`
	AUROC  float64   `json:"auroc"`
	KS     float64   `json:"ks"`
}

type multiFixture struct {
	Name        string     `json:"name"`
	NumClasses  int        `json:"num_classes"`
	Probs       []float64  `json:"probs"`
	Labels      []int      `json:"labels"`
	PerClass    []*float64 `json:"per_class"`
	MacroAUROC  float64    `json:"macro_auroc"`
	ClassesUsed int        `json:"classes_used"`
	Accuracy    float64    `json:"accuracy"`
	SklearnOVR  bool       `json:"sklearn_ovr"`
}

func loadFixture[T any](t *testing.T, name string) []T {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	var f struct {
		Cases []T `json:"cases"`
	}
	if err := json.Unmarshal(raw, &f); err != nil {
		t.Fatal(err)
	}
	if len(f.Cases) == 0 {
		t.Fatalf("%s: no cases", name)
	}
	return f.Cases
}

func TestBinaryFixtures(t *testing.T) {
	for _, c := range loadFixture[binaryFixture](t, "binary.json") {
		t.Run(c.Name, func(t *testing.T) {
			auc, err := AUROC(c.Scores, c.Labels)
			if err != nil {
				t.Fatal(err)
			}
			if !near(auc, c.AUROC) {
				t.Errorf("AUROC = %.17g, sklearn %.17g", auc, c.AUROC)
			}
			ks, err := KS(c.Scores, c.Labels)
			if err != nil {
				t.Fatal(err)
			}
			if !near(ks, c.KS) {
				t.Errorf("KS = %.17g, sklearn %.17g", ks, c.KS)
			}
			res, err := Evaluate(Binary, 2, c.Scores, c.Labels)
			if err != nil {
				t.Fatal(err)
			}
			if res[MetricAUROC] != auc || res[MetricKS] != ks || res[MetricNumSamples] != float64(len(c.Labels)) {
				t.Errorf("Evaluate = %v, want auroc=%v ks=%v", res, auc, ks)
			}
		})
	}
}

func TestMultiClassFixtures(t *testing.T) {
	sawOVR, sawAbsent := false, false
	for _, c := range loadFixture[multiFixture](t, "multiclass.json") {
		t.Run(c.Name, func(t *testing.T) {
			sawOVR = sawOVR || c.SklearnOVR
			sawAbsent = sawAbsent || c.ClassesUsed < c.NumClasses
			macro, used, err := MacroAUROC(c.Probs, c.NumClasses, c.Labels)
			if err != nil {
				t.Fatal(err)
			}
			if !near(macro, c.MacroAUROC) || used != c.ClassesUsed {
				t.Errorf("MacroAUROC = %.17g over %d classes, want %.17g over %d", macro, used, c.MacroAUROC, c.ClassesUsed)
			}
			per, err := OneVsRestAUROC(c.Probs, c.NumClasses, c.Labels)
			if err != nil {
				t.Fatal(err)
			}
			for k, want := range c.PerClass {
				switch {
				case want == nil && !math.IsNaN(per[k]):
					t.Errorf("class %d: got %v, want NaN (skipped)", k, per[k])
				case want != nil && !near(per[k], *want):
					t.Errorf("class %d: got %.17g, want %.17g", k, per[k], *want)
				}
			}
			rows := make([][]float64, len(c.Labels))
			for i := range rows {
				rows[i] = c.Probs[i*c.NumClasses : (i+1)*c.NumClasses]
			}
			m2, u2, err := MacroAUROCRows(rows, c.Labels)
			if err != nil || m2 != macro || u2 != used {
				t.Errorf("MacroAUROCRows = %v, %v, %v; want %v, %v", m2, u2, err, macro, used)
			}
			res, err := Evaluate(MultiClass, c.NumClasses, c.Probs, c.Labels)
			if err != nil {
				t.Fatal(err)
			}
			if res[MetricMacroAUROC] != macro || res[MetricMacroAUROCClasses] != float64(used) || !near(res[MetricAccuracy], c.Accuracy) {
				t.Errorf("Evaluate = %v, want macro=%v classes=%d accuracy=%v", res, macro, used, c.Accuracy)
			}
		})
	}
	if !sawOVR || !sawAbsent {
		t.Errorf("fixtures lack coverage: sklearn OvR case %v, absent-class case %v", sawOVR, sawAbsent)
	}
}

// Hand-computed cases.
func TestHandComputed(t *testing.T) {
	cases := []struct {
		name    string
		scores  []float64
		labels  []int
		auc, ks float64
	}{
		// Pairs (p,n): (0.8,0.1)=1 (0.8,0.4)=1 (0.35,0.1)=1 (0.35,0.4)=0 → 3/4.
		// Thresholds 0.8:(1/2,0) 0.4:(1/2,1/2) 0.35:(1,1/2) → KS 1/2.
		{"textbook", []float64{0.1, 0.4, 0.35, 0.8}, []int{0, 0, 1, 1}, 0.75, 0.5},
		// One positive tied with one of two negatives: (1 + 1/2)/2.
		{"tie", []float64{0.5, 0.5, 0.2}, []int{1, 0, 0}, 0.75, 0.5},
		// Everything tied: 1/2, and the single threshold gives TPR=FPR=1.
		{"all_tied", []float64{3, 3, 3, 3}, []int{1, 0, 1, 0}, 0.5, 0},
		{"separated", []float64{-1, 0, 2, 5}, []int{0, 0, 1, 1}, 1, 1},
		{"reversed", []float64{-1, 0, 2, 5}, []int{1, 1, 0, 0}, 0, 0},
		// Infinite scores are ordinary values; -0 ties with +0:
		// pairs (-0,-Inf)=1 (-0,0)=1/2 (Inf,-Inf)=1 (Inf,0)=1 → 7/8.
		{"inf_and_signed_zero", []float64{math.Inf(-1), math.Copysign(0, -1), 0, math.Inf(1)}, []int{0, 1, 0, 1}, 0.875, 0.5},
	}
	for _, c := range cases {
		auc, ks, err := AUROCAndKS(c.scores, c.labels)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if auc != c.auc || ks != c.ks {
			t.Errorf("%s: AUROC, KS = %v, %v; want %v, %v", c.name, auc, ks, c.auc, c.ks)
		}
	}
}

func TestMacroHandComputed(t *testing.T) {
	// 3 classes declared, class 2 never appears: skipped, mean of classes 0 and 1.
	probs := []float64{
		0.7, 0.2, 0.1, // y=0
		0.6, 0.3, 0.1, // y=0
		0.5, 0.4, 0.1, // y=1
		0.1, 0.8, 0.1, // y=1
	}
	labels := []int{0, 0, 1, 1}
	macro, used, err := MacroAUROC(probs, 3, labels)
	if err != nil || used != 2 || macro != 1 {
		t.Fatalf("MacroAUROC = %v, %v, %v; want 1, 2, nil", macro, used, err)
	}
	// Make class 1 imperfect: AUROC_1 = 3/4 (0.3 vs 0.4 & 0.2 vs ...).
	probs[1*3+1] = 0.45 // y=0 sample scoring 0.45 for class 1 beats y=1's 0.4
	per, err := OneVsRestAUROC(probs, 3, labels)
	if err != nil {
		t.Fatal(err)
	}
	if per[0] != 1 || per[1] != 0.75 || !math.IsNaN(per[2]) {
		t.Fatalf("per-class = %v, want [1 0.75 NaN]", per)
	}
	macro, used, _ = MacroAUROC(probs, 3, labels)
	if macro != 0.875 || used != 2 {
		t.Fatalf("macro = %v over %d, want 0.875 over 2", macro, used)
	}
	acc, err := Accuracy(probs, 3, labels)
	if err != nil || acc != 0.75 { // sample 2: 0.5 vs 0.4 → predicts 0
		t.Fatalf("Accuracy = %v, %v; want 0.75", acc, err)
	}
}

func TestErrors(t *testing.T) {
	if _, err := AUROC([]float64{1, 2}, []int{1, 1}); !errors.Is(err, ErrSingleClass) {
		t.Errorf("all positive: err = %v, want ErrSingleClass", err)
	}
	if _, err := KS([]float64{1, 2}, []int{0, 0}); !errors.Is(err, ErrSingleClass) {
		t.Errorf("all negative: err = %v, want ErrSingleClass", err)
	}
	if _, err := AUROC(nil, nil); !errors.Is(err, ErrSingleClass) {
		t.Errorf("empty: err = %v, want ErrSingleClass", err)
	}
	if _, err := AUROC([]float64{1}, []int{0, 1}); err == nil {
		t.Error("length mismatch: no error")
	}
	if _, err := AUROC([]float64{1, 2}, []int{0, 2}); err == nil {
		t.Error("label 2 in binary task: no error")
	}
	if _, err := AUROC([]float64{math.NaN(), 2}, []int{0, 1}); err == nil {
		t.Error("NaN score: no error")
	}
	if _, _, err := MacroAUROC([]float64{0.5, 0.5, 0.2, 0.8}, 2, []int{1, 1}); !errors.Is(err, ErrSingleClass) {
		t.Errorf("single class macro: err = %v, want ErrSingleClass", err)
	}
	if _, _, err := MacroAUROC([]float64{0.5, 0.5, 0.2}, 2, []int{0, 1}); err == nil {
		t.Error("bad probs length: no error")
	}
	if _, _, err := MacroAUROC([]float64{0.5, 0.5, 0.2, 0.8}, 2, []int{0, 2}); err == nil {
		t.Error("label out of range: no error")
	}
	if _, _, err := MacroAUROCRows([][]float64{{1, 2}, {1}}, []int{0, 1}); err == nil {
		t.Error("ragged rows: no error")
	}
	if _, err := Evaluate(Binary, 3, []float64{1, 2}, []int{0, 1}); err == nil {
		t.Error("binary with 3 classes: no error")
	}
	if _, err := Evaluate(Task(9), 2, []float64{1, 2}, []int{0, 1}); err == nil {
		t.Error("unknown task: no error")
	}
}

func TestInputsNotModified(t *testing.T) {
	s := []float64{0.3, 0.1, 0.2}
	l := []int{1, 0, 1}
	if _, _, err := AUROCAndKS(s, l); err != nil {
		t.Fatal(err)
	}
	if s[0] != 0.3 || s[1] != 0.1 || s[2] != 0.2 || l[0] != 1 || l[1] != 0 || l[2] != 1 {
		t.Errorf("inputs modified: %v %v", s, l)
	}
}

// Brute-force O(n²) pair counting must agree with the sort-based AUROC.
func TestAUROCMatchesPairCounting(t *testing.T) {
	seed := testenv.Seed(t, 1)
	r := rand.New(rand.NewPCG(seed, 2))
	for trial := range 50 {
		n := 2 + r.IntN(300)
		s := make([]float64, n)
		l := make([]int, n)
		for i := range n {
			s[i] = float64(r.IntN(1 + trial)) // small ranges → many ties
			l[i] = r.IntN(2)
		}
		l[0], l[1] = 0, 1
		var num, np, nn float64
		for i := range n {
			if l[i] == 1 {
				np++
			} else {
				nn++
			}
			for j := range n {
				if l[i] == 1 && l[j] == 0 {
					switch {
					case s[i] > s[j]:
						num++
					case s[i] == s[j]:
						num += 0.5
					}
				}
			}
		}
		auc, err := AUROC(s, l)
		if err != nil {
			t.Fatal(err)
		}
		if want := num / (np * nn); !near(auc, want) {
			t.Fatalf("seed %d trial %d: AUROC %v, pair counting %v", seed, trial, auc, want)
		}
	}
}

func TestResultString(t *testing.T) {
	got := Result{MetricKS: 0.5, MetricAUROC: 0.75}.String()
	if got != "auroc=0.75 ks=0.5" {
		t.Errorf("String() = %q", got)
	}
}

// liveScript reads {"binary": {...}, "multi": {...}} from stdin and prints
// sklearn's values.
const liveScript = `
import json, sys
import numpy as np
from sklearn.metrics import roc_auc_score, roc_curve
d = json.load(sys.stdin)
b = d["binary"]
fpr, tpr, _ = roc_curve(b["labels"], b["scores"])
m = d["multi"]
P = np.array(m["probs"]).reshape(-1, m["c"])
print(json.dumps({
    "auroc": float(roc_auc_score(b["labels"], b["scores"])),
    "ks": float(np.max(tpr - fpr)),
    "macro": float(roc_auc_score(m["labels"], P, multi_class="ovr", average="macro")),
}))
`

// TestLiveSklearn compares against scikit-learn on fresh random data when
// python3 with numpy and scikit-learn is available.
func TestLiveSklearn(t *testing.T) {
	testenv.SkipShort(t, "live scikit-learn comparison (the fixtures still cover sklearn parity)")
	py, err := exec.LookPath("python3")
	testenv.Require(t, err == nil, "python3 in PATH (for the live scikit-learn comparison; the fixtures still cover sklearn parity)",
		"`just setup` (`just test` puts its venv first in PATH)")
	out, err := exec.Command(py, "-c", "import numpy, sklearn").CombinedOutput()
	testenv.Require(t, err == nil,
		fmt.Sprintf("numpy and scikit-learn for %s (%v: %s)", py, err, testenv.LastLine(out)),
		"`just setup`, or pip install scikit-learn numpy")
	seed := testenv.Seed(t, 20240611)
	r := rand.New(rand.NewPCG(seed, 7))
	const n, c = 2000, 4
	bs := make([]float64, n)
	bl := make([]int, n)
	for i := range n {
		bl[i] = r.IntN(2)
		bs[i] = math.Round((r.NormFloat64()+0.7*float64(bl[i]))*20) / 20 // ties
	}
	ml := make([]int, n)
	mp := make([]float64, n*c)
	for i := range n {
		ml[i] = r.IntN(c)
		sum := 0.0
		for k := range c {
			z := r.NormFloat64()
			if k == ml[i] {
				z += 0.8
			}
			mp[i*c+k] = math.Exp(z)
			sum += mp[i*c+k]
		}
		for k := range c {
			mp[i*c+k] /= sum
		}
	}
	in, _ := json.Marshal(map[string]any{
		"binary": map[string]any{"scores": bs, "labels": bl},
		"multi":  map[string]any{"probs": mp, "labels": ml, "c": c},
	})
	cmd := exec.Command(py, "-c", liveScript)
	cmd.Stdin = strings.NewReader(string(in))
	out, err = cmd.Output()
	if err != nil {
		t.Fatalf("seed %d: python: %v", seed, err)
	}
	var want struct{ AUROC, KS, Macro float64 }
	if err := json.Unmarshal(out, &want); err != nil {
		t.Fatalf("seed %d: parsing %q: %v", seed, out, err)
	}
	auc, ks, err := AUROCAndKS(bs, bl)
	if err != nil {
		t.Fatal(err)
	}
	macro, used, err := MacroAUROC(mp, c, ml)
	if err != nil {
		t.Fatal(err)
	}
	if !near(auc, want.AUROC) || !near(ks, want.KS) || !near(macro, want.Macro) || used != c {
		t.Errorf("seed %d: Go auroc=%.17g ks=%.17g macro=%.17g (%d classes); sklearn %+v", seed, auc, ks, macro, used, want)
	}
}

func BenchmarkAUROC1e6(b *testing.B) {
	const n = 1_000_000
	r := rand.New(rand.NewPCG(3, 4))
	s := make([]float64, n)
	l := make([]int, n)
	for i := range n {
		l[i] = r.IntN(2)
		s[i] = r.NormFloat64() + 0.5*float64(l[i])
	}
	b.ResetTimer()
	for b.Loop() {
		if _, err := AUROC(s, l); err != nil {
			b.Fatal(err)
		}
	}
}
