package main

import (
	"fmt"
	"os"

	"github.com/byb-dev/byb/byb/data"
	"github.com/byb-dev/byb/byb/pipeline"
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
label entropy; and, for the pooling window --dt1 and prediction window --dt2 that BYB would
use, the share of pretraining prefixes with a target and the behaviors per non-empty window
(with a warning when most targets are empty). The warnings of the import that made the
dataset (kept in meta.json) are repeated as "warning: " lines, and under "warnings" in --json.`)
	var cf commonFlags
	cf.register(fs, false)
	dt1 := fs.String("dt1", "day", "pooling window ΔT1 for the target coverage: day, hour, week, month, or 6h, 7d, 3mo, ...")
	dt2 := fs.Int("dt2", 1, "prediction window ΔT2 in ΔT1 windows for the target coverage (byb_dt2)")
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
	defer d.Close()
	st, err := data.ComputeStats(d)
	if err != nil {
		return err
	}
	pool, months, err := data.ParsePool(*dt1)
	if err != nil {
		return fmt.Errorf("--dt1: %w", err)
	}
	pre, err := d.Samples(data.Pretrain)
	if err != nil {
		return err
	}
	// Pretraining keeps its targets out of the label windows (cutting its span, see
	// pipeline.ClipBeforeLabels): count them as it will read them.
	seq := data.SeqConfig{Pool: pool, Months: months, TargetWindows: *dt2}
	cut := ""
	if obs, bound := pipeline.ClipBeforeLabels(d, pre.Split.Obs, seq, *dt2); bound != nil {
		cut = fmt.Sprintf(" (the pretraining span %s is cut to %s so that they end where the %s labels start)", pre.Split.Obs, obs, bound.Name)
		pre = d.Within(pre, obs)
	}
	cov := d.Coverage(pre, data.SeqConfig{Pool: pool, Months: months}, *dt2)
	if cf.json {
		return emitJSON(struct {
			*data.Stats
			Coverage data.TargetCoverage `json:"byb_targets"`
			DT1      string              `json:"dt1"`
		}{st, cov, *dt1})
	}
	if err := st.WriteText(os.Stdout); err != nil {
		return fmt.Errorf("writing stats: %w", err)
	}
	fmt.Printf("\nBYB targets in pretrain at dt1=%s, dt2=%d, read from %s%s (%s): %s\n", *dt1, *dt2, seq.TargetSpan(pre.Split.Obs), cut, d.Meta.LabelWindowsText(), cov)
	if w := cov.Warning(*dt1); w != "" {
		fmt.Println(w)
	}
	return nil
}
