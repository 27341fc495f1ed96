// Package pipeline runs the paper's workflow on a dataset directory: pretrain a method on the
// pretraining split, finetune a head per task on the finetune split and score the test split,
// export user embeddings. The command line (byb pretrain/finetune/embed) and the experiments
// (byb reproduce) both call it, so a reproduction does exactly what a user's commands do.
package pipeline

import (
	"fmt"
	"sort"

	"github.com/byb-dev/byb/byb/params"
	"github.com/byb-dev/byb/byb/train"

	"github.com/byb-dev/byb/byb/data"
	"github.com/byb-dev/byb/byb/encoder"
	"github.com/byb-dev/byb/byb/objective"
	"github.com/gomlx/gomlx/pkg/ml/context"
)

// Sequence hyper-parameters: how a user's observation window becomes model input. They live
// in the context with the model's, so that they are set with --set and recorded with the run.
const (
	// ParamMaxLen is n, the most recent behaviors kept per sequence. 0 = every behavior for
	// models that pool them into windows (their batches are packed, so a long sequence costs
	// its length and a short one its own); for the others (raw behavior sequences, whose
	// attention is quadratic in n) the 95th percentile of the lengths, rounded up to a
	// multiple of 32, at most 1,024.
	ParamMaxLen = "max_len"
	// ParamDT1 is the pooling window ΔT1: "day" (the paper's default), hour, week, month
	// (calendar months) or a count and a unit (6h, 7d, 30d, 3mo).
	ParamDT1 = "dt1"
	// ParamTargetLen caps the target-only behaviors per pretraining sample (the prediction
	// window after the observation window, for objectives that read it, like BYB); 0 = chosen
	// from the data (the 95th percentile of the prediction windows' behavior counts).
	ParamTargetLen = "target_len"
	// ParamPack makes pooled models read packed batches (every behavior, see data.Batch);
	// false pads every row to max_len as the unpooled models do (one compiled shape per run,
	// for engines where a new shape is costly).
	ParamPack = "pack"
)

func init() {
	params.Register("sequence",
		params.Param{Name: ParamMaxLen, Default: 0, Help: "n, the most recent behaviors kept per sequence; 0 = all of them for pooled models (packed batches), the 95th percentile of the lengths for the others", Range: params.NonNegative},
		params.Param{Name: ParamDT1, Default: "day", Help: "the pooling window ΔT1: day, hour, week, month (calendar months) or a count and a unit: 30m, 6h, 1d, 7d, 2w, 3mo"},
		params.Param{Name: ParamPack, Default: true, Help: "pooled models read packed batches (every behavior, rows concatenated); false = padded to max_len"},
		params.Param{Name: ParamTargetLen, Default: 0, Help: "target-only behaviors per sample after the input (BYB's prediction window); 0 = from the data", Range: params.NonNegative},
	)
}

// SetSequenceDefaults puts the sequence hyper-parameters in ctx.
func SetSequenceDefaults(ctx *context.Context) { params.SetGroup(ctx, "sequence") }

// seqConfig reads the sequence hyper-parameters. packs says the model takes packed batches
// when it pools (its objective does, or it only runs the encoder forward): its batches are then
// packed and max_len 0 keeps every behavior of the observation window. Otherwise batches are
// padded to n, chosen from the samples when max_len is 0.
func seqConfig(ctx *context.Context, ds *data.Dataset, s *data.Samples, packs bool) (data.SeqConfig, error) {
	pool, months, err := data.ParsePool(params.Get[string](ctx, ParamDT1))
	if err != nil {
		return data.SeqConfig{}, fmt.Errorf("%s: %w", ParamDT1, err)
	}
	packed := packs && params.Get[bool](ctx, encoder.ParamPool) && params.Get[bool](ctx, ParamPack)
	n := params.Get[int](ctx, ParamMaxLen)
	if n <= 0 && !packed {
		n = chooseMaxLen(ds, s)
		ctx.SetParam(ParamMaxLen, n)
	}
	return data.SeqConfig{MaxLen: n, Pool: pool, Months: months, Packed: packed}, nil
}

// addTargetWindows makes a pretraining sequence config carry the objective's prediction
// window after the observation window (target-only behaviors), choosing target_len from the
// data when it is 0. It returns the share of samples whose prediction window is empty (their
// last position has no target).
func addTargetWindows(ctx *context.Context, ds *data.Dataset, s *data.Samples, seq *data.SeqConfig, fr objective.FutureReader) float64 {
	windows := fr.FutureWindows()
	seq.TargetWindows = windows
	whole, ok := fr.(objective.WholeFutureReader)
	seq.NextOnly = !params.Get[bool](ctx, encoder.ParamPool) && !(ok && whole.WholeFuture())
	counts := ds.TargetCounts(s, *seq)
	empty := 0
	for _, c := range counts {
		if c == 0 {
			empty++
		}
	}
	n := params.Get[int](ctx, ParamTargetLen)
	switch {
	case seq.NextOnly:
		n = windows // the next ΔT2 behaviors
	case n <= 0:
		sort.Ints(counts)
		p := 0
		if len(counts) > 0 {
			p = counts[min(len(counts)*95/100, len(counts)-1)]
		}
		n = max(8, (p+7)/8*8)
		if seq.MaxLen > 0 {
			n = min(n, max(8, seq.MaxLen))
		}
	}
	ctx.SetParam(ParamTargetLen, n)
	seq.TargetLen = n
	if len(counts) == 0 {
		return 0
	}
	return float64(empty) / float64(len(counts))
}

// chooseMaxLen is the 95th percentile of the samples' observation lengths, rounded up to a
// multiple of 32 (at least 32, at most 1024): long enough for nearly every user, without
// padding every batch to the one longest user.
func chooseMaxLen(ds *data.Dataset, s *data.Samples) int {
	lens := make([]int, 0, s.Len())
	for _, u := range s.Users {
		times, _ := ds.Events(int(u))
		n := 0
		for _, t := range times {
			if s.Split.Obs.Contains(t) {
				n++
			}
		}
		lens = append(lens, n)
	}
	if len(lens) == 0 {
		return 32
	}
	sort.Ints(lens)
	p := lens[min(len(lens)*95/100, len(lens)-1)]
	n := (p + 31) / 32 * 32
	return max(32, min(1024, n))
}

// useTrainedSequence gives ctx the sequence settings a trained run was trained with (its n,
// ΔT1 and pooling), so that the model reads new data shaped as in its training.
func useTrainedSequence(ctx *context.Context, cfg train.RunConfig) {
	ctx.SetParam(ParamMaxLen, cfg.MaxLen)
	if v, ok := cfg.Params[ParamDT1].(string); ok {
		ctx.SetParam(ParamDT1, v)
	}
	if v, ok := cfg.Params[encoder.ParamPool].(bool); ok {
		ctx.SetParam(encoder.ParamPool, v)
	}
}

// openSplit loads the dataset in dir and the samples of one of its splits (test when "").
func openSplit(dir, split string) (*data.Dataset, *data.Samples, error) {
	ds, err := data.Load(dir)
	if err != nil {
		return nil, nil, err
	}
	if split == "" {
		split = data.Test
	}
	s, err := loadSplit(ds, split)
	return ds, s, err
}

// loadSplit returns one split's samples of a dataset, with a clear error when it is empty.
func loadSplit(ds *data.Dataset, split string) (*data.Samples, error) {
	s, err := ds.Samples(split)
	if err != nil {
		return nil, err
	}
	if s.Len() == 0 {
		return nil, fmt.Errorf("dataset %s: the %s split has no samples (no user has a behavior in %s)", ds.Dir, split, s.Split.Obs)
	}
	return s, nil
}

// newContext builds a context holding every declared hyper-parameter with its default, then
// the given defaults of a command or method on top.
func newContext(defaults ...func(*context.Context)) *context.Context {
	ctx := context.New()
	params.SetDefaults(ctx)
	for _, d := range defaults {
		d(ctx)
	}
	return ctx
}

// datasetFacts are the facts a method is built with (objective.Facts): fields, vocabularies
// and their pretraining-span counts, and the pretraining sequences' shape.
func datasetFacts(ds *data.Dataset, windows, maxLen int) (objective.Facts, error) {
	f := objective.Facts{Vocab: ds.Meta.VocabSizes(), Windows: windows, MaxLen: maxLen}
	for _, field := range ds.Meta.Fields {
		v, err := data.LoadVocab(ds.Dir, field.Name)
		if err != nil {
			return f, fmt.Errorf("dataset %s: %w", ds.Dir, err)
		}
		counts := make([]int64, v.Size())
		copy(counts[data.FirstValue:], v.Counts)
		f.Fields = append(f.Fields, field.Name)
		f.Counts = append(f.Counts, counts)
	}
	return f, nil
}

// PretrainShape is what a model pretraining on a dataset's pretraining split with byb's
// defaults sees: the vocabulary sizes, n (the 95th percentile of the lengths), T (day
// windows) and the number of users; the throughput table measures at these shapes.
func PretrainShape(dir string) (vocab []int, n, windows, users int, err error) {
	ds, err := data.Load(dir)
	if err != nil {
		return nil, 0, 0, 0, err
	}
	defer ds.Close()
	s, err := loadSplit(ds, data.Pretrain)
	if err != nil {
		return nil, 0, 0, 0, err
	}
	seq := data.SeqConfig{MaxLen: chooseMaxLen(ds, s), Pool: data.Day}
	return ds.Meta.VocabSizes(), seq.MaxLen, seq.Windows(s.Split.Obs), s.Len(), nil
}
