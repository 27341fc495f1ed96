package train_test

import (
	"io"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/byb-dev/byb/byb/data"
	"github.com/byb-dev/byb/byb/encoder"
	"github.com/byb-dev/byb/byb/engine"
	"github.com/byb-dev/byb/byb/objective"
	"github.com/byb-dev/byb/byb/params"
	"github.com/byb-dev/byb/byb/train"
	"github.com/byb-dev/byb/tracking"
	. "github.com/gomlx/gomlx/pkg/core/graph" //nolint:revive
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/gomlx/gomlx/pkg/ml/context"
)

// Spread on hand-checked cases: four points on the axes (std √(2/3) per dimension, two equal
// singular values: effective rank 2) and points on a line (effective rank 1).
func TestSpreadHandCases(t *testing.T) {
	std, rank := train.Spread([][]float32{{1, 0}, {-1, 0}, {0, 1}, {0, -1}})
	if math.Abs(std-math.Sqrt(2.0/3)) > 1e-9 || math.Abs(rank-2) > 1e-9 {
		t.Fatalf("axes: std %v rank %v, want %v and 2", std, rank, math.Sqrt(2.0/3))
	}
	if _, rank := train.Spread([][]float32{{1, 1}, {2, 2}, {3, 3}}); math.Abs(rank-1) > 1e-6 {
		t.Fatalf("a line: rank %v, want 1", rank)
	}
}

// noisyBYB is BYB with a host-side transform: a random scalar per step, added to the loss
// (so it reaches the graph), and recorded (so the test sees what each step drew).
type noisyBYB struct {
	*objective.BYB
	drawn []float32
}

func (n *noisyBYB) Transform(_ *data.Batch, rng *rand.Rand) ([]*tensors.Tensor, error) {
	x := rng.Float32()
	n.drawn = append(n.drawn, x)
	return []*tensors.Tensor{tensors.FromValue(x)}, nil
}

func (n *noisyBYB) LossWithDiagnostics(ctx *context.Context, enc *encoder.Encoder, in encoder.Inputs) (*Node, map[string]*Node) {
	loss, diag := n.BYB.LossWithDiagnostics(ctx, enc, in)
	diag["noise"] = in.Extra[0]
	return Add(loss, in.Extra[0]), diag
}

func (n *noisyBYB) Loss(ctx *context.Context, enc *encoder.Encoder, in encoder.Inputs) *Node {
	loss, _ := n.LossWithDiagnostics(ctx, enc, in)
	return loss
}

// metrics records logged metrics.
type metrics struct {
	tracking.Nop
	got map[string][]float64
}

func (m *metrics) LogMetric(key string, v float64, _ int64) error {
	m.got[key] = append(m.got[key], v)
	return nil
}

// A method's host-side transform reaches its graph as Inputs.Extra, draws from a generator
// seeded by (seed, step) — so a resumed run draws what an uninterrupted one does — and its
// diagnostics are logged every diag_every steps, with E's spread and effective rank.
func TestTransformsAndDiagnostics(t *testing.T) {
	b := backend(t, engine.PureGo)
	train1 := func(dir, settings string) (*noisyBYB, *metrics, []float64) {
		ctx, enc, obj := model(t, settings)
		n := &noisyBYB{BYB: obj.(*objective.BYB)}
		m := &metrics{got: map[string][]float64{}}
		res, err := train.Train(ctx, enc, n, randomBatches, train.Options{Backend: b, Dir: dir, Run: m, Progress: io.Discard, Settings: params.MustParse(settings)})
		if err != nil {
			t.Fatal(err)
		}
		return n, m, res.Losses
	}
	whole, m, _ := train1("", "steps=6;diag_every=2")
	dir := t.TempDir()
	first, _, _ := train1(dir, "steps=3;diag_every=2")
	rest, _, _ := train1(dir, "steps=6;diag_every=2")
	resumed := append(append([]float32{}, first.drawn...), rest.drawn...)
	if len(whole.drawn) != 6 || len(resumed) != 6 {
		t.Fatalf("draws: %d uninterrupted, %d resumed", len(whole.drawn), len(resumed))
	}
	for i := range whole.drawn {
		if whole.drawn[i] != resumed[i] {
			t.Fatalf("step %d drew %v uninterrupted, %v resumed", i+1, whole.drawn[i], resumed[i])
		}
	}
	if got := m.got["diag_noise"]; len(got) != 3 || float32(got[0]) != whole.drawn[1] {
		t.Fatalf("diag_noise logged %v, want 3 values starting with step 2's draw %v", got, whole.drawn[1])
	}
	for _, key := range []string{"diag_E_std", "diag_E_rank", "diag_valid_prefixes", "diag_teacher_student_dist"} {
		if len(m.got[key]) != 3 {
			t.Errorf("%s logged %d times, want 3", key, len(m.got[key]))
		}
	}
}
