package finetune_test

import (
	"io"
	"iter"
	"math"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/byb-dev/byb/byb/data"
	"github.com/byb-dev/byb/byb/engine"
	"github.com/byb-dev/byb/byb/finetune"
	"github.com/byb-dev/byb/byb/params"
	. "github.com/gomlx/gomlx/pkg/core/graph" //nolint:revive
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/gomlx/gomlx/pkg/ml/context"
)

// The unfrozen head with ft_norm=none is the head as it was, Linear → ReLU → Linear on E
// itself, with no other variable; with ft_norm=layernorm it adds a LayerNorm's gain and
// offset and reads E normalised per row: its logits are those of the same layers on
// (E − mean)/std computed here by hand, and so do not change when a row of E is scaled and
// shifted. Pure-Go engine.
func TestHeadNorm(t *testing.T) {
	b, _, err := engine.OpenConfig(engine.PureGo)
	if err != nil {
		t.Fatal(err)
	}
	e := [][]float32{{1, -2, 0.5, 3}, {0.2, 0.1, -0.3, 4}}
	moved := make([][]float32, len(e)) // each row scaled by 3 and shifted by -5
	for r, row := range e {
		for _, v := range row {
			moved[r] = append(moved[r], 3*v-5)
		}
	}
	for _, norm := range []string{finetune.NormNone, finetune.NormLayer} {
		t.Run(norm, func(t *testing.T) {
			head := &finetune.Head{NumClasses: 3, Hidden: 5, Norm: norm}
			ctx := context.New()
			exec := context.MustNewExec(b, ctx.Checked(false), func(ctx *context.Context, x *Node) *Node {
				return head.Logits(ctx, x)
			})
			got := exec.MustExec(e)[0].Value().([][]float32)
			gotMoved := exec.MustExec(moved)[0].Value().([][]float32)

			var names []string
			for v := range ctx.IterVariables() {
				if strings.HasPrefix(v.Scope(), "/"+finetune.HeadScope) { // not the random generator's state
					names = append(names, v.Scope()+"/"+v.Name())
				}
			}
			slices.Sort(names)
			want := []string{"/head/hidden/dense/biases", "/head/hidden/dense/weights", "/head/output/dense/biases", "/head/output/dense/weights"}
			if norm == finetune.NormLayer {
				want = append(want[:2:2], "/head/norm/gain", "/head/norm/offset", want[2], want[3])
			}
			if !slices.Equal(names, want) {
				t.Fatalf("head variables %v, want %v", names, want)
			}
			value := func(scope, name string) []float32 {
				out, _ := tensors.CopyFlatData[float32](ctx.GetVariableByScopeAndName(scope, name).MustValue())
				return out
			}
			w1, b1 := value("/head/hidden/dense", "weights"), value("/head/hidden/dense", "biases")
			w2, b2 := value("/head/output/dense", "weights"), value("/head/output/dense", "biases")
			for r, row := range e {
				x := f64(row)
				if norm == finetune.NormLayer {
					x = standardised(x) // gain 1 and offset 0 as initialised
				}
				logits := dense(relu(dense(x, w1, b1)), w2, b2)
				for k := range logits {
					if math.Abs(float64(got[r][k])-logits[k]) > 1e-4 {
						t.Fatalf("row %d: logits %v, by hand %v", r, got[r], logits)
					}
				}
			}
			invariant := true
			for r := range got {
				for k := range got[r] {
					invariant = invariant && math.Abs(float64(got[r][k]-gotMoved[r][k])) < 1e-4
				}
			}
			if invariant != (norm == finetune.NormLayer) {
				t.Fatalf("logits unchanged by scaling and shifting E's rows: %v (want %v)", invariant, norm == finetune.NormLayer)
			}
		})
	}
}

// ft_norm reaches the head of an unfrozen run (its checkpoint holds the norm's variables),
// and a value that is neither none nor layernorm is refused.
func TestHeadNormSetting(t *testing.T) {
	b, _, err := engine.OpenConfig(engine.PureGo)
	if err != nil {
		t.Fatal(err)
	}
	ds := finetune.NewToyData(5, 48, 14, 7, 32)
	run := func(norm string) (string, error) {
		dir := filepath.Join(t.TempDir(), "ft")
		_, err := finetune.Run(finetune.Options{Backend: b, Init: "none", NumClasses: ds.Classes, Vocab: ds.Vocab, Windows: ds.Days,
			Settings: params.MustParse(tinyArch + ";epochs=1;ft_norm=" + norm), Progress: io.Discard,
			Train: func(epoch int) iter.Seq[*data.Batch] { return ds.Batches(0, 32, 16, true, 2, epoch) },
			Test:  ds.Batches(32, 48, 16, false, 0, 0), Dir: dir})
		return dir, err
	}
	if _, err := run("batchnorm"); err == nil || !strings.Contains(err.Error(), "ft_norm") {
		t.Fatalf("ft_norm=batchnorm: err %v, want it refused", err)
	}
	dir, err := run(finetune.NormLayer)
	if err != nil {
		t.Fatal(err)
	}
	ctx, _, err := finetune.LoadPretrained(dir)
	if err != nil {
		t.Fatal(err)
	}
	if ctx.GetVariableByScopeAndName("/head/norm", "gain") == nil {
		t.Fatalf("the finetuned checkpoint has no /head/norm/gain")
	}
}

func f64(x []float32) []float64 {
	out := make([]float64, len(x))
	for i, v := range x {
		out[i] = float64(v)
	}
	return out
}

// standardised is (x − mean)/√(var + 1e-5) over x's entries (LayerNorm before its affine).
func standardised(x []float64) []float64 {
	var m, v float64
	for _, a := range x {
		m += a / float64(len(x))
	}
	for _, a := range x {
		v += (a - m) * (a - m) / float64(len(x))
	}
	out := make([]float64, len(x))
	for i, a := range x {
		out[i] = (a - m) / math.Sqrt(v+1e-5)
	}
	return out
}

// dense is x·W + b for W [len(x), len(b)] stored row-major.
func dense(x []float64, w, b []float32) []float64 {
	out := f64(b)
	for i, a := range x {
		for j := range out {
			out[j] += a * float64(w[i*len(b)+j])
		}
	}
	return out
}

func relu(x []float64) []float64 {
	out := make([]float64, len(x))
	for i, a := range x {
		out[i] = max(a, 0)
	}
	return out
}
