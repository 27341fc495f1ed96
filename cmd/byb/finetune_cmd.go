package main

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/byb-dev/byb/byb/metrics"
	"github.com/byb-dev/byb/byb/params"

	"github.com/byb-dev/byb/byb/pipeline"
)

func init() {
	register(&command{name: "finetune", summary: "train a task head on a pretrained (or fresh) encoder and score the test split", run: runFinetune})
}

// finetuneHelp lists the parameters finetuning reads, with finetuning's defaults.
func finetuneHelp() string {
	return strings.NewReplacer("epochs=2 ", "epochs=0 ", "min_steps=400 ", "min_steps=0 ").Replace(params.Help("finetune", "train", "sequence", "encoder"))
}

func runFinetune(args []string) error {
	fs := newFlagSet("finetune", `finetune --data DIR --init RUNDIR|none --task NAME [--freeze] [--out RUNDIR] [--set ...]`,
		`Trains a new 2-layer MLP head (hidden 64) on E for one task on the finetune split, then scores
the test split: AUROC and KS for binary tasks, macro one-vs-rest AUROC for multi-class ones.
--freeze trains only the head (the paper's frozen protocol): E is computed once per sample,
standardised with the training samples' mean and std, and the head trains on it, so many
epochs cost little. Without --freeze the encoder is trained too (BYB(unfreeze)). --init none
trains from scratch: without --freeze that is the paper's Supervised baseline. Pretraining's optimizer state is not carried over.

epochs=0 (the default): the frozen head trains until its validation score stops improving
and keeps its best epoch; unfrozen finetuning trains 2 epochs. protocol=paper is the paper's
protocol for millions of labelled users: one epoch at batch 512 and learning_rate 1e-4, no
validation part.

Hyper-parameters (--set "name=value;..."), with their finetuning defaults; from scratch the
encoder's too:
`+indent(finetuneHelp()))
	var cf commonFlags
	cf.register(fs, true)
	dataDir := fs.String("data", "", "dataset directory")
	initDir := fs.String("init", "", "pretraining run directory, or none")
	task := fs.String("task", "", "task name (see `byb data stats DIR`)")
	freeze := fs.Bool("freeze", false, "train only the head")
	settings := fs.String("set", "", `hyper-parameters, "name=value;name=value"`)
	out := fs.String("out", "", "run directory (default: in memory, nothing kept but the record)")
	like := fs.String("like", "", "with --init none: take max_len, dt1 and the encoder's architecture from this run directory, so the fresh encoder matches a pretrained one (--set still overrides)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *dataDir == "" || *initDir == "" || *task == "" {
		return fmt.Errorf("finetune needs --data, --init (a run directory or none) and --task (see `byb finetune --help`)")
	}
	backend, info, err := cf.openEngine()
	if err != nil {
		return err
	}
	method, upstream := "supervised", ""
	if *initDir != "none" {
		method, upstream = "finetune", *initDir
	}
	run, finish, err := cf.beginRun(runSpec{experiment: "finetune", name: *task + " " + filepath.Base(*initDir),
		dir: *out, engine: info.String(), upstream: upstream,
		params: map[string]string{"command": "finetune", "method": method, "init": *initDir, "data": *dataDir,
			"task": *task, "freeze": fmt.Sprint(*freeze), "settings": *settings, "like": *like}})
	if err != nil {
		return err
	}
	res, err := pipeline.Finetune(pipeline.FinetuneOptions{Data: *dataDir, Init: *initDir, Like: *like, Task: *task, Freeze: *freeze,
		Settings: *settings, Out: *out, Backend: backend, Run: run, Progress: os.Stderr})
	if err := finish(err); err != nil {
		return err
	}
	if cf.json {
		return emitJSON(map[string]any{"run_id": run.ID(), "task": res.Task, "classes": res.NumClasses,
			"train_samples": res.Train, "test_samples": res.Test, "metrics": res.Metrics, "engine": info})
	}
	fmt.Printf("task %s (%d classes, %d train / %d test samples): %s\nrun %s\n", res.Task, res.NumClasses, res.Train, res.Test, metricsText(res.Metrics), run.ID())
	return nil
}

// metricsText is "name=value ..." of test metrics, in name order.
func metricsText(m metrics.Result) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s=%.4f", k, m[k])
	}
	return strings.Join(parts, " ")
}
