package pipeline

import (
	"fmt"
	"iter"

	"github.com/byb-dev/byb/byb/data"
	"github.com/byb-dev/byb/byb/embedio"
	"github.com/byb-dev/byb/byb/finetune"
	"github.com/byb-dev/byb/byb/params"
	"github.com/byb-dev/byb/byb/record"
	"github.com/gomlx/gomlx/backends"
)

// EmbedOptions of an embedding export.
type EmbedOptions struct {
	Model string // a pretraining (or finetuning) run directory, or "none": a random encoder
	// Like and Settings shape the random encoder of Model "none" (see FinetuneOptions.Like);
	// Settings' seed drives its initialisation.
	Like     string
	Settings params.Set
	Data     string
	Split    string // whose observation window and users: test by default
	Out      string // .csv, .csv.gz or .parquet
	Backend  backends.Backend
	Run      record.Recorder
}

// EmbedResult says what was written.
type EmbedResult struct {
	Out   string
	Users int
	Dim   int
	// Skipped counts users with no behavior in the split's window: they have no sequence and
	// hence no embedding (the dataset's meta.json counts them too).
	Skipped int
}

// Embed writes E, the encoder's representation, for every user of a split.
func Embed(o EmbedOptions) (*EmbedResult, error) {
	if _, err := embedio.FormatOf(o.Out); err != nil {
		return nil, err
	}
	if err := embedio.CheckWritable(o.Out); err != nil {
		return nil, fmt.Errorf("--out: %w (checked before computing any embedding)", err)
	}
	trained, like := o.Model, ""
	if o.Model == "none" {
		trained, like = "", o.Like
	} else if o.Like != "" || !o.Settings.Empty() {
		return nil, fmt.Errorf("embed: --like and --set shape a random encoder (--model none); a trained model has its own")
	}
	rs, err := resolveSettings(trained, like, o.Settings)
	if err != nil {
		return nil, err
	}
	if o.Split == "" {
		o.Split = data.Test
	}
	ds, s, err := openSplit(o.Data, o.Split)
	if err != nil {
		return nil, err
	}
	defer ds.Close()
	settings := rs.settings
	seq, err := seqConfig(rs.ctx, ds, s, true)
	if err != nil {
		return nil, err
	}
	var users []string
	var rows [][]float32
	windows, batches := seq.Windows(s.Split.Obs), ds.Batches(s, seq, 64, -1, -1, 0, false)
	collect := func(us []int32, e [][]float32) error {
		for i, u := range us {
			if u < 0 {
				continue // padding of the last batch
			}
			users = append(users, ds.Users[u])
			rows = append(rows, e[i])
		}
		return nil
	}
	if err := encoderE(o.Backend, o.Model, settings, seq.MaxLen, ds.Meta.VocabSizes(), windows, batches, collect); err != nil {
		return nil, err
	}
	if len(rows) == 0 {
		return nil, fmt.Errorf("no embeddings computed")
	}
	if err := embedio.WriteRows(o.Out, users, rows); err != nil {
		return nil, err
	}
	if o.Run != nil {
		_ = o.Run.LogArtifact(o.Out, record.ArtifactEmbeddings)
	}
	return &EmbedResult{Out: o.Out, Users: len(users), Dim: len(rows[0]), Skipped: ds.Meta.EmptyUsers[o.Split]}, nil
}

// encoderE computes E for batches with the encoder model names: a run directory's trained
// encoder, or with "none" a random one built from settings (its architecture; seed drives the
// initialisation) at sequence length maxLen. It is what `byb embed` and Bag-of-IDs + E use,
// so both see the encoder the frozen probe of that run (or the Random init row) probes.
func encoderE(backend backends.Backend, model string, settings params.Set, maxLen int, vocab []int, windows int, batches iter.Seq[*data.Batch], emit func(users []int32, e [][]float32) error) error {
	if model == "none" {
		return finetune.EmbedRandom(backend, settings.With(ParamMaxLen, maxLen), vocab, windows, batches, emit)
	}
	return finetune.Embed(backend, model, windows, batches, emit)
}
