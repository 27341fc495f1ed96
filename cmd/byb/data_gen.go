package main

import (
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/byb-dev/byb/byb/data/synth"
	"github.com/byb-dev/byb/tracking"
)

func init() {
	registerDataVerb(&command{name: "gen", summary: "generate a synthetic analogue of the paper's data sets (tmall-like, mobile-like)", run: runDataGen})
}

func runDataGen(args []string) error {
	fs := newFlagSet("data gen", "data gen --preset tmall-like|mobile-like --scale ci|small|paper [--seed S] --out DIR [--json]",
		`Generates a synthetic dataset whose generative process follows the properties the paper states
for real behavior data (see the package doc of byb/data/synth): exchangeable behaviors within a
day, slowly drifting interests, weekly periodicity, a Zipf long tail in which some rare behaviors
signal the future, several IDs per behavior. Labels are computed from the generated future by
the tasks' rules. Same preset, scale and seed give byte-identical data files.

  tmall-like   90 categories, items/brands/actions, 2013 timeline, tasks 5/10/15/30-day
               (most frequent category, 90 classes)
  mobile-like  ~30,000 pages with section and dwell bucket, 2023 timeline, tasks Active-30d,
               Login-90d, Unbind-30d, Unbind-90d (binary)

Scales: ci (1,000 users, seconds), small (4,000 users, for CPU reproductions), paper (Table 8's
3.9M / 10M users and lengths; streams to disk).`)
	var cf commonFlags
	cf.register(fs, false)
	preset := fs.String("preset", "", "tmall-like | mobile-like")
	scale := fs.String("scale", "ci", "ci | small | paper")
	seed := fs.Int64("seed", 1, "random seed")
	out := fs.String("out", "", "output dataset directory")
	users := fs.Int("users", 0, "override the scale's number of users")
	labelled := fs.Int("labelled", 0, "only users 0..N-1 enter the finetune and test splits, the others pretraining only (the data-scaling experiment's sets: --users 64000 --labelled 4000 adds 60,000 unlabelled users to the small scale's); 0 = every user")
	workers := fs.Int("workers", 2, "goroutines generating users (the output does not depend on it)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *preset == "" || *out == "" {
		fs.Usage()
		fmt.Fprintf(os.Stderr, "\nbyb: data gen needs --preset (%s) and --out\n", strings.Join(synth.Presets, ", "))
		return errUsage
	}
	cfg, err := synth.NewConfig(*preset, *scale, *seed)
	if err != nil {
		return err
	}
	if *users > 0 {
		cfg.Users = *users
	}
	if *labelled < 0 || *labelled > cfg.Users {
		return fmt.Errorf("--labelled %d: want 0 (every user) up to the %d users generated", *labelled, cfg.Users)
	}
	cfg.LabelledUsers = *labelled
	cfg.Workers = *workers
	run, finish, err := cf.beginRun(runSpec{experiment: "data", name: "gen " + *preset + " " + *scale, dir: *out,
		params: map[string]string{"command": "data gen", "preset": *preset, "scale": *scale, "seed": fmt.Sprint(*seed), "data": *out, "users": fmt.Sprint(cfg.Users)}})
	if err != nil {
		return err
	}
	return finish(generate(cf, cfg, *out, run))
}

func generate(cf commonFlags, cfg synth.Config, out string, run tracking.Run) error {
	start := time.Now()
	last := time.Now()
	res, err := synth.Generate(cfg, out, func(done, total int) {
		if time.Since(last) > 5*time.Second || done == total {
			last = time.Now()
			fmt.Fprintf(os.Stderr, "\rgenerated %d/%d users", done, total)
			if done == total {
				fmt.Fprintln(os.Stderr)
			}
		}
	})
	if err != nil {
		return err
	}
	secs := time.Since(start).Seconds()
	run.LogMetric("users", float64(res.Meta.Users), 0)
	run.LogMetric("events", float64(res.Meta.Events), 0)
	run.LogMetric("seconds", secs, 0)
	run.LogArtifact(res.Dir, "dataset")
	if cf.json {
		return emitJSON(map[string]any{"dir": res.Dir, "name": res.Meta.Name, "source": res.Meta.Source,
			"users": res.Meta.Users, "events": res.Meta.Events, "fields": res.Meta.Fields,
			"empty_users": res.Meta.EmptyUsers, "missing_labels": res.Meta.MissingLabels, "seconds": secs})
	}
	fmt.Printf("wrote %s: %s, %d users, %d behaviors in %.1fs\n", res.Dir, res.Meta.Source, res.Meta.Users, res.Meta.Events, secs)
	fmt.Printf("run `byb data stats %s` for its statistics\n", res.Dir)
	return nil
}
