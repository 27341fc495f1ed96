package train

import (
	"math"
	"math/rand/v2"
	"sort"

	"github.com/byb-dev/byb/byb/data"
	"github.com/byb-dev/byb/byb/encoder"
	"github.com/byb-dev/byb/byb/objective"
	"github.com/byb-dev/byb/byb/record"
	. "github.com/gomlx/gomlx/pkg/core/graph" //nolint:revive // GoMLX convention
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/gomlx/gomlx/pkg/ml/context"
	"gonum.org/v1/gonum/mat"
)

// Step is one training step of an objective: its inputs (the batch's tensors, then the
// objective's host-side transform of the batch) and its graph (the loss, its gradient, the
// Adam update, the objective's per-step update, and the objective's diagnostics as extra
// outputs).
type Step struct {
	enc *encoder.Encoder
	obj objective.Objective
	// base is the number of batch tensors before the transform's; diagNames the names of the
	// graph's diagnostic outputs after the loss, in order. Both are set when the graph is
	// built.
	base      int
	diagNames []string
}

// NewStep returns the training step of obj on enc.
func NewStep(enc *encoder.Encoder, obj objective.Objective) *Step { return &Step{enc: enc, obj: obj} }

// Inputs are the step's input tensors for batch b at the given global step (1-based): the
// batch's, then the objective's transform drawn from a generator seeded by (seed, step), so
// that a resumed run draws what an uninterrupted one does.
func (s *Step) Inputs(b *data.Batch, seed uint64, step int64) ([]*tensors.Tensor, error) {
	inputs := encoder.BatchTensors(b)
	s.base = len(inputs)
	if t, ok := s.obj.(objective.BatchTransformer); ok {
		extra, err := t.Transform(b, rand.New(rand.NewPCG(seed, uint64(step))))
		if err != nil {
			return nil, err
		}
		inputs = append(inputs, extra...)
	}
	return inputs, nil
}

// inputsFrom splits the graph's parameters into the batch's Inputs and the transform's Extra.
func (s *Step) inputsFrom(nodes []*Node) encoder.Inputs {
	in := encoder.InputsFrom(nodes[:s.base])
	in.Extra = nodes[s.base:]
	return in
}

// Graph is the step's graph function; its outputs are the loss and the diagnostics.
func (s *Step) Graph(ctx *context.Context, nodes []*Node) []*Node {
	g := nodes[0].Graph()
	ctx.SetTraining(g, true)
	in := s.inputsFrom(nodes)
	var loss *Node
	var diag map[string]*Node
	if d, ok := s.obj.(objective.Diagnosing); ok {
		loss, diag = d.LossWithDiagnostics(ctx, s.enc, in)
	} else {
		loss = s.obj.Loss(ctx, s.enc, in)
	}
	ApplyAdam(ctx, g, loss)
	if su, ok := s.obj.(objective.StepUpdater); ok {
		su.AfterStep(ctx, g)
	}
	s.diagNames = s.diagNames[:0]
	for name := range diag {
		s.diagNames = append(s.diagNames, name)
	}
	sort.Strings(s.diagNames)
	out := []*Node{loss}
	for _, name := range s.diagNames {
		out = append(out, StopGradient(diag[name]))
	}
	return out
}

// logDiagnostics records the step's diagnostic outputs: scalars as "diag_NAME", E as its
// mean per-dimension standard deviation and its effective rank.
func (s *Step) logDiagnostics(run record.Recorder, out []*tensors.Tensor, step int64) {
	for i, name := range s.diagNames {
		t := out[1+i]
		if name == objective.DiagE {
			e, ok := t.Value().([][]float32)
			if !ok || len(e) < 2 {
				continue
			}
			std, rank := Spread(e)
			_ = run.LogMetric("diag_E_std", std, step)
			_ = run.LogMetric("diag_E_rank", rank, step)
			continue
		}
		if t.Shape().IsScalar() {
			_ = run.LogMetric("diag_"+name, float64(tensors.ToScalar[float32](t)), step)
		}
	}
}

// Spread is the mean over dimensions of the standard deviation of the rows of e [B][d], and
// the effective rank of the centred e (Roy & Vetterli 2007: exp of the entropy of the
// normalised singular values; d for isotropic rows, 1 for rows on a line) — a collapsing
// encoder shows both falling.
func Spread(e [][]float32) (std, rank float64) {
	rows, cols := len(e), len(e[0])
	m := mat.NewDense(rows, cols, nil)
	for j := range cols {
		mean := 0.0
		for i := range rows {
			mean += float64(e[i][j])
		}
		mean /= float64(rows)
		v := 0.0
		for i := range rows {
			x := float64(e[i][j]) - mean
			m.Set(i, j, x)
			v += x * x
		}
		std += math.Sqrt(v / float64(rows-1))
	}
	std /= float64(cols)
	var svd mat.SVD
	if !svd.Factorize(m, mat.SVDNone) {
		return std, math.NaN()
	}
	sv := svd.Values(nil)
	total := 0.0
	for _, x := range sv {
		total += x
	}
	if total == 0 {
		return std, 0
	}
	h := 0.0
	for _, x := range sv {
		if p := x / total; p > 0 {
			h -= p * math.Log(p)
		}
	}
	return std, math.Exp(h)
}
