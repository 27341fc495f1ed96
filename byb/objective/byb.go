package objective

import (
	"fmt"
	"strings"

	"github.com/byb-dev/byb/byb/encoder"
	"github.com/gomlx/gomlx/pkg/core/dtypes"
	. "github.com/gomlx/gomlx/pkg/core/graph" //nolint:revive // GoMLX convention
	"github.com/gomlx/gomlx/pkg/core/shapes"
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
	ParamDT2       = "byb_dt2"       // prediction window ΔT2, in pooling windows (ΔT1 units): 1
)

// Scopes of BYB's own variables.
const (
	TeacherScope   = "teacher"
	PredictorScope = "predictor"
)

func init() {
	Register(Method{Name: "byb", Defaults: BYBDefaults, New: func(ctx *context.Context) (Objective, error) { return NewBYB(ctx) }})
}

// BYBDefaults puts BYB's hyper-parameters in ctx.
func BYBDefaults(ctx *context.Context) {
	ctx.SetParams(map[string]any{
		ParamEMA: true, ParamMomentum: 0.995, ParamPredictor: true,
		ParamLoss: "ce", ParamTau: 0.1, ParamDT2: 1,
	})
}

// BYB is the "Bootstrapping Your Behavior" objective (section 4, Algorithm 1).
//
// For every prefix k of the pooled sequence (k = 0..L-1-ΔT2, L = T), the student's Transformer
// output h_k goes through the predictor, and is compared with the target: the mean of the
// teacher behavior embeddings of the behaviors in windows (k, k+ΔT2] under stop-gradient
// (Eq. 7-9). Prefixes whose target windows hold no behavior are masked out, and the loss is
// the mean over the valid prefixes of the whole batch. Only prefixes whose whole prediction
// window lies inside the batch's T windows are used.
//
// Without pooling every behavior is its own window, so the target of behavior k is the mean of
// the next ΔT2 behaviors (with ΔT2 = 1, the teacher embedding of the next behavior, as the
// peer's --no-pool).
//
// The teacher is a second behavior encoder (scope "teacher/behavior_encoder", non-trainable)
// initialised from the student (Init) and moved towards it by EMA after each optimizer step
// (AfterStep). With byb_ema=false there is no teacher: targets are the student's own behavior
// embeddings under stop-gradient.
type BYB struct {
	EMA, Predictor bool
	Momentum, Tau  float64
	LossKind       string // "ce" | "mse"
	DT2            int
}

// NewBYB reads BYB's hyper-parameters from ctx.
func NewBYB(ctx *context.Context) (*BYB, error) {
	b := &BYB{
		EMA:       context.GetParamOr(ctx, ParamEMA, true),
		Predictor: context.GetParamOr(ctx, ParamPredictor, true),
		Momentum:  context.GetParamOr(ctx, ParamMomentum, 0.995),
		Tau:       context.GetParamOr(ctx, ParamTau, 0.1),
		LossKind:  context.GetParamOr(ctx, ParamLoss, "ce"),
		DT2:       context.GetParamOr(ctx, ParamDT2, 1),
	}
	switch {
	case b.LossKind != "ce" && b.LossKind != "mse":
		return nil, fmt.Errorf("byb: %s=%q: use ce or mse", ParamLoss, b.LossKind)
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
	out := enc.Forward(ctx, in)
	target, valid := b.Targets(ctx, enc, in, out)
	pred := out.Hidden
	if b.Predictor {
		pred = Predict(ctx.In(PredictorScope), pred)
	}
	return b.PositionLoss(pred, target, valid)
}

// PositionLoss is the loss of Eq. 9 averaged over the valid positions: pred, target [B,L,d],
// valid [B,L] (0/1).
func (b *BYB) PositionLoss(pred, target, valid *Node) *Node {
	var per *Node
	if b.LossKind == "mse" {
		per = MeanSquaredError(pred, target)
	} else {
		per = SoftCrossEntropy(pred, target, b.Tau)
	}
	return MaskedMean(per, valid)
}

// Predict is the predictor of Eq. 6: Linear(d,d) → ReLU → Linear(d,d).
func Predict(ctx *context.Context, x *Node) *Node {
	d := x.Shape().Dim(-1)
	h := activations.Relu(encoder.Dense(ctx.In("hidden"), x, d))
	return encoder.Dense(ctx.In("output"), h, d)
}

// Targets returns, for every position k, the stop-gradient target [B,L,d] and whether it is
// valid [B,L] (float 0/1).
func (b *BYB) Targets(ctx *context.Context, enc *encoder.Encoder, in encoder.Inputs, out *encoder.Output) (target, valid *Node) {
	sums := out.Sums
	if b.EMA {
		teacher := encoder.BehaviorEncoder(ctx.In(TeacherScope).In(encoder.BehaviorEncoderScope), enc.Config, enc.Vocab, in.IDs)
		for v := range ctx.In(TeacherScope).IterVariablesInScope() {
			v.SetTrainable(false)
		}
		sums, _ = enc.Group(teacher, in.Window)
	}
	sums, counts := StopGradient(sums), StopGradient(out.Counts)
	tSums, tCounts := AheadWindows(sums, counts, b.DT2)
	return encoder.Mean(tSums, tCounts), ConvertDType(GreaterThan(tCounts, ZerosLike(tCounts)), tCounts.DType())
}

// AheadWindows returns, at position k, the sums and counts of windows k+1..k+dt2 (sums
// [B,L,d], counts [B,L]). Positions whose window would run past L get count 0, which masks
// them. It slices, so call it on stop-gradient inputs (the pure-Go engine cannot
// differentiate Slice).
func AheadWindows(sums, counts *Node, dt2 int) (aheadSums, aheadCounts *Node) {
	g := sums.Graph()
	B, L, d := sums.Shape().Dim(0), sums.Shape().Dim(1), sums.Shape().Dim(2)
	if dt2 >= L {
		return ZerosLike(sums), ZerosLike(counts)
	}
	for o := 1; o <= dt2; o++ {
		s := Concatenate([]*Node{Slice(sums, AxisRange(), AxisRangeToEnd(o)), Zeros(g, shapes.Make(sums.DType(), B, o, d))}, 1)
		c := Concatenate([]*Node{Slice(counts, AxisRange(), AxisRangeToEnd(o)), Zeros(g, shapes.Make(counts.DType(), B, o))}, 1)
		if aheadSums == nil {
			aheadSums, aheadCounts = s, c
		} else {
			aheadSums, aheadCounts = Add(aheadSums, s), Add(aheadCounts, c)
		}
	}
	// Only prefixes k ≤ L-1-dt2 have their whole prediction window inside the sequence.
	k := Iota(g, shapes.Make(dtypes.Int32, B, L), 1)
	fits := LessOrEqual(k, Scalar(g, dtypes.Int32, L-1-dt2))
	return aheadSums, Where(fits, aheadCounts, ZerosLike(aheadCounts))
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
