package main

import (
	"fmt"
	"os"

	"github.com/byb-dev/byb/byb/data"
)

func init() {
	registerDataVerb(&command{name: "stats", summary: "print a dataset's statistics (Table 8's columns per split, class balance of every task)", run: runDataStats})
}

func runDataStats(args []string) error {
	fs := newFlagSet("data stats", "data stats [--json] DIR",
		`Prints, per split (pretrain, finetune, test): samples, users without any behavior in the
observation window, distinct behavior IDs, max/min/avg length, days, observation and label
windows (the paper's Table 8), and for finetune and test the class balance of every task:
labeled and missing labels, positive rate (binary), classes present, top class and its share,
label entropy.`)
	var cf commonFlags
	cf.register(fs, false)
	// Accept DIR before or after the flags.
	var dir string
	if len(args) > 0 && len(args[0]) > 0 && args[0][0] != '-' {
		dir, args = args[0], args[1:]
	}
	if err := parse(fs, args); err != nil {
		return err
	}
	if dir == "" && fs.NArg() > 0 {
		dir = fs.Arg(0)
	}
	if dir == "" || fs.NArg() > 1 {
		fs.Usage()
		return errUsage
	}
	d, err := data.Load(dir)
	if err != nil {
		return err
	}
	st, err := data.ComputeStats(d)
	if err != nil {
		return err
	}
	if cf.json {
		return emitJSON(st)
	}
	if err := st.WriteText(os.Stdout); err != nil {
		return fmt.Errorf("writing stats: %w", err)
	}
	return nil
}
