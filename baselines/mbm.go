package baselines

import (
	"fmt"
	"math"
	"math/rand/v2"
	"sort"

	"github.com/byb-dev/byb/byb/data"
	"github.com/byb-dev/byb/byb/encoder"
	"github.com/byb-dev/byb/byb/objective"
	"github.com/byb-dev/byb/byb/params"
	. "github.com/gomlx/gomlx/pkg/core/graph" //nolint:revive // GoMLX convention
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/gomlx/gomlx/pkg/ml/context"
)

// MBM hyper-parameters.
const (
	// ParamMBMMaskRatio is the share of each sequence's real behaviors that is masked: 0.1
	// (MBMv1) or 0.2 (MBMv2).
	ParamMBMMaskRatio = "mbm_mask_ratio"
)

// MBMScope holds MBM's own variables: the mask embedding (encoder.MaskEmbeddingVarName) and
// the ID head (MBMScope/idhead).
const MBMScope = "mbm"

// The paper's two variants: one implementation, two mask ratios. The registry declares
// MBMv1's as mbm_mask_ratio's default; MBMv2's Defaults override it.
var mbmVariants = map[string]float64{"mbmv1": 0.1, "mbmv2": 0.2}

func init() {
	for name, ratio := range mbmVariants {
		objective.Register(objective.Method{Name: name, Defaults: MBMDefaults(ratio),
			New: func(ctx *context.Context, facts objective.Facts) (objective.Objective, error) {
				return NewMBM(ctx, name, facts)
			}})
	}
}

// MBMDefaults returns the Defaults of the MBM variant with the given mask ratio: MBM's and the
// ID head's hyper-parameters, the variant's ratio, the raw behavior sequence (pool=false) and
// bidirectional attention.
func MBMDefaults(ratio float64) func(ctx *context.Context) {
	return func(ctx *context.Context) {
		params.SetGroup(ctx, "mbm")
		encoder.IDHeadDefaults(ctx)
		ctx.SetParams(map[string]any{encoder.ParamPool: false, encoder.ParamCausal: false, ParamMBMMaskRatio: ratio})
	}
}

func init() {
	params.Register("mbm",
		params.Param{Name: ParamMBMMaskRatio, Default: mbmVariants["mbmv1"], Help: "share of each sequence's behaviors masked (mbmv2's default: 0.2)", Range: params.OpenUnit},
	)
}

// MBM is masked behavior modeling (the paper's [37, 38]; BERT's masked language model on
// behaviors): a share mbm_mask_ratio of each sequence's real behaviors is replaced, after the
// behavior encoder and before the Transformer, by one learned mask embedding; the Transformer
// runs bidirectionally over the raw behaviors; and its output at each masked position predicts
// every ID field of the behavior that was there, with the shared ID head (encoder.IDHead). The
// loss is the sum over fields of each field's mean cross-entropy over the masked behaviors.
//
// The mask is drawn on the host (Transform): in a row of L > 0 real behaviors, exactly
// max(1, round(ratio·L)) of them, uniformly without replacement; never padding; an empty row
// none. Every masked behavior is replaced by the mask embedding (no BERT-style 80/10/10 mix of
// mask, random and kept tokens). Transform returns the mask [B,n] (float 1 = masked) and the
// masked positions [B,K] int32 (−1 = none; K = max(1, round(ratio·n)) bounds every row's
// count), then the ID head's negatives; the head runs on the K slots only, not on all n
// positions. The probe and the embedding run the encoder on the unmasked sequence (E does not
// depend on the mask); the diagnostic E is the masked sequence's, read from the same forward
// pass as the loss.
type MBM struct {
	Method string // "mbmv1" | "mbmv2"
	Ratio  float64
	Head   *encoder.IDHead
}

// NewMBM reads MBM's hyper-parameters from ctx; method is the registered name.
func NewMBM(ctx *context.Context, method string, facts objective.Facts) (*MBM, error) {
	o := &MBM{Method: method, Ratio: params.Get[float64](ctx, ParamMBMMaskRatio)}
	if !(o.Ratio > 0 && o.Ratio <= 1) {
		return nil, fmt.Errorf("%s: %s=%g must be in (0, 1]", method, ParamMBMMaskRatio, o.Ratio)
	}
	if params.Get[bool](ctx, encoder.ParamPool) {
		return nil, fmt.Errorf("%s: %s=true is not supported: MBM masks raw behaviors (the paper runs its baselines over the raw sequence), and with pooling a masked behavior would be averaged with the visible behaviors of its day", method, encoder.ParamPool)
	}
	head, err := encoder.NewIDHead(encoder.IDHeadConfigFromContext(ctx), facts.Fields, facts.Vocab, facts.Counts)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", method, err)
	}
	o.Head = head
	return o, nil
}

// Name implements objective.Objective.
func (o *MBM) Name() string { return o.Method }

// Slots is K, the masked positions a row of n behaviors can have.
func (o *MBM) Slots(n int) int { return max(1, int(math.Round(o.Ratio*float64(n)))) }

// Masked is how many of a row's L real behaviors are masked.
func (o *MBM) Masked(L int) int {
	if L == 0 {
		return 0
	}
	return max(1, int(math.Round(o.Ratio*float64(L))))
}

// Transform implements objective.BatchTransformer: the mask [B,n] float32, the masked positions
// [B,K] int32 (ascending, −1 after the row's last), then the ID head's negatives.
func (o *MBM) Transform(b *data.Batch, rng *rand.Rand) ([]*tensors.Tensor, error) {
	n, K := b.MaxLen, o.Slots(b.MaxLen)
	mask := make([]float32, b.Size*n)
	pos := make([]int32, b.Size*K)
	for i := range pos {
		pos[i] = -1
	}
	var present []int
	for r := range b.Size {
		present = present[:0]
		for i, w := range b.Window[r*n : (r+1)*n] {
			if w >= 0 {
				present = append(present, i)
			}
		}
		k := o.Masked(len(present))
		// A partial Fisher-Yates shuffle: the first k of present are a uniform k-subset.
		for i := range k {
			j := i + rng.IntN(len(present)-i)
			present[i], present[j] = present[j], present[i]
		}
		chosen := present[:k]
		sort.Ints(chosen)
		for s, i := range chosen {
			mask[r*n+i] = 1
			pos[r*K+s] = int32(i)
		}
	}
	out := []*tensors.Tensor{tensors.FromFlatDataAndDimensions(mask, b.Size, n), tensors.FromFlatDataAndDimensions(pos, b.Size, K)}
	return append(out, o.Head.DrawNegatives(rng)...), nil
}

// Loss implements objective.Objective.
func (o *MBM) Loss(ctx *context.Context, enc *encoder.Encoder, in encoder.Inputs) *Node {
	loss, _ := o.LossWithDiagnostics(ctx, enc, in)
	return loss
}

// LossWithDiagnostics implements objective.Diagnosing: besides the loss, E of the masked
// sequence, each field's masked-ID accuracy and loss, and the share of behaviors masked.
func (o *MBM) LossWithDiagnostics(ctx *context.Context, enc *encoder.Encoder, in encoder.Inputs) (*Node, map[string]*Node) {
	if len(in.Extra) != 2+o.Head.NumNegativeInputs() {
		panic(fmt.Errorf("%s: the loss needs the batch transform's %d extra inputs, got %d", o.Method, 2+o.Head.NumNegativeInputs(), len(in.Extra)))
	}
	mask, pos := in.Extra[0], in.Extra[1]
	hidden, e := o.MaskedForward(ctx, enc, in, mask)
	valid := ConvertDType(GreaterOrEqual(pos, ZerosLike(pos)), hidden.DType())
	ids := encoder.GatherPositions(in.IDs, pos)
	res := o.Head.Loss(ctx.In(MBMScope).In("idhead"), encoder.GatherPositions(hidden, pos), ids, valid, in.Extra[2:])
	diag := o.Head.Diagnostics(res)
	diag[objective.DiagE] = e
	realCount := ReduceAllSum(ConvertDType(GreaterOrEqual(in.Window, ZerosLike(in.Window)), hidden.DType()))
	diag["masked_share"] = Div(ReduceAllSum(mask), Max(realCount, OnesLike(realCount)))
	return res.Loss, diag
}

// MaskedForward runs the encoder with the behaviors where mask [B,n] is 1 replaced by MBM's
// mask embedding (encoder.MaskBehaviors in MBMScope), then encoder.ForwardBehaviors, so the
// masked sequence gets the same pooling and attention as encoder.Forward. It returns the
// hidden states [B,n,d] and E [B,d] of the masked sequence.
func (o *MBM) MaskedForward(ctx *context.Context, enc *encoder.Encoder, in encoder.Inputs, mask *Node) (hidden, e *Node) {
	behaviors := encoder.MaskBehaviors(ctx.In(MBMScope), enc.BehaviorEncoder(ctx, in.IDs), mask)
	out := enc.ForwardBehaviors(ctx, behaviors, in.Window)
	return out.Hidden, out.E
}

// MaskEmbedding is the scope and name of the mask embedding variable.
func MaskEmbedding() (scope, name string) {
	return context.RootScope + MBMScope, encoder.MaskEmbeddingVarName
}
