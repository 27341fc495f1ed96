package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"strings"
	"sync/atomic"

	"github.com/byb-dev/byb/byb/engine"
	"github.com/byb-dev/byb/byb/params"
	"github.com/byb-dev/byb/byb/train"
	"github.com/byb-dev/byb/tracking"
	"github.com/gomlx/gomlx/backends"
)

// commonFlags are the flags every command takes: --json, --tracking and, for the commands
// that run graphs, --backend.
type commonFlags struct {
	json     bool
	tracking string
	backend  string
}

func (c *commonFlags) register(fs *flag.FlagSet, withBackend bool) {
	fs.BoolVar(&c.json, "json", false, "print the result as one JSON object on stdout (progress goes to stderr)")
	def := os.Getenv("BYB_TRACKING")
	if def == "" {
		def = "byb.db"
	}
	fs.StringVar(&c.tracking, "tracking", def, "tracker database (SQLite); $BYB_TRACKING sets the default; \"off\" records nothing")
	if withBackend {
		fs.StringVar(&c.backend, "backend", "", "engine: xla | xla:cpu | xla:cuda | xla:/path/plugin.so | go (default: $GOMLX_BACKEND, else XLA CPU when installed, else go)")
	}
}

// openEngine opens the chosen engine and prints which one on stderr.
func (c *commonFlags) openEngine() (backends.Backend, engine.Info, error) {
	b, info, err := engine.Open(c.backend)
	if err != nil {
		return nil, info, err
	}
	fmt.Fprintf(os.Stderr, "engine: %s\n", info)
	return b, info, nil
}

// emitJSON writes v as one JSON object on stdout.
func emitJSON(v any) error {
	enc := json.NewEncoder(os.Stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// runSpec describes the tracked run a command records.
type runSpec struct {
	experiment, name string
	params           map[string]string
	dir              string // run directory (checkpoints, artifacts); "" for none
	engine           string
	parent           string // parent run id (a reproduction's children); default $BYB_PARENT_RUN
	// upstream is the run directory the command builds on (finetuning's --init): the run
	// carries that run's params as pretrain.* (tracking.RunOptions.Upstream).
	upstream string
	// interrupted is what to tell a user who interrupts the command (how to resume).
	interrupted string
	// interrupt, when set, makes the first SIGINT/SIGTERM set it instead of ending the
	// process: the command stops at a safe point (a training step, with a checkpoint) and
	// ends the run itself; a second signal ends it at once.
	interrupt *atomic.Bool
}

// parentRunEnv names the variable that makes a command's run the child of another run:
// `byb sweep` sets it for each point it runs as a subprocess, so that the points' runs hang
// under the sweep's. An environment variable rather than a flag, so that every command takes
// it without a flag of its own and the user's command line stays as typed.
const parentRunEnv = "BYB_PARENT_RUN"

// beginRun records the command in the tracker (--tracking; "off" records nothing) and makes
// SIGINT/SIGTERM end it as killed. finish(err) ends the run as finished, or failed with err,
// and returns err (or the tracker's own error). The run's parent is s.parent, or else
// $BYB_PARENT_RUN, which beginRun clears: the command's own subprocesses are not the parent's.
func (c *commonFlags) beginRun(s runSpec) (run tracking.Run, finish func(error) error, err error) {
	if s.parent == "" {
		s.parent = os.Getenv(parentRunEnv)
	}
	os.Unsetenv(parentRunEnv)
	if c.tracking == "off" {
		run := tracking.Nop{RunDir: s.dir}
		stop := s.handleSignals(run)
		return run, func(e error) error { stop(); return e }, nil
	}
	r, err := tracking.Begin(c.tracking, tracking.RunOptions{
		Experiment: s.experiment, Name: s.name, Engine: s.engine, GitCommit: tracking.CodeVersion(),
		ParentID: s.parent, Dir: s.dir, Command: strings.Join(os.Args, " "), Params: s.params, Upstream: s.upstream,
		Resumes: s.dir != "" && train.HasCheckpoint(s.dir),
	})
	if err != nil {
		return nil, nil, fmt.Errorf("tracker %s: %w", c.tracking, err)
	}
	stop := s.handleSignals(r)
	return r, func(e error) error {
		stop()
		if endErr := tracking.EndWithError(r, e); e == nil {
			return endErr
		}
		return e
	}, nil
}

// handleSignals makes SIGINT/SIGTERM end run as killed, or with s.interrupt set, ask the
// command to stop at its next safe point first.
func (s runSpec) handleSignals(run tracking.Run) (stop func()) {
	if s.interrupt == nil {
		return tracking.HandleSignals(run, s.interrupted)
	}
	return tracking.OnSignalGraceful(s.interrupted, func(string) { s.interrupt.Store(true) }, func(reason string) {
		if err := run.End(tracking.StatusKilled, reason); err != nil {
			fmt.Fprintf(os.Stderr, "byb: %v\n", err)
		}
	})
}

// indent prefixes every line of s with two spaces (help texts).
func indent(s string) string {
	return "  " + strings.ReplaceAll(strings.TrimRight(s, "\n"), "\n", "\n  ")
}

// parseSet reads a --set text once into the typed settings the command passes on (packages
// never see the text). A command parses it once its run is begun, so that a refused --set is
// the run's failure in the tracker (a sweep's invalid point is a failed child run).
func parseSet(flag, text string) (params.Set, error) {
	s, err := params.Parse(text)
	if err != nil {
		return params.Set{}, fmt.Errorf("%s %q: %w", flag, text, err)
	}
	return s, nil
}
