// Package encoder is the shared user-behavior-sequence encoder of byb: BYB and every baseline
// (NBP, MBM, CTS, MSDP, Supervised) build on it.
//
//	IDs [B,n,m] → behavior encoder (per-ID embedding + gated merge, Eq. 2-3) → [B,n,d]
//	            → behavior pooling (mean per ΔT1 window, Eq. 4)              → [B,T,d]
//	            → causal Transformer with learned positions (Eq. 5)          → [B,T,d]
//	            → E = output at the last position                            → [B,d]
//
// In no-pool mode the Transformer runs over the n raw behaviors (positions = behavior index)
// and E is the output at the last real behavior. Two switches change the pooled path, for
// experiments on what a supervised Transformer misses: pool_reduce=sum feeds window sums
// instead of means, e_at=last_active reads E at the last window that has a behavior.
//
// Hyper-parameters live in the GoMLX context (SetDefaults puts the defaults there; users
// override them with a params.Set, parsed once from --set). Variables live under the
// context scope "encoder" ("encoder/behavior_encoder", "encoder/transformer"); objectives add
// their own scopes beside it (BYB: "teacher", "predictor").
package encoder

import (
	"fmt"

	"github.com/byb-dev/byb/byb/params"

	"github.com/gomlx/gomlx/pkg/ml/context"
)

// Hyper-parameter names (context params) of the encoder. Paper defaults (section 5.1.4).
const (
	ParamDim          = "d"             // embedding / behavior encoder / Transformer width: 128
	ParamLayers       = "layers"        // Transformer layers: 4
	ParamHeads        = "heads"         // attention heads: 4
	ParamFF           = "ff"            // Transformer feed-forward width: 128
	ParamDropout      = "dropout"       // dropout in the Transformer: 0
	ParamPool         = "pool"          // behavior pooling on (Transformer over T windows) or off (over n behaviors)
	ParamNormFirst    = "norm_first"    // pre-LN instead of post-LN (the PyTorch default the peer uses)
	ParamPoolImpl     = "pool_impl"     // "scatter" or "onehot": how window means are computed
	ParamMaxPositions = "max_positions" // positional table size; 0 = the sequence length (T pooled, n unpooled)
	ParamEmbedStd     = "embed_std"     // N(0, σ) init of the ID embedding table (PyTorch nn.Embedding: 1)
	ParamPosStd       = "pos_std"       // N(0, σ) init of slot and sequence positions: 0.02
	ParamCausal       = "causal"        // causal attention (position k sees ≤ k; BYB, NBP, Supervised), or bidirectional (masked modeling)
	ParamPoolReduce   = "pool_reduce"   // "mean" (Eq. 4) or "sum": what a pooled position holds (see Pooled)
	ParamEAt          = "e_at"          // "last" (Eq. 5) or "last_active": where E is read (see Encoder.Last)
)

// Values of pool_reduce and e_at.
const (
	PoolMean      = "mean"
	PoolSum       = "sum"
	EAtLast       = "last"
	EAtLastActive = "last_active"
)

func init() {
	params.Register("encoder",
		params.Param{Name: ParamDim, Default: 128, Help: "embedding, behavior encoder and Transformer width", Range: params.Positive, Shape: true},
		params.Param{Name: ParamLayers, Default: 4, Help: "Transformer layers", Range: params.Positive, Shape: true},
		params.Param{Name: ParamHeads, Default: 4, Help: "attention heads", Range: params.Positive, Shape: true},
		params.Param{Name: ParamFF, Default: 128, Help: "Transformer feed-forward width", Range: params.Positive, Shape: true},
		params.Param{Name: ParamDropout, Default: 0.0, Help: "dropout in the Transformer", Range: params.Fraction},
		params.Param{Name: ParamPool, Default: true, Help: "behavior pooling: the Transformer runs over ΔT1 windows (false: over raw behaviors)", Shape: true},
		params.Param{Name: ParamNormFirst, Default: false, Help: "pre-LN instead of post-LN"},
		params.Param{Name: ParamPoolImpl, Default: "scatter", Help: "how window means are computed: scatter or onehot"},
		params.Param{Name: ParamMaxPositions, Default: 0, Help: "positional table size; 0 = the pretraining sequence length", Range: params.NonNegative, Shape: true},
		params.Param{Name: ParamEmbedStd, Default: 1.0, Help: "N(0, σ) init of the ID embedding table", Range: params.NonNegative},
		params.Param{Name: ParamPosStd, Default: 0.02, Help: "N(0, σ) init of slot and sequence positions", Range: params.NonNegative},
		params.Param{Name: ParamCausal, Default: true, Help: "causal attention (false: bidirectional, masked modeling)"},
		params.Param{Name: ParamPoolReduce, Default: PoolMean, Help: "what a pooled window holds: mean of its behaviors (Eq. 4) or sum (keeps their count); BYB's targets stay means"},
		params.Param{Name: ParamEAt, Default: EAtLast, Help: "where E is read with pooling: last window (Eq. 5, even if empty) or last_active (the last window with a behavior)"},
	)
}

// SetDefaults puts the encoder's default hyper-parameters in ctx (root scope). Values already
// set are overwritten, so call it before applying user settings.
func SetDefaults(ctx *context.Context) { params.SetGroup(ctx, "encoder") }

// Config is the encoder's architecture, read once from the context.
type Config struct {
	Dim, Layers, Heads, FF  int
	Dropout                 float64
	Pool, NormFirst, Causal bool
	PoolImpl                string
	MaxPositions            int
	EmbedStd, PosStd        float64
	PoolReduce, EAt         string
}

// ConfigFromContext reads the encoder hyper-parameters (falling back to the paper defaults).
func ConfigFromContext(ctx *context.Context) Config {
	return Config{
		Dim:          params.Get[int](ctx, ParamDim),
		Layers:       params.Get[int](ctx, ParamLayers),
		Heads:        params.Get[int](ctx, ParamHeads),
		FF:           params.Get[int](ctx, ParamFF),
		Dropout:      params.Get[float64](ctx, ParamDropout),
		Pool:         params.Get[bool](ctx, ParamPool),
		NormFirst:    params.Get[bool](ctx, ParamNormFirst),
		PoolImpl:     params.Get[string](ctx, ParamPoolImpl),
		MaxPositions: params.Get[int](ctx, ParamMaxPositions),
		EmbedStd:     params.Get[float64](ctx, ParamEmbedStd),
		PosStd:       params.Get[float64](ctx, ParamPosStd),
		Causal:       params.Get[bool](ctx, ParamCausal),
		PoolReduce:   params.Get[string](ctx, ParamPoolReduce),
		EAt:          params.Get[string](ctx, ParamEAt),
	}
}

// Validate reports an architecture that cannot be built.
func (c Config) Validate() error {
	switch {
	case c.Dim <= 0 || c.Layers < 0 || c.Heads <= 0 || c.FF <= 0:
		return fmt.Errorf("encoder: d=%d layers=%d heads=%d ff=%d must be positive", c.Dim, c.Layers, c.Heads, c.FF)
	case c.Dim%c.Heads != 0:
		return fmt.Errorf("encoder: d=%d is not divisible by heads=%d", c.Dim, c.Heads)
	case c.PoolImpl != "scatter" && c.PoolImpl != "onehot":
		return fmt.Errorf("encoder: pool_impl=%q: use scatter or onehot", c.PoolImpl)
	case c.PoolReduce != "" && c.PoolReduce != PoolMean && c.PoolReduce != PoolSum:
		return fmt.Errorf("encoder: pool_reduce=%q: use %s or %s", c.PoolReduce, PoolMean, PoolSum)
	case c.EAt != "" && c.EAt != EAtLast && c.EAt != EAtLastActive:
		return fmt.Errorf("encoder: e_at=%q: use %s or %s", c.EAt, EAtLast, EAtLastActive)
	}
	return nil
}

// Params returns every hyper-parameter of ctx as "scope/name" → value, for config.json and
// the tracker.
func Params(ctx *context.Context) map[string]any {
	out := map[string]any{}
	ctx.EnumerateParams(func(scope, key string, value any) {
		if scope != context.RootScope {
			key = scope + "/" + key
		}
		out[key] = value
	})
	return out
}
