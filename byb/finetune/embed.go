package finetune

import (
	"fmt"
	"iter"
	"path/filepath"
	"strings"

	"github.com/byb-dev/byb/byb/data"
	"github.com/byb-dev/byb/byb/encoder"
	"github.com/byb-dev/byb/byb/params"
	"github.com/byb-dev/byb/byb/train"
	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/pkg/ml/context"
	"github.com/gomlx/gomlx/pkg/ml/context/checkpoints"
)

// LoadPretrained loads a run directory (config.json and the latest checkpoint) into a new
// context holding the run's hyper-parameters and all its variables.
func LoadPretrained(runDir string) (*context.Context, train.RunConfig, error) {
	cfg, err := train.ReadConfig(runDir)
	if err != nil {
		return nil, cfg, err
	}
	ctx := context.New()
	SetDefaults(ctx)
	if _, err := checkpoints.Load(ctx).Dir(filepath.Join(runDir, train.CheckpointDir)).Immediate().Done(); err != nil {
		return nil, cfg, fmt.Errorf("loading %s: %w", runDir, err)
	}
	return ctx, cfg, nil
}

// Embed computes E with the student encoder of a run directory for every batch, and passes
// each batch's users with their E rows ([B][d]) to emit. Padding rows of a last, partial batch
// are the caller's to drop (their Users tell).
//
// windows is T of the batches (0 = the run's own); it may be shorter than the run's.
func Embed(backend backends.Backend, runDir string, windows int, batches iter.Seq[*data.Batch], emit func(users []int32, e [][]float32) error) error {
	ctx, cfg, err := LoadPretrained(runDir)
	if err != nil {
		return err
	}
	if windows == 0 {
		windows = cfg.Windows
	}
	if windows > cfg.Windows {
		return fmt.Errorf("embed: the data has T=%d windows, more than the %d the model was trained on", windows, cfg.Windows)
	}
	enc, err := encoder.New(ctx, cfg.Vocab, windows)
	if err != nil {
		return err
	}
	return forEachE(backend, ctx.Reuse(), enc, nil, batches, func(b *data.Batch, e [][]float32) error { return emit(b.Users, e) })
}

// EmbedRandom computes E, as Embed does, with a randomly initialised encoder built from
// settings (the architecture; seed drives the initialisation): the random-init reference's
// embedding.
func EmbedRandom(backend backends.Backend, settings params.Set, vocab []int, windows int, batches iter.Seq[*data.Batch], emit func(users []int32, e [][]float32) error) error {
	ctx := context.New()
	SetDefaults(ctx)
	if err := settings.Apply(ctx); err != nil {
		return err
	}
	if _, found := ctx.GetParam(context.ParamInitialSeed); !found {
		ctx.SetParam(context.ParamInitialSeed, int64(params.Get[int](ctx, train.ParamSeed)))
	}
	enc, err := encoder.New(ctx, vocab, windows)
	if err != nil {
		return err
	}
	return forEachE(backend, ctx.Checked(false), enc, nil, batches, func(b *data.Batch, e [][]float32) error { return emit(b.Users, e) })
}

// ParamCounts counts a run directory's trained parameters: those of the student's
// Transformer and of its whole encoder (behavior encoder and embeddings included), leaving
// out the teacher's copy, the predictor and the optimizer's state.
func ParamCounts(runDir string) (transformer, encoderTotal int, err error) {
	ctx, _, err := LoadPretrained(runDir)
	if err != nil {
		return 0, 0, err
	}
	enc := "/" + encoder.Scope
	for v := range ctx.IterVariables() {
		scope := v.Scope()
		if scope != enc && !strings.HasPrefix(scope, enc+"/") {
			continue
		}
		encoderTotal += v.Shape().Size()
		if strings.HasPrefix(scope+"/", enc+"/"+encoder.TransformerScope+"/") {
			transformer += v.Shape().Size()
		}
	}
	return transformer, encoderTotal, nil
}
