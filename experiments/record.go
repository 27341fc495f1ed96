package experiments

import (
	"fmt"
	"io"
	"os"
	"strings"
	"sync"

	"github.com/byb-dev/byb/byb/train"
	"github.com/byb-dev/byb/tracking"
)

// tracker records an experiment as a parent run, its pretraining runs as children and their
// finetuning runs as grandchildren, so that `byb runs show` walks from a table to every run
// behind it.
type tracker struct {
	c        Config
	parent   tracking.Run
	byDir    map[string]string // pretraining run dir → run id
	disabled bool

	mu         sync.Mutex
	open       map[tracking.Run]bool // child runs under way, ended as killed on SIGINT
	stopSignal func()
}

// childRun is one recorded child run.
type childRun struct {
	run    tracking.Run
	finish func(error) error
}

func newTracker(c Config, name string, params map[string]string) (*tracker, error) {
	t := &tracker{c: c, byDir: map[string]string{}, disabled: c.Tracking == "off" || c.Tracking == ""}
	if t.disabled {
		t.parent = tracking.Nop{}
		return t, nil
	}
	params["command"] = "reproduce " + name
	run, err := tracking.Begin(c.Tracking, tracking.RunOptions{Experiment: name, Name: "reproduce " + name + " " + c.Scale,
		Engine: c.Engine.String(), GitCommit: tracking.CodeVersion(), Dir: c.Out, Command: strings.Join(os.Args, " "), Params: params})
	if err != nil {
		return nil, fmt.Errorf("tracker %s: %w", c.Tracking, err)
	}
	t.parent = run
	t.open = map[tracking.Run]bool{}
	t.stopSignal = tracking.OnSignal("run the same command again: finished pretrainings are reused and an interrupted one resumes from its last checkpoint",
		func(reason string) {
			t.mu.Lock()
			defer t.mu.Unlock()
			for r := range t.open {
				_ = r.End(tracking.StatusKilled, reason)
			}
			_ = t.parent.End(tracking.StatusKilled, reason)
		})
	return t, nil
}

func (t *tracker) id() string { return t.parent.ID() }

func (t *tracker) child(experiment, name, dir string, params map[string]string) (*childRun, error) {
	ch, err := t.childOf(t.parent.ID(), "", experiment, name, dir, params)
	if err == nil && dir != "" {
		t.byDir[dir] = ch.run.ID()
	}
	return ch, err
}

// childOf records a run under parent (the experiment's run when ""). upstream, when not ""
// or "none", is the pretraining run directory its encoder starts from: the run carries that
// pretraining's params as pretrain.* (tracking.RunOptions.Upstream), so that finetuning
// results group by a pretraining switch.
func (t *tracker) childOf(parent, upstream, experiment, name, dir string, params map[string]string) (*childRun, error) {
	if t.disabled {
		return &childRun{run: tracking.Nop{RunDir: dir}, finish: func(err error) error { return err }}, nil
	}
	if parent == "" {
		parent = t.parent.ID()
	}
	if upstream == "none" {
		upstream = ""
	}
	// A reproduction is long work: a child the tracker cannot take is kept in its directory
	// (tracking.BeginOrKeep) rather than ending the reproduction.
	run, err := tracking.BeginOrKeep(t.c.Tracking, tracking.RunOptions{Experiment: experiment, Name: name, ParentID: parent,
		Engine: t.c.Engine.String(), GitCommit: tracking.CodeVersion(), Dir: dir, Params: params, Upstream: upstream,
		Resumes: dir != "" && train.HasCheckpoint(dir)}, t.c.Log)
	if err != nil {
		return nil, err
	}
	t.mu.Lock()
	t.open[run] = true
	t.mu.Unlock()
	return &childRun{run: run, finish: func(e error) error {
		t.mu.Lock()
		delete(t.open, run)
		t.mu.Unlock()
		if endErr := tracking.EndWithError(run, e); e == nil {
			return endErr
		}
		return e
	}}, nil
}

// pretrainedRunID is the tracker id of the pretraining run in dir ("" for none).
func pretrainedRunID(t *tracker, dir string) string { return t.byDir[dir] }

func (t *tracker) artifact(path, kind string) { _ = t.parent.LogArtifact(path, kind) }

func (t *tracker) finish(err error) error {
	if t.stopSignal != nil {
		t.stopSignal()
	}
	if e := tracking.EndWithError(t.parent, err); err == nil && !t.disabled {
		return e
	}
	return err
}

func (t *tracker) fail(err error) error { return t.finish(err) }

func (c Config) logf(format string, args ...any) {
	if c.Log != nil {
		fmt.Fprintf(c.Log, format+"\n", args...)
	}
}

// progress is where the training progress bars go.
func (c Config) progress() io.Writer {
	if c.Quiet || c.Log == nil {
		return io.Discard
	}
	return c.Log
}

// finishedPretraining reports whether dir holds a pretraining that ran to the end of its
// budget, and its n. An experiment reuses such a run as it is: pretraining it again would be
// refused (nothing left to train), and recording a run that trains nothing would be noise.
// The run directory's name carries its settings, so the run is the one asked for.
func finishedPretraining(dir string) (maxLen int, ok bool) {
	cfg, err := train.ReadConfig(dir)
	if err != nil || cfg.Finished == nil || !*cfg.Finished {
		return 0, false
	}
	return cfg.MaxLen, true
}
