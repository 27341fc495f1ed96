// Package experiments holds the paper's tables and figures as named, reproducible
// experiments. Each one generates (or reuses) its data, runs the same pipeline a user's
// commands run (byb/pipeline), records every run in the tracker under one parent run, and
// writes its table as Markdown and CSV.
package experiments

import (
	"fmt"
	"io"
	"sort"

	"github.com/byb-dev/byb/byb/engine"
	"github.com/byb-dev/byb/byb/params"
	"github.com/gomlx/gomlx/backends"
)

// Config is what every experiment takes.
type Config struct {
	Scale    string // ci | small | paper
	Seeds    int    // model seeds (0..Seeds-1); results are mean ± std over them; 0: the scale's default
	Out      string // output root; data and runs are cached under it
	Backend  backends.Backend
	Engine   engine.Info
	Tracking string    // tracker database, or "off"
	Log      io.Writer // progress lines
	Quiet    bool      // no per-step progress bars
	Presets  []string  // data sets to run (default: every preset the experiment knows)
	// Datasets are imported dataset directories to run as well, each with its own tasks
	// (table2 --dataset DIR); with Datasets and no Presets, only they run.
	Datasets []string
	// DataSeeds regenerates a synthetic data set for every seed (seed+1), so that the spread
	// over seeds includes the data's, not only the model's.
	DataSeeds bool
	// Methods are the pretraining methods whose rows run (default: every one); the rows of
	// the others say "not run".
	Methods []string
	// Budget is every pretraining's budget, the same for every method: "steps=N" (equal
	// optimizer steps) or "time=DURATION" (equal wall-clock time on this machine, so that a
	// faster method trains more); "" = the scale's (see scaleBudget).
	Budget string
	// Tune gives every pretraining and every finetuning row the same learning-rate search,
	// chosen on validation with seed 0 (tuneGrid).
	Tune bool
	// PretrainSettings are added to every pretraining run's budget, the same for every method
	// (a smaller shared budget for a quick comparison).
	PretrainSettings params.Set
	// FinetuneSettings are added to every finetuning cell's budget, frozen and unfrozen alike
	// (a smoke budget: epochs=1).
	FinetuneSettings params.Set
	// Input is the log an experiment on real data reads (retail: the Online Retail file).
	Input string
	// Tasks, when set, are the only task columns that run (the others say "not run").
	Tasks []string
	// Users are the pretraining users of each size of the scaling experiment (default: the
	// scale's, see scalingSizes); MaxTime ("90m") stops each of its pretrainings early.
	Users   []int
	MaxTime string
	// Rows, when set, are the only rows that run, by key (table2: supervised, nbp, …,
	// byb-freeze, byb-unfreeze, random-freeze) or "frozen" for every frozen row.
	Rows []string
}

// DefaultSeeds is the number of seeds an experiment runs at each scale when Config.Seeds
// is 0: three at the small scale, enough for the paired claims to tell a difference from
// seed noise; one where a run is a smoke test (ci) or GPU-sized (paper).
var DefaultSeeds = map[string]int{"ci": 1, "small": 3, "paper": 1}

// seedCount is c.Seeds, or the scale's default.
func (c Config) seedCount() int {
	if c.Seeds > 0 {
		return c.Seeds
	}
	if n, ok := DefaultSeeds[c.Scale]; ok {
		return n
	}
	return 1
}

// runs reports whether method is one of c.Methods (every one when none is given, or "all").
func (c Config) runs(method string) bool {
	if len(c.Methods) == 0 {
		return true
	}
	for _, m := range c.Methods {
		if m == method || m == "all" {
			return true
		}
	}
	return false
}

// runsTask reports whether task is one of c.Tasks (every task when none is given).
func (c Config) runsTask(task string) bool { return len(c.Tasks) == 0 || contains(c.Tasks, task) }

// runsRow reports whether the row with key (frozen or not) is one of c.Rows (every row when
// none is given).
func (c Config) runsRow(key string, frozen bool) bool {
	return len(c.Rows) == 0 || contains(c.Rows, key) || frozen && contains(c.Rows, "frozen")
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// Experiment is a named reproduction.
type Experiment struct {
	Name    string
	Summary string
	Run     func(Config) (*Report, error)
}

// Report is what an experiment produced.
type Report struct {
	Markdown string            // the table, as printed
	Files    map[string]string // kind → path of what was written
	RunID    string            // the parent run in the tracker
	// Values are the measured numbers by row key (per seed), for tests and scripts.
	Values map[string][]float64
}

var registry = map[string]Experiment{}

func register(e Experiment) { registry[e.Name] = e }

// Lookup returns a registered experiment.
func Lookup(name string) (Experiment, error) {
	e, ok := registry[name]
	if !ok {
		return Experiment{}, fmt.Errorf("unknown experiment %q (known: %v)", name, Names())
	}
	return e, nil
}

// AllOrder is what `byb reproduce all` runs: Table 2 first, since the figures of a pretrained
// BYB (fig5, fig6) reuse its seed-0 run.
var AllOrder = []string{"table2", "table3", "ablations", "fig4", "table4", "fig5", "fig6", "retail", "supervised", "scaling"}

// Names lists the experiments.
func Names() []string {
	var out []string
	for n := range registry {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}
