package pipeline

import (
	"fmt"
	"io"
	"iter"
	"math"
	"os"

	"github.com/byb-dev/byb/byb/data"
	"github.com/byb-dev/byb/byb/encoder"
	"github.com/byb-dev/byb/byb/engine"
	"github.com/byb-dev/byb/byb/objective"
	"github.com/byb-dev/byb/byb/params"
	"github.com/byb-dev/byb/byb/record"
	"github.com/byb-dev/byb/byb/train"
	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/pkg/ml/context"
)

// PretrainOptions of one pretraining run.
type PretrainOptions struct {
	Data     string     // dataset directory
	Method   string     // a registered objective: byb, nbp, ...
	Settings params.Set // hyper-parameter overrides
	Out      string     // run directory (config.json, checkpoint/); an existing one resumes
	Backend  backends.Backend
	Engine   engine.Info
	Run      record.Recorder // nil records nothing
	Progress io.Writer       // nil = stderr, io.Discard = quiet
	// Devices > 1 splits every batch over that many of the engine's devices (0 or 1: one).
	Devices int
	// Interrupt, if set, is asked after every step whether to stop there with a checkpoint
	// (train.Options.Interrupt): the command's SIGINT.
	Interrupt func() bool
}

// PretrainResult of a pretraining run.
type PretrainResult struct {
	Dir        string
	Method     string
	MaxLen     int // n; 0 = every behavior (a pooled model's packed batches)
	Windows    int
	Samples    int // pretraining samples (users)
	Train      *train.Result
	FinalLoss  float64
	SamplesPer float64 // samples per second
	// Convergence judges the loss curve of this call's steps (see train.LossConvergence).
	Convergence train.Convergence
}

// warn prints a warning line on the progress writer (stderr by default).
func warn(w io.Writer, format string, args ...any) {
	if w == nil {
		w = os.Stderr
	}
	_, _ = fmt.Fprintf(w, "warning: "+format+"\n", args...)
}

// ClipBeforeLabels ends the pretraining span early enough that the targets read after it
// (the windows pooling windows that follow it) end before every finetune/test label window
// that starts after it: otherwise pretraining learns from the behaviors those labels
// describe, for users who are also in those splits. The default splits end the pretraining
// span where a label window starts, so any objective that reads ahead is clipped by its
// horizon. It returns the span unchanged and a nil window when no label window is reached.
func ClipBeforeLabels(ds *data.Dataset, obs data.Span, seq data.SeqConfig, windows int) (data.Span, *data.NamedSpan) {
	seq.TargetWindows = windows
	var bound *data.NamedSpan
	for _, l := range ds.Meta.LabelWindows() {
		if obs.End > l.Span.Start || seq.TargetSpan(obs).End <= l.Span.Start {
			continue // the span itself overlaps it (by the import's design, reported there), or the targets end before it
		}
		end := min(obs.End, seq.WindowStart(l.Span.Start, -windows))
		for end > obs.Start && seq.TargetSpan(data.Span{Start: obs.Start, End: end}).End > l.Span.Start {
			end -= data.Day // calendar months differ in length
		}
		obs.End = end
		bound = &l
	}
	return obs, bound
}

// clipPretraining applies ClipBeforeLabels to the pretraining samples, saying so, and
// refuses when too little span is left for the horizon.
func clipPretraining(ds *data.Dataset, samples *data.Samples, seq data.SeqConfig, windows int, method, dt1 string, progress io.Writer) (*data.Samples, error) {
	obs := samples.Split.Obs
	clipped, bound := ClipBeforeLabels(ds, obs, seq, windows)
	if bound == nil {
		return samples, nil
	}
	seq.TargetWindows = windows
	target := seq.TargetSpan(obs)
	if seq.Windows(clipped) <= windows {
		return nil, fmt.Errorf("%s's targets read %s (%d window(s) of dt1=%s after the pretraining span %s), which reaches into the %s label window %s, and ending the span early enough leaves %s, too short to predict %d window(s) ahead: pretraining would learn from the behaviors the %s labels describe; predict fewer windows ahead (byb_dt2 for BYB), pool over shorter windows, or end the pretraining span earlier (data import --pretrain)",
			method, target, windows, dt1, obs, bound.Name, bound.Span, clipped, windows, bound.Name)
	}
	out := ds.Within(samples, clipped)
	if out.Len() == 0 {
		return nil, fmt.Errorf("%s's targets would reach into the %s label window %s; no user has a behavior in the shortened pretraining span %s: end the pretraining span earlier (data import --pretrain)",
			method, bound.Name, bound.Span, clipped)
	}
	if progress != io.Discard {
		left := ""
		if n := samples.Len() - out.Len(); n > 0 {
			left = fmt.Sprintf("; %d user(s) without behavior in it left out", n)
		}
		w := progress
		if w == nil {
			w = os.Stderr
		}
		_, _ = fmt.Fprintf(w, "note: %s's targets (%d window(s) of dt1=%s) after the pretraining span %s would read %s, inside the %s label window %s; pretraining uses %s instead, so that they end where those labels start%s\n",
			method, windows, dt1, obs, target, bound.Name, bound.Span, clipped, left)
	}
	return out, nil
}

// pretrainPlan is one pretraining, resolved once before it trains: the dataset and its
// pretraining samples (their span cut before the label windows where the targets would reach
// them), the context with every parameter as the run uses it, the sequences' shape with their
// target windows, and the encoder and objective built from the dataset's facts.
type pretrainPlan struct {
	ds        *data.Dataset // the caller closes it
	samples   *data.Samples
	ctx       *context.Context
	settings  params.Set // what the run was given, protocol expanded (Train applies it again on a resume)
	seq       data.SeqConfig
	windows   int // T: pooling windows of the pretraining span (or its behaviors without pooling)
	batchSize int
	seed      int64
	enc       *encoder.Encoder
	obj       objective.Objective
}

// planPretrain resolves o into a pretrainPlan, refusing what cannot train before anything is
// written.
func planPretrain(o PretrainOptions) (p *pretrainPlan, err error) {
	method, err := objective.Lookup(o.Method)
	if err != nil {
		return nil, err
	}
	if err := train.CheckRunDir(o.Out); err != nil {
		return nil, err
	}
	ds, err := data.Load(o.Data)
	if err != nil {
		return nil, err
	}
	defer func() {
		if err != nil {
			_ = ds.Close()
		}
	}()
	p = &pretrainPlan{ds: ds}
	if p.samples, err = loadSplit(ds, data.Pretrain); err != nil {
		return nil, err
	}
	p.ctx = newContext(train.SetDefaults, method.Defaults)
	ctx := p.ctx
	if p.settings, err = train.ExpandProtocol(o.Settings, train.PaperPretrain()); err != nil {
		return nil, err
	}
	if err := p.settings.Apply(ctx); err != nil {
		return nil, fmt.Errorf("--set %q: %w", o.Settings, err)
	}
	if p.seq, err = seqConfig(ctx, ds, p.samples, method.Packs); err != nil {
		return nil, err
	}
	p.windows = p.seq.Windows(p.samples.Split.Obs)
	windows := p.windows
	// The positional table covers the pretraining sequence (T windows, or n behaviors without
	// pooling); finetuning windows may be shorter (Tmall: 120-day pretraining, 60-day
	// observation), never longer.
	if params.Get[int](ctx, encoder.ParamMaxPositions) == 0 {
		positions := windows
		if !params.Get[bool](ctx, encoder.ParamPool) {
			positions = p.seq.MaxLen
		}
		ctx.SetParam(encoder.ParamMaxPositions, positions)
	}
	if p.enc, err = encoder.New(ctx, ds.Meta.VocabSizes(), windows); err != nil {
		return nil, err
	}
	facts, err := datasetFacts(ds, windows, p.seq.MaxLen)
	if err != nil {
		return nil, err
	}
	if p.obj, err = method.New(ctx, facts); err != nil {
		return nil, err
	}
	if fr, ok := p.obj.(objective.FutureReader); ok && fr.FutureWindows() > 0 {
		if err := p.addTargets(o, fr); err != nil {
			return nil, err
		}
	}
	p.batchSize = params.Get[int](ctx, train.ParamBatchSize)
	if p.batchSize > p.samples.Len() {
		p.batchSize = p.samples.Len()
		ctx.SetParam(train.ParamBatchSize, p.batchSize)
	}
	p.seed = int64(params.Get[int](ctx, train.ParamSeed))
	return p, nil
}

// addTargets gives the plan the windows an objective reads after the input (BYB's ΔT2):
// the pretraining span cut where they would reach a label window, the batches carrying them
// as target-only behaviors, and a line on how many prefixes have a target.
func (p *pretrainPlan) addTargets(o PretrainOptions, fr objective.FutureReader) error {
	dt1 := params.Get[string](p.ctx, ParamDT1)
	if fr.FutureWindows() > p.windows {
		return fmt.Errorf("%s predicts %d window(s) ahead, but the pretraining sequence has only %d window(s) of dt1=%s: lower the horizon (byb_dt2 for BYB) to at most %d, or pool over shorter windows",
			o.Method, fr.FutureWindows(), p.windows, dt1, p.windows)
	}
	samples, err := clipPretraining(p.ds, p.samples, p.seq, fr.FutureWindows(), o.Method, dt1, o.Progress)
	if err != nil {
		return err
	}
	p.samples = samples
	// Algorithm 1: the last input position predicts the windows after the input, so the
	// batches carry them as target-only behaviors.
	// Sparse logs leave many users without behavior in one day; almost none with any
	// means the data (or its import) ends with the pretraining span.
	if empty := addTargetWindows(p.ctx, p.ds, samples, &p.seq, fr); empty > 0.99 && o.Progress != io.Discard {
		warn(o.Progress, "%.1f%% of the pretraining users have no behavior in the %d window(s) after the pretraining span %s, so the last position, where E is read, almost never has a target: does the data end there? End the pretraining span earlier (data import --pretrain)",
			100*empty, fr.FutureWindows(), samples.Split.Obs)
	}
	if o.Progress != io.Discard {
		cov := p.ds.Coverage(samples, p.seq, fr.FutureWindows())
		w := o.Progress
		if w == nil {
			w = os.Stderr
		}
		_, _ = fmt.Fprintf(w, "targets at dt1=%s, %d window(s) ahead, read from %s (%s): %s\n", dt1, fr.FutureWindows(),
			p.seq.TargetSpan(samples.Split.Obs), p.ds.Meta.LabelWindowsText(), cov)
		if note := cov.Warning(dt1); note != "" {
			_, _ = fmt.Fprintln(w, note)
		}
	}
	return nil
}

// Pretrain trains a method's objective on the dataset's pretraining split.
func Pretrain(o PretrainOptions) (*PretrainResult, error) {
	p, err := planPretrain(o)
	if err != nil {
		return nil, err
	}
	defer p.ds.Close()
	batches := func(epoch int) iter.Seq[*data.Batch] {
		return p.ds.Batches(p.samples, p.seq, p.batchSize, -1, p.seed, epoch, true)
	}
	tr, err := train.Train(p.ctx, p.enc, p.obj, batches, train.Options{
		Backend: o.Backend, Run: o.Run, Dir: o.Out, Progress: o.Progress, Settings: p.settings,
		StepsPerEpoch: p.samples.Len() / p.batchSize, Devices: o.Devices, Interrupt: o.Interrupt,
		Config: train.RunConfig{Method: o.Method, Vocab: p.ds.Meta.VocabSizes(), Windows: p.windows,
			MaxLen: p.seq.MaxLen, Engine: o.Engine.Config},
	})
	if err != nil {
		return nil, err
	}
	res := &PretrainResult{Dir: o.Out, Method: o.Method, MaxLen: p.seq.MaxLen, Windows: p.windows,
		Samples: p.samples.Len(), Train: tr, Convergence: train.LossConvergence(tr.Losses)}
	// A loss still falling fast at the end says the budget was too small for this model to
	// be scored as finished (judged on this call's steps: a resumed run's earlier ones are in
	// its tracker history).
	if cv := res.Convergence; !math.IsNaN(cv.TailDrop) {
		if o.Run != nil {
			_ = o.Run.LogMetric("loss_tail_drop", cv.TailDrop, tr.GlobalStep)
		}
		if cv.Undertrained() && o.Progress != io.Discard {
			warn(o.Progress, "the loss is still falling fast: its last tenth of steps made %.1f%% of its decrease (above %.0f%%): the model is undertrained; train it further (run the same command with more steps, or a larger time_budget)",
				100*cv.TailDrop, 100*train.UndertrainedShare)
		}
	}
	if n := len(tr.Losses); n > 0 {
		res.FinalLoss = tr.Losses[n-1]
	}
	if tr.Seconds > 0 {
		res.SamplesPer = float64(tr.Samples) / tr.Seconds
	}
	return res, nil
}
