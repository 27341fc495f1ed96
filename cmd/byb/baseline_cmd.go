package main

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/byb-dev/byb/byb/params"
	"github.com/byb-dev/byb/byb/pipeline"
	"github.com/gomlx/gomlx/backends"
)

func init() {
	register(&command{name: "baseline", summary: "score a reference model without a sequence encoder (bag: bag-of-IDs logistic regression)", run: runBaseline})
}

func runBaseline(args []string) error {
	if len(args) == 0 || args[0] != "bag" {
		fmt.Fprintf(os.Stderr, "Usage: byb baseline bag --data DIR --task NAME [--like RUNDIR] [--with-e RUNDIR|none] [--set ...]\n\nReferences: bag (bag-of-IDs logistic regression; with --with-e, Bag-of-IDs + E).\n")
		return errUsage
	}
	fs := newFlagSet("baseline bag", "baseline bag --data DIR --task NAME [--like RUNDIR] [--with-e RUNDIR|none] [--set ...]",
		`The bag-of-IDs reference: for each user, the counts of every ID (log 1+count; each field's
`+"`bag_max_ids`"+` most frequent IDs) in the most recent max_len behaviors of the observation
window (every one at max_len=0, as a pooled encoder sees them), the number of behaviors, of active dt1 windows and of windows since the last
behavior, into a multinomial logistic regression (L-BFGS). Its L2 strength is chosen among
1e-3, 1e-2 and 1e-1 on 20% of the labelled finetune users, then it is refit on all of them. Trained
on the finetune split and scored on the test split with finetune's metrics (AUROC and KS,
or macro one-vs-rest AUROC), so it sits beside a finetuning row. --like RUNDIR takes a run's
max_len and dt1 (the inputs that run's encoder saw).

Bag-of-IDs + E (--with-e): do an encoder's embeddings add to what counting IDs knows? Each
user's E (d values: the frozen encoder's output at the last position, on the same window and
behaviors as the counts: the finetune window for training, the test window for testing)
joins the summary features, standardised, in the same regression. The counts' L2 strength is
the bag's own choice; E's weights get their own, chosen on the same validation users among
0.1, 1 and 10 — or E is left out when no strength of it scores above the bag alone
there (the result then says so, and the model is the bag's).
--with-e RUNDIR takes the student encoder of a pretraining run and its max_len and dt1 (as
`+"`byb finetune --init RUNDIR --freeze`"+` sees them; no --like). --with-e none takes a random
encoder with the architecture, max_len and dt1 of --like RUNDIR (required) and the
initialisation of --set "seed=N": the encoder the Random init (freeze) row probes.

Hyper-parameters (--set "name=value;..."):
`+indent(params.Help("bag", "sequence")))
	var cf commonFlags
	cf.register(fs, true)
	dataDir := fs.String("data", "", "dataset directory")
	task := fs.String("task", "", "task name (see `byb data stats DIR`)")
	like := fs.String("like", "", "take max_len and dt1 from this run directory (with --with-e none, its architecture too)")
	withE := fs.String("with-e", "", "append E of this pretraining run's frozen encoder, or of a random one shaped like --like (none)")
	settings := fs.String("set", "", `hyper-parameters, "name=value;name=value"`)
	if err := parse(fs, args[1:]); err != nil {
		return err
	}
	if *dataDir == "" || *task == "" {
		return fmt.Errorf("baseline bag needs --data and --task (see `byb baseline bag --help`)")
	}
	var backend backends.Backend
	engineName := ""
	if *withE != "" {
		b, info, err := cf.openEngine()
		if err != nil {
			return err
		}
		backend, engineName = b, info.String()
	}
	name, method := *task+" bag-of-IDs "+filepath.Base(*dataDir), "bag"
	if *withE != "" {
		name, method = *task+" bag-of-IDs + E("+filepath.Base(*withE)+") "+filepath.Base(*dataDir), "bag+e"
	}
	run, finish, err := cf.beginRun(runSpec{experiment: "finetune", name: name, engine: engineName,
		params: map[string]string{"command": "baseline bag", "method": method, "data": *dataDir, "task": *task, "like": *like, "with_e": *withE, "settings": *settings}})
	if err != nil {
		return err
	}
	set, err := parseSet("--set", *settings)
	if err != nil {
		return finish(err)
	}
	res, err := pipeline.Bag(pipeline.BagOptions{Data: *dataDir, Task: *task, Like: *like, WithE: *withE, Settings: set, Backend: backend, Run: run, Progress: os.Stderr})
	if err := finish(err); err != nil {
		return err
	}
	if cf.json {
		out := map[string]any{"run_id": run.ID(), "task": res.Task, "classes": res.NumClasses, "l2": res.L2,
			"columns": res.Columns, "dense": res.Dense, "train_samples": res.Train, "test_samples": res.Test, "metrics": res.Metrics}
		if e := res.Encoder; e != nil {
			out["with_e"] = map[string]any{"run": e.Run, "like": e.Like, "seed": e.Seed, "dim": e.Dim, "encoder": e.String(),
				"used": res.UsesE, "e_l2": res.EL2}
		}
		return emitJSON(out)
	}
	what := "bag-of-IDs"
	switch {
	case res.Encoder != nil && res.UsesE:
		what = fmt.Sprintf("bag-of-IDs + E of %s (E's l2 %g)", res.Encoder.String(), res.EL2)
	case res.Encoder != nil:
		what = fmt.Sprintf("bag-of-IDs + E of %s: E scored no better than the bag alone on validation, so the model is the bag's", res.Encoder.String())
	}
	fmt.Printf("%s, task %s (%d classes, %d train / %d test samples, %d ID columns, %d dense features, l2 %g): %s\nrun %s\n",
		what, res.Task, res.NumClasses, res.Train, res.Test, res.Columns, res.Dense, res.L2, metricsText(res.Metrics), run.ID())
	return nil
}
