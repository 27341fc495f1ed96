package objective

import (
	"fmt"
	"strings"

	"github.com/byb-dev/byb/byb/params"

	"github.com/byb-dev/byb/byb/encoder"
	"github.com/gomlx/gomlx/pkg/core/dtypes"
	. "github.com/gomlx/gomlx/pkg/core/graph" //nolint:revive // GoMLX convention
	"github.com/gomlx/gomlx/pkg/ml/context"
	"github.com/gomlx/gomlx/pkg/ml/layers/activations"
)

// BYB hyper-parameters (paper defaults; ablation switches of Table 5).
const (
	ParamEMA       = "byb_ema"       // teacher updated by EMA (true), or the student itself under stop-gradient (false)
	ParamMomentum  = "byb_momentum"  // m of Eq. 12: 0.995
	ParamPredictor = "byb_predictor" // 2-layer MLP predictor (Eq. 6) on, or E predicts the target directly
	ParamLoss      = "byb_loss"      // "ce" (Eq. 10) or "mse" (Eq. 11)
	ParamTau       = "byb_tau"       // softmax temperature τ of the CE loss: 0.1
	ParamCEForm    = "byb_ce"        // which reading of the CE loss: target (default), literal (Eq. 10 as written) or algorithm1 (see losses.go)
	ParamDT2       = "byb_dt2"       // prediction window ΔT2, in pooling windows (ΔT1 units): 1
)

// Scopes of BYB's own variables.
const (
	TeacherScope   = "teacher"
	PredictorScope = "predictor"
)

func init() {
	Register(Method{Name: "byb", Defaults: BYBDefaults, Packs: true, New: func(ctx *context.Context, _ Facts) (Objective, error) { return NewBYB(ctx) }})
}

func init() {
	params.Register("byb",
		params.Param{Name: ParamEMA, Default: true, Help: "EMA teacher (false: the student's own embeddings under stop-gradient)"},
		params.Param{Name: ParamMomentum, Default: 0.995, Help: "EMA momentum m (Eq. 12)", Range: params.Unit},
		params.Param{Name: ParamPredictor, Default: true, Help: "2-layer MLP predictor (Eq. 6); false: E predicts the target directly", Shape: true},
		params.Param{Name: ParamLoss, Default: "ce", Help: "ce (Eq. 10) or mse (Eq. 11)"},
		params.Param{Name: ParamTau, Default: 0.1, Help: "softmax temperature τ of the CE loss", Range: params.Positive},
		params.Param{Name: ParamCEForm, Default: CETarget, Help: "the CE loss read as: target (−Σ p̄·log p̂, the peer's), literal (Eq. 10 as written: −Σ p̂·log p̄) or algorithm1 (the appendix's PyTorch: −Σ p̄·log softmax(p̂))"},
		params.Param{Name: ParamDT2, Default: 1, Help: "prediction window ΔT2, in ΔT1 windows", Range: params.Positive},
	)
}

// BYBDefaults puts BYB's hyper-parameters in ctx.
func BYBDefaults(ctx *context.Context) { params.SetGroup(ctx, "byb") }

// BYB is the "Bootstrapping Your Behavior" objective (section 4, Algorithm 1).
//
// For every prefix k = 0..L-1 of the pooled sequence (L = T), the student's Transformer
// output h_k goes through the predictor and is compared with the target: the mean of the
// teacher behavior embeddings of the behaviors in windows (k, k+ΔT2] under stop-gradient
// (Eq. 7-9). The windows after the last input position come from the batch's target-only
// behaviors (the ΔT2 windows after the observation window, which the student never sees), so
// every position has a target, the last one included: the one where E (Eq. 5) is read is the
// prefix Algorithm 1 trains. Prefixes whose target windows hold no behavior are masked out,
// and the loss is the mean over the valid prefixes of the whole batch. A batch without
// target-only behaviors (the benchmark's random batches) treats the windows after the input
// as empty, which masks the last ΔT2 positions.
//
// Without pooling every behavior is its own position, so the target of behavior k is the mean
// of the next ΔT2 behaviors, the first ones after the input included (with ΔT2 = 1, the
// teacher embedding of the next behavior, as the peer's --no-pool); padding positions are
// masked.
//
// The teacher is a second behavior encoder (scope "teacher/behavior_encoder", non-trainable)
// initialised from the student (Init) and moved towards it by EMA after each optimizer step
// (AfterStep). With byb_ema=false there is no teacher: targets are the student's own behavior
// embeddings under stop-gradient.
type BYB struct {
	EMA, Predictor bool
	Momentum, Tau  float64
	LossKind       string // "ce" | "mse"
	CEForm         string // CETarget | CELiteral | CEAlgorithm1 (losses.go)
	DT2            int
}

// NewBYB reads BYB's hyper-parameters from ctx.
func NewBYB(ctx *context.Context) (*BYB, error) {
	b := &BYB{
		EMA:       params.Get[bool](ctx, ParamEMA),
		Predictor: params.Get[bool](ctx, ParamPredictor),
		Momentum:  params.Get[float64](ctx, ParamMomentum),
		Tau:       params.Get[float64](ctx, ParamTau),
		LossKind:  params.Get[string](ctx, ParamLoss),
		CEForm:    params.Get[string](ctx, ParamCEForm),
		DT2:       params.Get[int](ctx, ParamDT2),
	}
	switch {
	case b.LossKind != "ce" && b.LossKind != "mse":
		return nil, fmt.Errorf("byb: %s=%q: use ce or mse", ParamLoss, b.LossKind)
	case b.CEForm != CETarget && b.CEForm != CELiteral && b.CEForm != CEAlgorithm1:
		return nil, fmt.Errorf("byb: %s=%q: use %s, %s or %s", ParamCEForm, b.CEForm, CETarget, CELiteral, CEAlgorithm1)
	case b.DT2 < 1:
		return nil, fmt.Errorf("byb: %s=%d must be ≥ 1", ParamDT2, b.DT2)
	case b.Tau <= 0:
		return nil, fmt.Errorf("byb: %s=%g must be > 0", ParamTau, b.Tau)
	case b.Momentum < 0 || b.Momentum > 1:
		return nil, fmt.Errorf("byb: %s=%g must be in [0,1]", ParamMomentum, b.Momentum)
	}
	return b, nil
}

// Name implements Objective.
func (b *BYB) Name() string { return "byb" }

// Loss implements Objective.
func (b *BYB) Loss(ctx *context.Context, enc *encoder.Encoder, in encoder.Inputs) *Node {
	loss, _ := b.LossWithDiagnostics(ctx, enc, in)
	return loss
}

// LossWithDiagnostics implements Diagnosing: besides the loss, E (whose spread and effective
// rank show a collapse), the share of valid prefixes, and with EMA the teacher's relative
// distance from the student, ‖θ_t − θ_s‖ / ‖θ_s‖ over the behavior encoder's parameters.
func (b *BYB) LossWithDiagnostics(ctx *context.Context, enc *encoder.Encoder, in encoder.Inputs) (*Node, map[string]*Node) {
	out := enc.Forward(ctx, in)
	target, valid := b.Targets(ctx, enc, in, out)
	pred := out.Hidden
	if b.Predictor {
		pred = Predict(ctx.In(PredictorScope), pred)
	}
	diag := map[string]*Node{DiagE: out.E, "valid_prefixes": ReduceAllMean(valid)}
	if b.EMA {
		g := in.IDs.Graph()
		var diff, norm *Node
		_ = forTeacherPairs(ctx, func(teacher, student *context.Variable) error {
			t, s := teacher.ValueGraph(g), student.ValueGraph(g)
			d, n := ReduceAllSum(Square(Sub(t, s))), ReduceAllSum(Square(s))
			if diff == nil {
				diff, norm = d, n
			} else {
				diff, norm = Add(diff, d), Add(norm, n)
			}
			return nil
		})
		if diff != nil {
			diag["teacher_student_dist"] = Sqrt(Div(diff, Max(norm, ScalarOne(g, norm.DType()))))
		}
	}
	return b.PositionLoss(pred, target, valid), diag
}

// PositionLoss is the loss of Eq. 9 averaged over the valid positions: pred, target [B,L,d],
// valid [B,L] (0/1).
func (b *BYB) PositionLoss(pred, target, valid *Node) *Node {
	var per *Node
	if b.LossKind == "mse" {
		per = MeanSquaredError(pred, target)
	} else {
		per = CrossEntropyForm(b.CEForm, pred, target, b.Tau)
	}
	return MaskedMean(per, valid)
}

// Predict is the predictor of Eq. 6: Linear(d,d) → ReLU → Linear(d,d).
func Predict(ctx *context.Context, x *Node) *Node {
	d := x.Shape().Dim(-1)
	h := activations.Relu(encoder.Dense(ctx.In("hidden"), x, d))
	return encoder.Dense(ctx.In("output"), h, d)
}

// FutureWindows implements objective.FutureReader: BYB's last position predicts the ΔT2
// windows after the input.
func (b *BYB) FutureWindows() int { return b.DT2 }

// Targets returns, for every position k, the stop-gradient target [B,L,d] and whether it is
// valid [B,L] (float 0/1).
func (b *BYB) Targets(ctx *context.Context, enc *encoder.Encoder, in encoder.Inputs, out *encoder.Output) (target, valid *Node) {
	B, L := in.Size(), out.Sums.Shape().Dim(1)
	// The input behaviors and the target-only ones after them, flat: ids [K,m] with each
	// one's row and sequence position.
	ids, rows, pos := flatInputs(enc, in)
	if in.TargetIDs != nil {
		targetIDs, targetRows, targetPos := encoder.Flatten(in.TargetIDs, targetPositions(enc, in.Window, in.TargetWindow))
		ids = Concatenate([]*Node{ids, targetIDs}, 0)
		rows = Concatenate([]*Node{rows, targetRows}, 0)
		pos = Concatenate([]*Node{pos, targetPos}, 0)
	}
	var emb *Node
	switch {
	case b.EMA:
		emb = encoder.FlatBehaviorEncoder(ctx.In(TeacherScope).In(encoder.BehaviorEncoderScope), enc.Config, enc.Vocab, ids)
		for v := range ctx.In(TeacherScope).IterVariablesInScope() {
			v.SetTrainable(false)
		}
	default: // the student's own behavior embeddings (of the target-only ones too)
		emb = flatBehaviors(out.Behaviors)
		if in.TargetIDs != nil {
			emb = Concatenate([]*Node{emb, flatBehaviors(enc.BehaviorEncoder(ctx, in.TargetIDs))}, 0)
		}
	}
	// The stop-gradient goes right before AheadWindows' slices: GoMLX v0.26.0 still
	// differentiates the nodes after a StopGradient when they lie on a path from a trainable
	// variable (byb_ema=false), and the pure-Go engine cannot differentiate Slice.
	sums, counts := encoder.GroupRows(emb, rows, pos, B, L+b.DT2)
	tSums, tCounts := AheadWindows(StopGradient(sums), StopGradient(counts), b.DT2)
	valid = GreaterThan(tCounts, ZerosLike(tCounts))
	if !enc.Pool {
		valid = And(valid, GreaterThan(out.Counts, ZerosLike(out.Counts))) // padding positions
	}
	// Means whatever pool_reduce is: the target of Eq. 9 is a mean embedding (see encoder.Pooled).
	return encoder.Mean(tSums, tCounts), ConvertDType(valid, tCounts.DType())
}

// flatInputs are the input behaviors' ids [K,m], rows [K] and sequence positions [K]: a
// packed batch's as they are, a padded one's flattened.
func flatInputs(enc *encoder.Encoder, in encoder.Inputs) (ids, rows, pos *Node) {
	if in.Packed() {
		return in.IDs, in.Row, in.Window
	}
	return encoder.Flatten(in.IDs, inputPositions(enc, in.Window))
}

// flatBehaviors is behavior embeddings [B,n,d] as [B·n,d] (packed ones [N,d] already are).
func flatBehaviors(x *Node) *Node {
	if x.Rank() == 2 {
		return x
	}
	return Reshape(x, x.Shape().Dim(0)*x.Shape().Dim(1), x.Shape().Dim(2))
}

// inputPositions is each input behavior's sequence position: its pooling window, or without
// pooling its index in the row; -1 for padding.
func inputPositions(enc *encoder.Encoder, window *Node) *Node {
	if enc.Pool {
		return window
	}
	g := window.Graph()
	idx := Iota(g, window.Shape(), 1)
	return Where(GreaterOrEqual(window, ScalarZero(g, dtypes.Int32)), idx, Neg(OnesLike(idx)))
}

// targetPositions places the target-only behaviors [B,nt] after the input: at their window
// T+j with pooling, at the positions following the row's last real behavior without.
func targetPositions(enc *encoder.Encoder, window, targetWindow *Node) *Node {
	if enc.Pool {
		return targetWindow
	}
	g := window.Graph()
	zero := ScalarZero(g, dtypes.Int32)
	length := ReduceSum(ConvertDType(GreaterOrEqual(window, zero), dtypes.Int32), 1)
	idx := Add(Iota(g, targetWindow.Shape(), 1), InsertAxes(length, -1))
	return Where(GreaterOrEqual(targetWindow, zero), idx, Neg(OnesLike(idx)))
}

// AheadWindows returns, at position k = 0..L-1, the sums and counts of windows k+1..k+dt2
// (sums [B,L,d], counts [B,L]) from per-window sums [B,L+dt2,d] and counts [B,L+dt2], whose
// last dt2 windows are the ones after the input. It slices, so call it on stop-gradient
// inputs (the pure-Go engine cannot differentiate Slice).
func AheadWindows(sums, counts *Node, dt2 int) (aheadSums, aheadCounts *Node) {
	L := sums.Shape().Dim(1) - dt2
	for o := 1; o <= dt2; o++ {
		s := Slice(sums, AxisRange(), AxisRange(o, o+L))
		c := Slice(counts, AxisRange(), AxisRange(o, o+L))
		if aheadSums == nil {
			aheadSums, aheadCounts = s, c
		} else {
			aheadSums, aheadCounts = Add(aheadSums, s), Add(aheadCounts, c)
		}
	}
	return aheadSums, aheadCounts
}

// Init implements Initializer: the teacher starts as a copy of the student (section 4.3).
func (b *BYB) Init(ctx *context.Context) error {
	if !b.EMA {
		return nil
	}
	return forTeacherPairs(ctx, func(teacher, student *context.Variable) error {
		value, err := student.Value()
		if err != nil {
			return err
		}
		clone, err := value.LocalClone()
		if err != nil {
			return err
		}
		return teacher.SetValue(clone)
	})
}

// AfterStep implements StepUpdater: θ_t ← m·θ_t + (1−m)·θ_s (Eq. 12), with θ_s the student's
// parameters after this step's optimizer update.
func (b *BYB) AfterStep(ctx *context.Context, g *Graph) {
	if !b.EMA {
		return
	}
	err := forTeacherPairs(ctx, func(teacher, student *context.Variable) error {
		t, s := teacher.ValueGraph(g), student.ValueGraph(g)
		teacher.SetValueGraph(Add(MulScalar(t, b.Momentum), MulScalar(s, 1-b.Momentum)))
		return nil
	})
	if err != nil {
		panic(err)
	}
}

// forTeacherPairs calls fn for every teacher variable and the student variable of the same
// name under encoder/.
func forTeacherPairs(ctx *context.Context, fn func(teacher, student *context.Variable) error) error {
	tPrefix := context.RootScope + TeacherScope + context.ScopeSeparator
	sPrefix := context.RootScope + encoder.Scope + context.ScopeSeparator
	n := 0
	for v := range ctx.InAbsPath(context.RootScope + TeacherScope).IterVariablesInScope() {
		if !strings.HasPrefix(v.Scope(), tPrefix) {
			continue
		}
		studentScope := sPrefix + strings.TrimPrefix(v.Scope(), tPrefix)
		s := ctx.GetVariableByScopeAndName(studentScope, v.Name())
		if s == nil {
			return fmt.Errorf("byb: teacher variable %s has no student counterpart in %s", v.ScopeAndName(), studentScope)
		}
		if err := fn(v, s); err != nil {
			return err
		}
		n++
	}
	if n == 0 {
		return fmt.Errorf("byb: no teacher variables found (was the training graph built?)")
	}
	return nil
}
