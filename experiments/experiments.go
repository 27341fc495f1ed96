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
	"github.com/gomlx/gomlx/backends"
)

// Config is what every experiment takes.
type Config struct {
	Scale    string // ci | small | paper
	Seeds    int    // model seeds (0..Seeds-1); results are mean ± std over them
	Out      string // output root; data and runs are cached under it
	Backend  backends.Backend
	Engine   engine.Info
	Tracking string    // tracker database, or "off"
	Log      io.Writer // progress lines
	Quiet    bool      // no per-step progress bars
	Presets  []string  // data sets to run (default: every preset the experiment knows)
	// Methods are the pretraining methods whose rows run (default: byb); the rows of the
	// others say "not run".
	Methods []string
}

// runs reports whether method is one of c.Methods (byb when none is given; "all" = every one).
func (c Config) runs(method string) bool {
	if len(c.Methods) == 0 {
		return method == "byb"
	}
	for _, m := range c.Methods {
		if m == method || m == "all" {
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

// Names lists the experiments.
func Names() []string {
	var out []string
	for n := range registry {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}
