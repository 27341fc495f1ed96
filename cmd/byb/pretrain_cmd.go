package main

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"

	"github.com/byb-dev/byb/byb/params"
	"github.com/byb-dev/byb/byb/train"
	"github.com/gomlx/gomlx/backends"

	"github.com/byb-dev/byb/byb/pipeline"
	"github.com/byb-dev/byb/methods"
)

func init() {
	register(&command{name: "pretrain", summary: "pretrain an encoder with a self-supervised objective (BYB) on a dataset's pretraining split", run: runPretrain})
}

// pretrainGroups are the parameter groups pretraining reads: all but finetuning's.
func pretrainGroups() []string {
	var out []string
	seen := map[string]bool{}
	for _, p := range params.All() {
		if p.Group != "finetune" && !seen[p.Group] {
			seen[p.Group] = true
			out = append(out, p.Group)
		}
	}
	return out
}

func runPretrain(args []string) error {
	fs := newFlagSet("pretrain", `pretrain --data DIR --method M --out RUNDIR [--set "k=v;k=v"]`,
		`Pretrains the shared encoder (behavior encoder → day pooling → causal Transformer) with a
self-supervised objective on the dataset's pretraining split, and writes the run directory
(config.json, checkpoint/). Re-running with the same --out resumes an interrupted run to the
same result. Same seed on the same engine gives identical losses.

Hyper-parameters (--set "name=value;..."; all recorded with the run), with their defaults,
by who declares them (a method's own are read only by that method; --set accepts any):
`+indent(params.Help(pretrainGroups()...))+`
The run trains epochs epochs but at least min_steps steps (a few thousand users give too few
steps per epoch to learn from); steps=N runs exactly N steps. protocol=paper is the paper's
budget for millions of users (section 5.1.4): batch_size=512 learning_rate=1e-4 epochs=2
min_steps=0.`)
	var cf commonFlags
	cf.register(fs, true)
	dataDir := fs.String("data", "", "dataset directory (byb data gen / import)")
	method := fs.String("method", "byb", "objective: "+strings.Join(methods.Names(), " | "))
	settings := fs.String("set", "", `hyper-parameters, "name=value;name=value"`)
	out := fs.String("out", "", "run directory to write (an existing one is resumed)")
	devicesFlag := fs.String("devices", "1", "data-parallel training: split every batch over N of the engine's devices (XLA's partitioner; batch_size must be a multiple of N), or all; a checkpoint resumes on any number")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *dataDir == "" || *out == "" {
		return fmt.Errorf("pretrain needs --data and --out (see `byb pretrain --help`)")
	}
	backend, info, err := cf.openEngine()
	if err != nil {
		return err
	}
	devices, err := parseDevices(backend, *devicesFlag)
	if err != nil {
		return err
	}
	var interrupt atomic.Bool
	run, finish, err := cf.beginRun(runSpec{experiment: "pretrain", name: *method + " " + filepath.Base(*dataDir),
		dir: *out, engine: info.String(), interrupt: &interrupt,
		interrupted: fmt.Sprintf("run the same command again to resume from the last checkpoint in %s (checkpoint_every steps apart)", *out),
		params:      map[string]string{"command": "pretrain", "method": *method, "data": *dataDir, "settings": *settings, "engine_plugin": info.Plugin, "devices": fmt.Sprint(devices)}})
	if err != nil {
		return err
	}
	set, err := parseSet("--set", *settings)
	if err != nil {
		return finish(err)
	}
	res, err := pipeline.Pretrain(pipeline.PretrainOptions{Data: *dataDir, Method: *method, Settings: set,
		Out: *out, Backend: backend, Engine: info, Run: run, Progress: os.Stderr, Devices: devices, Interrupt: interrupt.Load})
	if err := finish(err); err != nil {
		return err
	}
	out2 := map[string]any{"run_id": run.ID(), "dir": res.Dir, "method": res.Method, "engine": info,
		"samples": res.Samples, "max_len": res.MaxLen, "windows": res.Windows, "steps": res.Train.GlobalStep,
		"final_loss": res.FinalLoss, "samples_per_s": res.SamplesPer, "seconds": res.Train.Seconds, "train_seconds": res.Train.TrainSeconds,
		"undertrained": res.Convergence.Undertrained()}
	if n := len(res.Train.Losses); n > 0 {
		// Beside final_loss, the loss of this call's first step shows that the run learned.
		out2["first_loss"] = res.Train.Losses[0]
	}
	if !math.IsNaN(res.Convergence.TailDrop) {
		out2["loss_tail_drop"] = res.Convergence.TailDrop
	}
	if cf.json {
		return emitJSON(out2)
	}
	n := fmt.Sprint(res.MaxLen)
	if res.MaxLen == 0 {
		n = "all (packed batches)"
	}
	fmt.Printf("pretrained %s on %s: %d samples, n=%s, T=%d, %d steps, final loss %.4f, %.1f samples/s\nrun %s in %s\n",
		res.Method, *dataDir, res.Samples, n, res.Windows, res.Train.GlobalStep, res.FinalLoss, res.SamplesPer, run.ID(), res.Dir)
	return nil
}

// parseDevices reads --devices: a count, or all (every device of the engine).
func parseDevices(backend backends.Backend, s string) (int, error) {
	n := 0
	if s != "all" {
		var err error
		if n, err = strconv.Atoi(s); err != nil || n < 1 {
			return 0, fmt.Errorf("--devices %q: want a number of devices (1 or more) or all", s)
		}
	}
	n, err := train.DeviceCount(backend, n)
	if err != nil {
		return 0, fmt.Errorf("--devices %s: %w", s, err)
	}
	return n, nil
}
