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
	"strings"

	"github.com/byb-dev/byb/byb/params"
	"github.com/byb-dev/byb/byb/record"

	"github.com/gomlx/gomlx/pkg/ml/context"
)

// Trainer hyper-parameters (paper section 5.1.4, batch size reduced for CPUs).
const (
	ParamBatchSize       = "batch_size"       // 64 (the paper's 512 is a GPU setting, see ProtocolAuto); the loader reads it
	ParamEpochs          = "epochs"           // 2
	ParamSteps           = "steps"            // exactly this many steps in total, whatever epochs is; 0 = epochs decide
	ParamMinSteps        = "min_steps"        // at least this many steps when epochs decide: a few epochs of a few thousand users are too few steps to learn from
	ParamProtocol        = "protocol"         // "auto" (these defaults) or "paper" (section 5.1.4's budget: see ProtocolAuto)
	ParamLearningRate    = "learning_rate"    // 1e-3 (the paper: 1e-4, see ProtocolAuto; the name GoMLX optimizers read)
	ParamWeightDecay     = "weight_decay"     // 1e-4
	ParamCoupledWD       = "wd_coupled"       // true: PyTorch Adam(weight_decay) = L2 added to the gradient (the paper, the peer); false: AdamW
	ParamAdamEpsilon     = "adam_epsilon"     // 1e-8, PyTorch's default (the paper's framework); GoMLX's own default is 1e-7
	ParamWarmupSteps     = "warmup_steps"     // linear learning-rate warm-up over the first N optimizer steps; 0 = none (see warmUp)
	ParamSeed            = "seed"             // initialisation and shuffling seed
	ParamCheckpointEvery = "checkpoint_every" // steps between checkpoints (and one at the end); 0 = only at the end
	ParamDiagEvery       = "diag_every"       // steps between logged diagnostics (the objective's, and the spread and effective rank of E); 0 = none
	ParamTimeBudget      = "time_budget"      // train for this much time (a Go duration: 90s, 10m; compilation excluded), whatever epochs and min_steps say; "" = none
)

// Protocols. The defaults ("auto") are a budget that learns on the data a user has: the
// paper's two epochs, but at least min_steps steps, at a learning rate of 1e-3 — the paper's
// 1e-4 at batch 512 is meant for two epochs over millions of users, tens of thousands of
// steps, and leaves an encoder near its initialisation after the few hundred steps that a
// few thousand users give (the ci end-to-end test checks the defaults learn). "paper" is
// section 5.1.4's protocol, for data of the paper's size.
const (
	ProtocolAuto  = "auto"
	ProtocolPaper = "paper"
)

// PaperPretrain is what protocol=paper stands for in pretraining.
func PaperPretrain() params.Set {
	return params.Set{}.With(ParamBatchSize, 512).With(ParamLearningRate, 1e-4).With(ParamEpochs, 2).With(ParamMinSteps, 0)
}

// ExpandProtocol returns settings with what its protocol stands for put first (paper is the
// stage's protocol=paper settings), so that the user's other settings still override them.
func ExpandProtocol(settings, paper params.Set) (params.Set, error) {
	protocol := ProtocolAuto
	if v, ok := settings.Lookup(ParamProtocol); ok {
		protocol = v.(string)
	}
	switch protocol {
	case ProtocolAuto:
		return settings, nil
	case ProtocolPaper:
		return paper.Then(settings), nil
	}
	return params.Set{}, fmt.Errorf("%s=%q: use %s or %s", ParamProtocol, protocol, ProtocolAuto, ProtocolPaper)
}

func init() {
	params.Register("train",
		params.Param{Name: ParamBatchSize, Default: 64, Help: "batch size (the paper: 512, see protocol)", Range: params.Positive},
		params.Param{Name: ParamEpochs, Default: 2, Help: "epochs (finetuning: 0 = automatic, see finetune)", Range: params.NonNegative},
		params.Param{Name: ParamSteps, Default: 0, Help: "exactly this many steps, whatever epochs is; 0 = epochs decide", Range: params.NonNegative},
		params.Param{Name: ParamMinSteps, Default: 400, Help: "at least this many steps when epochs decide", Range: params.NonNegative},
		params.Param{Name: ParamProtocol, Default: ProtocolAuto, Help: "auto (these defaults) or paper (section 5.1.4)"},
		params.Param{Name: ParamLearningRate, Default: 1e-3, Help: "Adam learning rate (the paper: 1e-4, see protocol)", Range: params.NonNegative},
		params.Param{Name: ParamWeightDecay, Default: 1e-4, Help: "weight decay", Range: params.NonNegative},
		params.Param{Name: ParamCoupledWD, Default: true, Help: "weight decay as PyTorch Adam's L2 term (false: AdamW)"},
		params.Param{Name: ParamAdamEpsilon, Default: 1e-8, Help: "Adam ε (PyTorch's default)", Range: params.Positive},
		params.Param{Name: ParamWarmupSteps, Default: 0, Help: "learning rate rises linearly from 0 to learning_rate over the first N optimizer steps; 0 = none", Range: params.NonNegative},
		params.Param{Name: ParamSeed, Default: 0, Help: "initialisation, shuffling and transform seed"},
		params.Param{Name: ParamCheckpointEvery, Default: 500, Help: "steps between checkpoints; 0 = only at the end", Range: params.NonNegative},
		params.Param{Name: ParamDiagEvery, Default: 10, Help: "steps between logged diagnostics; 0 = none", Range: params.NonNegative},
		params.Param{Name: ParamTimeBudget, Default: "", Help: "train for this much wall-clock time (90s, 10m, 1h30m; the steps that compile the model for a new batch shape do not count), whatever epochs and min_steps say (steps, if set, still caps it); empty = no time budget"},
	)
}

// SetDefaults puts the trainer's hyper-parameters in ctx (protocol auto).
func SetDefaults(ctx *context.Context) { params.SetGroup(ctx, "train") }

// RunConfig is config.json of a run directory: what is needed, beside the checkpoint (which
// also holds every hyper-parameter), to rebuild the model and its inputs.
type RunConfig struct {
	Method   string         `json:"method"`
	Vocab    []int          `json:"vocab"`   // per ID slot
	Windows  int            `json:"windows"` // T
	MaxLen   int            `json:"max_len"` // n the model was trained with; 0 = every behavior (packed)
	Engine   string         `json:"engine"`
	Settings string         `json:"settings,omitempty"` // the settings the run was given, as text (params.Set.String)
	Params   map[string]any `json:"params"`             // every hyper-parameter, as used
	// Finished says whether the training ran to the end of its budget (nil: a run from before
	// byb recorded it); StepsDone is the global step it had reached when that was written.
	Finished  *bool `json:"finished,omitempty"`
	StepsDone int64 `json:"steps_done,omitempty"`
	// TrainSeconds is its training time (Result.TrainSeconds), summed over resumed runs.
	TrainSeconds float64 `json:"train_seconds,omitempty"`
}

// ConfigFile and CheckpointDir are the names inside a run directory.
const (
	ConfigFile    = "config.json"
	CheckpointDir = "checkpoint"
)

// HasCheckpoint reports whether the run directory holds a checkpoint to resume from.
func HasCheckpoint(dir string) bool {
	entries, err := os.ReadDir(filepath.Join(dir, CheckpointDir))
	return err == nil && len(entries) > 0
}

// CheckRunDir refuses to make dir a run directory when it holds something else: a user's
// --out typo must not mix checkpoints into, say, a data folder. A missing or empty directory,
// or one byb wrote (config.json or a checkpoint), is fine.
func CheckRunDir(dir string) error {
	entries, err := os.ReadDir(dir)
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("run directory %s: %w", dir, err)
	}
	var others []string
	for _, e := range entries {
		switch e.Name() {
		case ConfigFile, CheckpointDir:
			return nil
		case record.UnrecordedFile:
			continue
		}
		others = append(others, e.Name())
	}
	if len(others) == 0 {
		return nil
	}
	if len(others) > 3 {
		others = append(others[:3], "…")
	}
	return fmt.Errorf("%s is not empty and is not a byb run directory (it holds %s, and no %s): pass a new or empty --out", dir, strings.Join(others, ", "), ConfigFile)
}

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
