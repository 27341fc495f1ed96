package pipeline

import (
	"fmt"
	"io"
	"iter"

	"github.com/byb-dev/byb/byb/data"
	"github.com/byb-dev/byb/byb/finetune"
	"github.com/byb-dev/byb/byb/metrics"
	"github.com/byb-dev/byb/byb/params"
	"github.com/byb-dev/byb/byb/record"
	"github.com/byb-dev/byb/byb/train"
	"github.com/gomlx/gomlx/backends"
)

// FinetuneOptions of one finetuning run: one task, one head.
type FinetuneOptions struct {
	Data string
	Init string // pretraining run directory, or "none" to train from scratch (Supervised)
	// Like, with Init "none", is a run directory whose sequence settings (max_len, dt1) and
	// encoder architecture the fresh encoder takes, so the random-init and Supervised rows
	// match a pretrained run; Settings still override them.
	Like     string
	Task     string
	Freeze   bool       // train only the head
	Settings params.Set // overrides (epochs, learning_rate, ft_hidden, ...)
	Out      string     // run directory ("" = in memory)
	Backend  backends.Backend
	Run      record.Recorder
	Progress io.Writer
	// ECache, if not nil, lets frozen probes of one pretrained encoder on several tasks of
	// the same data compute E once (see finetune.ECache).
	ECache *finetune.ECache
}

// FinetuneResult of a finetuning run.
type FinetuneResult struct {
	Task       string
	NumClasses int
	Train      int // labeled finetune samples
	Validation int // of which held out to choose the epoch (0: none, the last epoch is kept)
	Test       int // labeled test samples
	Metrics    metrics.Result
	Result     *finetune.Result
}

// Finetune trains a head for one task on the finetune split and scores the test split.
// The sequence settings (n, ΔT1) come from the pretrained run, so the encoder sees inputs
// shaped as in pretraining.
func Finetune(o FinetuneOptions) (*FinetuneResult, error) {
	ds, taskIdx, task, ft, test, err := taskSamples(o.Data, o.Task)
	if err != nil {
		return nil, err
	}
	defer ds.Close()

	// Sequence settings: the pretrained run's (or --like's), then the user's.
	settings, err := train.ExpandProtocol(o.Settings, finetune.PaperSettings())
	if err != nil {
		return nil, err
	}
	trained := o.Init
	if fromScratch := o.Init == "" || o.Init == "none"; fromScratch {
		trained = ""
	} else if o.Like != "" {
		return nil, fmt.Errorf("--like %s: only with --init none (a pretrained run fixes its own settings)", o.Like)
	}
	rs, err := resolveSettings(trained, o.Like, settings, finetune.SetDefaults)
	if err != nil {
		return nil, err
	}
	if cfg := rs.trained; cfg != nil && cfg.Finished != nil && !*cfg.Finished && o.Progress != io.Discard {
		warn(o.Progress, "the pretraining in %s did not finish (it was interrupted; its last checkpoint is used): resume it with the same `byb pretrain` command first for the model it was meant to be", o.Init)
	}
	ctx, settings := rs.ctx, rs.settings
	seq, err := seqConfig(ctx, ds, ft, true)
	if err != nil {
		return nil, err
	}
	seed := int64(params.Get[int](ctx, train.ParamSeed))
	// The validation part that chooses the epoch: the same users for every row of a task
	// with one seed, frozen or not.
	fitIdx, valIdx := finetune.ValidationSplit(ft.Labels[taskIdx], params.Get[float64](ctx, finetune.ParamVal), uint64(seed))
	fit := ft.Subset(fitIdx)
	batchSize := min(params.Get[int](ctx, train.ParamBatchSize), fit.Len())
	windows := seq.Windows(ft.Split.Obs)
	if tw := seq.Windows(test.Split.Obs); tw != windows {
		return nil, fmt.Errorf("the finetune observation window %s (%d windows of %s) and the test one %s (%d) differ in length: a model finetuned on one length cannot be tested on the other; import the log again with windows of one length (--obs-days N, or --finetune and --test of equal length)",
			ft.Split.Obs, windows, params.Get[string](ctx, ParamDT1), test.Split.Obs, tw)
	}
	// The finetuning run records every parameter of its own context: give it the sequence
	// settings as resolved here (n from the pretrained run or the data), not their defaults.
	settings = settings.With(ParamMaxLen, seq.MaxLen).With(ParamDT1, params.Get[string](ctx, ParamDT1))
	var val iter.Seq[*data.Batch]
	if valIdx != nil {
		val = ds.Batches(ft.Subset(valIdx), seq, batchSize, taskIdx, -1, 0, false)
	}
	res, err := finetune.Run(finetune.Options{
		Backend: o.Backend, Run: o.Run, Dir: o.Out, Init: o.Init, Freeze: o.Freeze, Settings: settings,
		NumClasses: task.NumClasses(), Vocab: ds.Meta.VocabSizes(), Windows: windows,
		Train: func(epoch int) iter.Seq[*data.Batch] {
			return ds.Batches(fit, seq, batchSize, taskIdx, seed, epoch, true)
		},
		TrainOnce:     ds.Batches(fit, seq, batchSize, taskIdx, -1, 0, false),
		Val:           val,
		Test:          ds.Batches(test, seq, batchSize, taskIdx, -1, 0, false),
		StepsPerEpoch: fit.Len() / batchSize,
		Progress:      o.Progress,
		// E depends on the encoder (the run), the data and the sequence settings, all in
		// settings as resolved here; not on the task.
		ECache: o.ECache, ECacheKey: o.Init + "|" + o.Data + "|" + settings.Canonical(),
	})
	if err != nil {
		return nil, err
	}
	return &FinetuneResult{Task: o.Task, NumClasses: task.NumClasses(), Train: ft.Len(), Validation: len(valIdx), Test: test.Len(),
		Metrics: res.Metrics, Result: res}, nil
}

// LikeSettings are the settings that make a fresh encoder match run dir's: its sequence
// settings (max_len, dt1) and its encoder architecture.
func LikeSettings(dir string) (params.Set, error) {
	cfg, err := train.ReadConfig(dir)
	if err != nil {
		return params.Set{}, fmt.Errorf("--like: %w", err)
	}
	like := params.Set{}.With(ParamMaxLen, cfg.MaxLen)
	for _, k := range append([]string{ParamDT1}, finetune.EncoderParams...) {
		if v, ok := cfg.Params[k]; ok {
			if like, err = like.WithRead(k, v); err != nil {
				return params.Set{}, fmt.Errorf("--like %s: its %s: %w", dir, train.ConfigFile, err)
			}
		}
	}
	return like, nil
}

// taskSamples loads a dataset and a task's labelled finetune and test samples: what every
// model scored on a task (finetuning, the bag-of-IDs reference) trains and is tested on.
func taskSamples(dir, name string) (ds *data.Dataset, taskIdx int, task data.Task, ft, test *data.Samples, err error) {
	if ds, err = data.Load(dir); err != nil {
		return
	}
	defer func() {
		if err != nil {
			_ = ds.Close()
		}
	}()
	if taskIdx, task, err = ds.Meta.Task(name); err != nil {
		return
	}
	ftAll, err := loadSplit(ds, data.Finetune)
	if err != nil {
		return
	}
	testAll, err := loadSplit(ds, data.Test)
	if err != nil {
		return
	}
	ft, test = ftAll.Labeled(taskIdx), testAll.Labeled(taskIdx)
	if ft.Len() == 0 || test.Len() == 0 {
		err = fmt.Errorf("task %s has no labeled samples (finetune %d, test %d)", name, ft.Len(), test.Len())
	}
	return
}
