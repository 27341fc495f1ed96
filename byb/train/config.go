// Package train runs byb's training loops: pretraining with any registered objective (BYB,
// the baselines) and, through the same loop, finetuning. It owns the optimizer (Adam with
// weight decay), the per-step hooks (BYB's EMA), checkpoints that resume a run to the same
// losses, the progress bar and the tracking of every run.
package train

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"

	"github.com/gomlx/gomlx/pkg/ml/context"
)

// Trainer hyper-parameters (paper section 5.1.4, batch size reduced for CPUs).
const (
	ParamBatchSize       = "batch_size"       // 64 (the paper's 512 is a GPU setting); the loader reads it
	ParamEpochs          = "epochs"           // 2
	ParamSteps           = "steps"            // stop after this many steps in total; 0 = run all epochs
	ParamLearningRate    = "learning_rate"    // 1e-4 (the name GoMLX optimizers read)
	ParamWeightDecay     = "weight_decay"     // 1e-4
	ParamCoupledWD       = "wd_coupled"       // true: PyTorch Adam(weight_decay) = L2 added to the gradient (the paper, the peer); false: AdamW
	ParamAdamEpsilon     = "adam_epsilon"     // 1e-8, PyTorch's default (the paper's framework); GoMLX's own default is 1e-7
	ParamSeed            = "seed"             // initialisation and shuffling seed
	ParamCheckpointEvery = "checkpoint_every" // steps between checkpoints (and at the end of each epoch); 0 = only at the end
)

// SetDefaults puts the trainer's hyper-parameters in ctx.
func SetDefaults(ctx *context.Context) {
	ctx.SetParams(map[string]any{
		ParamBatchSize:       64,
		ParamEpochs:          2,
		ParamSteps:           0,
		ParamLearningRate:    1e-4,
		ParamWeightDecay:     1e-4,
		ParamCoupledWD:       true,
		ParamAdamEpsilon:     1e-8,
		ParamSeed:            0,
		ParamCheckpointEvery: 500,
	})
}

// RunConfig is config.json of a run directory: what is needed, beside the checkpoint (which
// also holds every hyper-parameter), to rebuild the model and its inputs.
type RunConfig struct {
	Method   string         `json:"method"`
	Vocab    []int          `json:"vocab"`   // per ID slot
	Windows  int            `json:"windows"` // T
	MaxLen   int            `json:"max_len"` // n the model was trained with
	Engine   string         `json:"engine"`
	Settings string         `json:"settings,omitempty"` // the user's "name=value;..." string
	Params   map[string]any `json:"params"`             // every hyper-parameter, as used
}

// ConfigFile and CheckpointDir are the names inside a run directory.
const (
	ConfigFile    = "config.json"
	CheckpointDir = "checkpoint"
)

// WriteConfig writes dir/config.json.
func WriteConfig(dir string, cfg RunConfig) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	b, err := json.MarshalIndent(cfg, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, ConfigFile), append(b, '\n'), 0o644)
}

// ReadConfig reads dir/config.json.
func ReadConfig(dir string) (RunConfig, error) {
	var cfg RunConfig
	b, err := os.ReadFile(filepath.Join(dir, ConfigFile))
	if os.IsNotExist(err) {
		return cfg, fmt.Errorf("%s is not a run directory (no %s): give a directory written by `byb pretrain --out`", dir, ConfigFile)
	}
	if err != nil {
		return cfg, fmt.Errorf("run %s: %w", dir, err)
	}
	if err := json.Unmarshal(b, &cfg); err != nil {
		return cfg, fmt.Errorf("run %s: %s: %w", dir, ConfigFile, err)
	}
	return cfg, nil
}
