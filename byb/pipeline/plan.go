package pipeline

import (
	"fmt"

	"github.com/byb-dev/byb/byb/params"
	"github.com/byb-dev/byb/byb/train"
	"github.com/gomlx/gomlx/pkg/ml/context"
)

// A request is resolved once, before anything runs: pretraining into a pretrainPlan
// (pretrain.go), and the runs that read data with an encoder (finetuning, the bag-of-IDs
// reference with or without E, embedding) into runSettings here, then their samples and
// sequence shape; what is resolved is handed on, never worked out again.

// runSettings are the parameters of a run that reads data with an encoder: the context it
// builds from, and the settings applied on top of a trained run's.
type runSettings struct {
	ctx *context.Context
	// settings are what was applied after the trained run's sequence settings: like's, then
	// the run's own.
	settings params.Set
	// trained is the config of the trained run whose encoder the run uses (nil: a fresh one).
	trained *train.RunConfig
}

// resolveSettings builds a run's parameters: every declared default and the stage's
// (defaults), then the sequence settings (n, ΔT1, pooling) of the trained run whose encoder
// it uses (trained, a run directory), or, for a fresh encoder, the sequence settings and
// architecture of the run it is shaped like (like, a run directory; see LikeSettings), then
// settings.
func resolveSettings(trained, like string, settings params.Set, defaults ...func(*context.Context)) (*runSettings, error) {
	r := &runSettings{ctx: newContext(defaults...), settings: settings}
	switch {
	case trained != "":
		cfg, err := train.ReadConfig(trained)
		if err != nil {
			return nil, err
		}
		useTrainedSequence(r.ctx, cfg)
		r.trained = &cfg
	case like != "":
		l, err := LikeSettings(like)
		if err != nil {
			return nil, err
		}
		r.settings = l.Then(settings)
	}
	if err := r.settings.Apply(r.ctx); err != nil {
		return nil, fmt.Errorf("--set %q: %w", settings, err)
	}
	return r, nil
}
