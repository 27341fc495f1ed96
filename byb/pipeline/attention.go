package pipeline

import (
	"math/rand/v2"
	"sort"

	"github.com/byb-dev/byb/byb/data"
	"github.com/byb-dev/byb/byb/finetune"
	"github.com/byb-dev/byb/byb/train"
	"github.com/gomlx/gomlx/backends"
)

// AttentionOptions of an attention-map export (the paper's Figure 5).
type AttentionOptions struct {
	Model   string // a pretraining run directory
	Data    string
	Split   string // whose observation window and users: test by default
	Users   int    // at most this many users of the split, drawn at random (seed 1); 0 = all
	Last    int    // the last query positions whose weights are kept: 10 by default
	Backend backends.Backend
}

// AttentionResult is the attention averaged over heads and users, per layer
// [layer][query][key], the last query being the most recent position.
type AttentionResult struct {
	Layers [][][]float64
	Users  int
	Length int // L, the Transformer's sequence length (T windows pooled)
}

// Attention averages a pretrained model's attention over users of a split.
func Attention(o AttentionOptions) (*AttentionResult, error) {
	cfg, err := train.ReadConfig(o.Model)
	if err != nil {
		return nil, err
	}
	if o.Last == 0 {
		o.Last = 10
	}
	ds, s, err := openSplit(o.Data, o.Split)
	if err != nil {
		return nil, err
	}
	if o.Users > 0 && o.Users < s.Len() {
		rows := rand.New(rand.NewPCG(1, 5)).Perm(s.Len())[:o.Users]
		sort.Ints(rows)
		sub := &data.Samples{Split: s.Split, Users: make([]int32, len(rows))}
		for i, r := range rows {
			sub.Users[i] = s.Users[r]
		}
		s = sub
	}
	ctx := newContext()
	useTrainedSequence(ctx, cfg)
	seq, err := seqConfig(ctx, ds, s, true)
	if err != nil {
		return nil, err
	}
	windows := seq.Windows(s.Split.Obs)
	layers, users, err := finetune.MeanAttention(o.Backend, o.Model, windows, o.Last, ds.Batches(s, seq, 32, -1, -1, 0, false))
	if err != nil {
		return nil, err
	}
	length := 0
	if len(layers) > 0 && len(layers[0]) > 0 {
		length = len(layers[0][0])
	}
	return &AttentionResult{Layers: layers, Users: users, Length: length}, nil
}
