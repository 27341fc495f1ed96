package main

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/byb-dev/byb/byb/params"
	"github.com/byb-dev/byb/byb/pipeline"
)

func init() {
	register(&command{name: "baseline", summary: "score a reference model without a sequence encoder (bag: bag-of-IDs logistic regression)", run: runBaseline})
}

func runBaseline(args []string) error {
	if len(args) == 0 || args[0] != "bag" {
		fmt.Fprintf(os.Stderr, "Usage: byb baseline bag --data DIR --task NAME [--like RUNDIR] [--set ...]\n\nReferences: bag (bag-of-IDs logistic regression).\n")
		return errUsage
	}
	fs := newFlagSet("baseline bag", "baseline bag --data DIR --task NAME [--like RUNDIR] [--set ...]",
		`The bag-of-IDs reference: for each user, the counts of every ID (log 1+count; each field's
`+"`bag_max_ids`"+` most frequent IDs) in the most recent max_len behaviors of the observation
window (every one at max_len=0, as a pooled encoder sees them), the number of behaviors, of active dt1 windows and of windows since the last
behavior, into a multinomial logistic regression (L-BFGS). Its L2 strength is chosen among
1e-3, 1e-2 and 1e-1 on 20% of the labelled finetune users, then it is refit on all of them. Trained
on the finetune split and scored on the test split with finetune's metrics (AUROC and KS,
or macro one-vs-rest AUROC), so it sits beside a finetuning row. --like RUNDIR takes a run's
max_len and dt1 (the inputs that run's encoder saw).

Hyper-parameters (--set "name=value;..."):
`+indent(params.Help("bag", "sequence")))
	var cf commonFlags
	cf.register(fs, false)
	dataDir := fs.String("data", "", "dataset directory")
	task := fs.String("task", "", "task name (see `byb data stats DIR`)")
	like := fs.String("like", "", "take max_len and dt1 from this run directory")
	settings := fs.String("set", "", `hyper-parameters, "name=value;name=value"`)
	if err := parse(fs, args[1:]); err != nil {
		return err
	}
	if *dataDir == "" || *task == "" {
		return fmt.Errorf("baseline bag needs --data and --task (see `byb baseline bag --help`)")
	}
	run, finish, err := cf.beginRun(runSpec{experiment: "finetune", name: *task + " bag-of-IDs " + filepath.Base(*dataDir),
		params: map[string]string{"command": "baseline bag", "method": "bag", "data": *dataDir, "task": *task, "like": *like, "settings": *settings}})
	if err != nil {
		return err
	}
	res, err := pipeline.Bag(pipeline.BagOptions{Data: *dataDir, Task: *task, Like: *like, Settings: *settings, Run: run, Progress: os.Stderr})
	if err := finish(err); err != nil {
		return err
	}
	if cf.json {
		return emitJSON(map[string]any{"run_id": run.ID(), "task": res.Task, "classes": res.NumClasses, "l2": res.L2,
			"columns": res.Columns, "train_samples": res.Train, "test_samples": res.Test, "metrics": res.Metrics})
	}
	fmt.Printf("bag-of-IDs, task %s (%d classes, %d train / %d test samples, %d ID columns, l2 %g): %s\nrun %s\n",
		res.Task, res.NumClasses, res.Train, res.Test, res.Columns, res.L2, metricsText(res.Metrics), run.ID())
	return nil
}
