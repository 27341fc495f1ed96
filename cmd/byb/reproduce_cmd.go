package main

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/byb-dev/byb/experiments"
)

func init() {
	register(&command{name: "reproduce", summary: "reproduce a table of the paper (" + strings.Join(experiments.Names(), ", ") + ")", run: runReproduce})
}

func runReproduce(args []string) error {
	fs := newFlagSet("reproduce", "reproduce EXPERIMENT [--scale small] [--seeds N] [--out DIR]",
		`Runs an experiment end to end: table2 on synthetic analogues of the paper's data sets
(generated and cached under --out/data), retail on the real UCI Online Retail log (--in).
It pretrains every method, finetunes every row on every task, and writes the table as
Markdown (and CSV) under --out. Every run is recorded in the tracker under one parent run
(byb runs show ID; byb tui).

Experiments: `+strings.Join(experiments.Names(), ", ")+`, or all (`+strings.Join(experiments.AllOrder, ", ")+`, in that order, with the same flags)
Scales: ci (1,000 users per data set; 1 seed by default), small (the default: 4,000 users,
3 seeds), paper (Table 8 sizes and the paper's protocol; GPU-sized, not for a laptop). At ci
and small every method gets one shared CPU budget: n=128 behaviors, 1,000 pretraining steps
of 32 users at small (300 at ci; --budget steps=N or time=DURATION for another, the same for
every method), and every finetuning row — frozen, unfrozen and Supervised — trains until its
score on a validation part of the labelled users stops improving and is tested with its best
epoch. A row still learning when its budget ended is marked in the table. --tune gives
every method the same learning-rate search, chosen on validation.`)
	var cf commonFlags
	cf.register(fs, true)
	scale := fs.String("scale", "small", "ci | small | paper")
	seeds := fs.Int("seeds", 0, "model seeds; cells show mean ± std over them (default: 3 at the small scale, 1 at ci and paper)")
	out := fs.String("out", "out", "output directory (data and runs are cached here)")
	presets := fs.String("presets", "", "comma-separated synthetic data sets (default: tmall-like,mobile-like, unless --dataset is given)")
	dataSeeds := fs.Bool("data-seeds", false, "table2: generate the synthetic data anew for every seed (seed+1), so that the spread includes the data's")
	var datasets listFlag
	fs.Var(&datasets, "dataset", "table2: an imported dataset directory (byb data import) to run the same protocol on, with its own tasks; repeatable")
	quiet := fs.Bool("quiet", false, "no per-step progress bars")
	methodList := fs.String("methods", "all", "pretraining methods whose rows run: byb, nbp, mbmv1, mbmv2, cts, msdp, or all (the other rows say \"not run\")")
	budget := fs.String("budget", "", `every pretraining's budget, the same for every method: steps=N (equal optimizer steps) or time=DURATION (equal wall-clock time on this machine, e.g. time=3m: a faster method trains more); default: the scale's`)
	tune := fs.Bool("tune", false, "give every pretraining and every finetuning row the same learning-rate search (3e-4, 1e-3, 3e-3), chosen on the validation part with seed 0, never on test; the table says what was chosen")
	pretrainSet := fs.String("pretrain-set", "", `settings added to every method's pretraining, e.g. "min_steps=150;batch_size=32" (one shared, smaller budget)`)
	finetuneSet := fs.String("finetune-set", "", `table2: settings added to every finetuning cell, frozen and unfrozen, e.g. "epochs=1" (a smoke budget)`)
	input := fs.String("in", "", "the input log of an experiment on real data (retail: default "+experiments.DefaultRetailInput+")")
	taskList := fs.String("tasks", "", "comma-separated task columns that run (default: all), e.g. 5-day,Active-30d")
	rowList := fs.String("rows", "", "comma-separated rows that run (default: all): supervised, nbp, mbmv1, mbmv2, cts, msdp, byb-freeze, byb-unfreeze, random-freeze, bag (bag-of-IDs), bag-e-byb and bag-e-random (the bag with E of BYB or of a random encoder), or frozen (every frozen row)")
	userList := fs.String("users", "", "scaling: the pretraining users of each size, comma-separated (4000, 16k, 1M; default at small: 4k,16k,64k, at ci: 1k,2k); the smallest is the scale's labelled users")
	maxTime := fs.String("max-time", "", "scaling: stop each pretraining after this much training time (90s, 45m, 2h), recorded in its steps; default: none")
	// Flags may follow the experiment name.
	var name string
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		name, args = args[0], args[1:]
	}
	if err := parse(fs, args); err != nil {
		return err
	}
	if name == "" && fs.NArg() > 0 {
		name = fs.Arg(0)
	}
	if name == "" {
		fs.Usage()
		return errUsage
	}
	names := []string{name}
	if name == "all" {
		names = experiments.AllOrder
	}
	var exps []experiments.Experiment
	for _, n := range names {
		exp, err := experiments.Lookup(n)
		if err != nil {
			return err
		}
		exps = append(exps, exp)
	}
	users, err := parseUserCounts(*userList)
	if err != nil {
		return err
	}
	if *maxTime != "" {
		if d, err := time.ParseDuration(*maxTime); err != nil || d <= 0 {
			return fmt.Errorf("--max-time %q: want a positive duration such as 90s, 45m or 2h", *maxTime)
		}
	}
	pretrainSettings, err := parseSet("--pretrain-set", *pretrainSet)
	if err != nil {
		return err
	}
	finetuneSettings, err := parseSet("--finetune-set", *finetuneSet)
	if err != nil {
		return err
	}
	backend, info, err := cf.openEngine()
	if err != nil {
		return err
	}
	ps := splitList(*presets)
	for _, exp := range exps {
		if len(exps) > 1 {
			fmt.Fprintf(os.Stderr, "[reproduce all] %s\n", exp.Name)
		}
		rep, err := exp.Run(experiments.Config{Scale: *scale, Seeds: *seeds, Out: *out, Backend: backend, Engine: info,
			Tracking: cf.tracking, Log: os.Stderr, Quiet: *quiet, Presets: ps, Datasets: datasets, DataSeeds: *dataSeeds, Methods: strings.Split(*methodList, ","),
			Budget: *budget, Tune: *tune, PretrainSettings: pretrainSettings, FinetuneSettings: finetuneSettings, Input: *input, Tasks: splitList(*taskList), Rows: splitList(*rowList),
			Users: users, MaxTime: *maxTime})
		if err != nil {
			return fmt.Errorf("%s: %w", exp.Name, err)
		}
		if cf.json {
			if err := emitJSON(map[string]any{"experiment": exp.Name, "run_id": rep.RunID, "files": rep.Files, "markdown": rep.Markdown}); err != nil {
				return err
			}
			continue
		}
		fmt.Println(rep.Markdown)
		for kind, path := range rep.Files {
			fmt.Printf("%s: %s\n", kind, path)
		}
		if rep.RunID != "" { // --tracking off records no run
			fmt.Printf("run: %s (byb runs show %s)\n", rep.RunID, rep.RunID)
		}
	}
	return nil
}

// splitList splits a comma-separated flag value; "" is no list.
func splitList(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, ",")
}

// parseUserCounts reads --users: counts such as 4000, 16k or 1M, comma-separated.
func parseUserCounts(s string) ([]int, error) {
	var out []int
	for _, f := range splitList(s) {
		f = strings.TrimSpace(f)
		mult := 1.0
		switch {
		case strings.HasSuffix(f, "k"), strings.HasSuffix(f, "K"):
			mult, f = 1e3, f[:len(f)-1]
		case strings.HasSuffix(f, "M"):
			mult, f = 1e6, f[:len(f)-1]
		}
		v, err := strconv.ParseFloat(f, 64)
		n := int(v * mult)
		if err != nil || n <= 0 || float64(n) != v*mult {
			return nil, fmt.Errorf("--users %q: want whole user counts such as 4000,16k,1M", s)
		}
		out = append(out, n)
	}
	return out, nil
}
