package main

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/byb-dev/byb/byb/finetune"
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

Every row is trained to its best: ft_val (0.2) of the labelled finetune users are held out,
the model is scored on them after every epoch, and the test split is scored with the weights
of the best epoch. With epochs=0 (the default) training stops once that score has not
improved for ft_patience (10) epochs for the frozen head, ft_unfrozen_patience (5) for
unfrozen finetuning and Supervised, or at the cap (ft_max_epochs 200, ft_unfrozen_max_epochs
50); epochs=N trains N and still keeps the best. The result says how many epochs ran, which
one was kept, and whether it was still improving when the run ended. protocol=paper is the
paper's protocol for millions of labelled users: one epoch at batch 512 and learning_rate
1e-4, no validation part, the last weights.

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
	set, err := parseSet("--set", *settings)
	if err != nil {
		return finish(err)
	}
	res, err := pipeline.Finetune(pipeline.FinetuneOptions{Data: *dataDir, Init: *initDir, Like: *like, Task: *task, Freeze: *freeze,
		Settings: set, Out: *out, Backend: backend, Run: run, Progress: os.Stderr})
	if err := finish(err); err != nil {
		return err
	}
	sel := res.Result.Selection
	if cf.json {
		selection := map[string]any{"validated": sel.Validated, "epochs": sel.Epochs, "best_epoch": sel.BestEpoch,
			"steps": res.Result.Train.GlobalStep, "stopped_early": sel.Stopped, "still_improving": sel.StillImproving()}
		if sel.Validated {
			selection["val_metric"], selection["val_best"] = sel.Metric, sel.Score
		}
		return emitJSON(map[string]any{"run_id": run.ID(), "task": res.Task, "classes": res.NumClasses,
			"train_samples": res.Train, "validation_samples": res.Validation, "test_samples": res.Test,
			"metrics": res.Metrics, "selection": selection, "engine": info})
	}
	fmt.Printf("task %s (%d classes, %d train / %d test samples): %s\n%s\nrun %s\n", res.Task, res.NumClasses, res.Train, res.Test,
		metricsText(res.Metrics), selectionText(sel, res.Validation, res.Result.Train.GlobalStep), run.ID())
	return nil
}

// selectionText says which epoch the test scores are from and why.
func selectionText(sel finetune.Selection, valSamples int, steps int64) string {
	if !sel.Validated {
		return fmt.Sprintf("trained %d epoch(s), %d steps; scored the last epoch (no validation part)", sel.Epochs, steps)
	}
	why := "the epoch cap or epochs=N ended it"
	switch {
	case sel.Stopped:
		why = fmt.Sprintf("no better validation score for %d epochs after it", sel.Patience)
	case sel.StillImproving():
		why = "still improving when it ended: raise the epoch cap (ft_max_epochs or ft_unfrozen_max_epochs) or epochs"
	}
	return fmt.Sprintf("trained %d epoch(s), %d steps; scored epoch %d, the best on %d validation samples (%s %.4f; %s)",
		sel.Epochs, steps, sel.BestEpoch, valSamples, sel.Metric, sel.Score, why)
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
