package main

import (
	"fmt"

	"github.com/byb-dev/byb/byb/pipeline"
)

func init() {
	register(&command{name: "embed", summary: "write the user embeddings E of a trained encoder to CSV or Parquet", run: runEmbed})
}

func runEmbed(args []string) error {
	fs := newFlagSet("embed", "embed --model RUNDIR|none --data DIR --out FILE.(csv|csv.gz|parquet) [--split test] [--like RUNDIR]",
		`Computes E (the Transformer output at the last window) for every user of a split, from that
split's observation window, and writes user_id,e0..e{d-1} rows for use outside byb. Users with
no behavior in the window have no sequence and are counted, not written.

--model none (or --init none) embeds with a randomly initialised encoder, the random-init
reference: --like RUNDIR gives it a run's max_len, dt1 and architecture, and --set "seed=N"
its initialisation.`)
	var cf commonFlags
	cf.register(fs, true)
	model := fs.String("model", "", "pretraining or finetuning run directory, or none (a random encoder)")
	fs.StringVar(model, "init", "", "the same as --model")
	like := fs.String("like", "", "with --model none: take max_len, dt1 and the architecture from this run directory")
	settings := fs.String("set", "", `with --model none: "name=value;..." (seed, dim, ...)`)
	dataDir := fs.String("data", "", "dataset directory")
	split := fs.String("split", "test", "split whose users and window to embed: pretrain | finetune | test")
	out := fs.String("out", "", "output file: .csv, .csv.gz or .parquet")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *model == "" || *dataDir == "" || *out == "" {
		return fmt.Errorf("embed needs --model, --data and --out (see `byb embed --help`)")
	}
	backend, info, err := cf.openEngine()
	if err != nil {
		return err
	}
	run, finish, err := cf.beginRun(runSpec{experiment: "embed", name: "embed " + *model, engine: info.String(),
		params: map[string]string{"command": "embed", "model": *model, "data": *dataDir, "split": *split, "out": *out, "like": *like, "settings": *settings}})
	if err != nil {
		return err
	}
	set, err := parseSet("--set", *settings)
	if err != nil {
		return finish(err)
	}
	res, err := pipeline.Embed(pipeline.EmbedOptions{Model: *model, Like: *like, Settings: set, Data: *dataDir, Split: *split, Out: *out, Backend: backend, Run: run})
	if err := finish(err); err != nil {
		return err
	}
	if cf.json {
		return emitJSON(map[string]any{"run_id": run.ID(), "out": res.Out, "users": res.Users, "dim": res.Dim, "users_without_behavior": res.Skipped})
	}
	fmt.Printf("wrote %d embeddings of dimension %d to %s (%d users had no behavior in the %s window)\n", res.Users, res.Dim, res.Out, res.Skipped, *split)
	return nil
}
