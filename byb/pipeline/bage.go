package pipeline

import (
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/byb-dev/byb/byb/bagofids"
	"github.com/byb-dev/byb/byb/data"
	"github.com/byb-dev/byb/byb/params"
)

// Bag-of-IDs + E: the bag's features with a frozen encoder's E of the same user and window
// appended as dense features, in the same regression. The bag beats every neural row on the
// synthetic data; this asks whether the embeddings add anything to counting IDs, which is how
// the paper's deployment used them (section 5.8: added to an existing model). E is computed
// by finetune's Embed and EmbedRandom, the functions `byb embed` and the frozen probe's
// encoder rely on, over the bag's own users and sequences.

// BagEncoder is the encoder whose E a Bag-of-IDs + E run appends.
type BagEncoder struct {
	Run  string // its pretraining run directory ("" = a random encoder)
	Like string // a random encoder's architecture and sequence settings are this run's
	Seed int    // a random encoder's initialisation seed (the seed hyper-parameter)
	Dim  int    // d, the values of E per user
}

// String says which encoder it is, in one phrase.
func (e *BagEncoder) String() string {
	if e.Run != "" {
		return "the trained encoder of " + e.Run
	}
	return fmt.Sprintf("a random encoder shaped like %s, seed %d", e.Like, e.Seed)
}

// model is the encoder as EmbedOptions.Model names it: a run directory, or "none".
func (e *BagEncoder) model() string {
	if e.Run != "" {
		return e.Run
	}
	return "none"
}

// params are what the tracker records of it.
func (e *BagEncoder) params() map[string]string {
	p := map[string]string{"with_e": e.model(), "e_dim": fmt.Sprint(e.Dim)}
	if e.Run == "" {
		p["e_seed"] = fmt.Sprint(e.Seed)
	}
	return p
}

// bagEncoderOf reads o.WithE: nil without it; a random encoder needs Like (its shape), a
// pretrained one refuses it (it fixes its own sequence settings, as in finetuning).
func bagEncoderOf(o BagOptions) (*BagEncoder, error) {
	switch {
	case o.WithE == "":
		return nil, nil
	case o.Backend == nil:
		return nil, fmt.Errorf("bag-of-IDs + E: no backend to run the encoder of %s on", o.WithE)
	case o.WithE == "none" && o.Like == "":
		return nil, fmt.Errorf("bag-of-IDs + E with a random encoder (--with-e none) needs --like RUNDIR: the run whose architecture and sequence settings it takes")
	case o.WithE == "none":
		return &BagEncoder{Like: o.Like}, nil
	case o.Like != "":
		return nil, fmt.Errorf("--like %s: only with --with-e none (the pretrained encoder of %s fixes its own sequence settings)", o.Like, o.WithE)
	}
	return &BagEncoder{Run: o.WithE}, nil
}

// appendE computes E of every user of each split on that split's own observation window (a
// user's E differs between the finetune and the test window) with the bag's sequence
// settings, and appends it to the dense features of the split's samples (samples[k] are
// bagofids.Features of splits[k], in the same order). settings build a random encoder.
func (e *BagEncoder) appendE(o BagOptions, ds *data.Dataset, settings params.Set, seq data.SeqConfig, splits []*data.Samples, samples [][]bagofids.Sample, progress io.Writer) error {
	start := time.Now()
	windows := seq.Windows(splits[0].Split.Obs)
	for _, s := range splits[1:] {
		if w := seq.Windows(s.Split.Obs); w != windows {
			return fmt.Errorf("bag-of-IDs + E: the %s window (%d) and the %s window (%d) differ in length", splits[0].Split.Name, windows, s.Split.Name, w)
		}
	}
	es, cached, err := o.ECache.splitsE(o, ds, e.model(), settings, seq, windows, splits)
	if err != nil {
		return err
	}
	for k, s := range splits {
		for i, u := range s.Users {
			row, ok := es[k][u]
			if !ok {
				return fmt.Errorf("bag-of-IDs + E: no E for user %s of the %s split", ds.Users[u], s.Split.Name)
			}
			e.Dim = len(row)
			for _, v := range row {
				samples[k][i].Dense = append(samples[k][i].Dense, float64(v))
			}
		}
	}
	from := ""
	if cached {
		from = " (reused from another task's run of this encoder)"
	}
	_, _ = fmt.Fprintf(progress, "bag-of-IDs + E: E (d=%d) of %s in %.1fs%s\n", e.Dim, e, time.Since(start).Seconds(), from)
	return nil
}

// BagECache keeps the E a Bag-of-IDs + E run computed, for every user of the finetune and
// test splits, so that runs with the same encoder on the data set's other tasks reuse it
// instead of running the encoder again (a table runs four tasks; E depends on the encoder,
// the data and the sequence settings, never on the task). It holds one encoder's E at a
// time, the last one computed.
type BagECache struct {
	mu  sync.Mutex
	key string
	es  []map[int32][]float32 // per split of the key's run: user → E
}

// NewBagECache returns an empty cache.
func NewBagECache() *BagECache { return &BagECache{} }

// splitsE is splitsE through the cache (c may be nil: no cache): on a miss it computes E of
// every user of the splits' whole sample lists, not only the task's labelled ones, so that
// another task finds its users.
func (c *BagECache) splitsE(o BagOptions, ds *data.Dataset, model string, settings params.Set, seq data.SeqConfig, windows int, splits []*data.Samples) ([]map[int32][]float32, bool, error) {
	if c == nil {
		es, err := splitsE(o, ds, model, settings, seq, windows, splits)
		return es, false, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	var key strings.Builder
	fmt.Fprintf(&key, "%s|%s|%s|%+v", ds.Dir, model, settings.Canonical(), seq)
	for _, s := range splits {
		key.WriteString("|" + s.Split.Name)
	}
	if c.key == key.String() {
		return c.es, true, nil
	}
	all := make([]*data.Samples, len(splits))
	for k, s := range splits {
		full, err := ds.Samples(s.Split.Name)
		if err != nil {
			return nil, false, err
		}
		all[k] = full
	}
	es, err := splitsE(o, ds, model, settings, seq, windows, all)
	if err != nil {
		return nil, false, err
	}
	c.key, c.es = key.String(), es
	return es, false, nil
}

// eBatchSize is the rows per batch of E's computation, as `byb embed` computes it.
const eBatchSize = 64

// splitsE computes E of the users of each split on its own window: es[k][user]. Every split's
// batches go through one call of the encoder, so it is loaded (or initialised) and compiled
// once.
func splitsE(o BagOptions, ds *data.Dataset, model string, settings params.Set, seq data.SeqConfig, windows int, splits []*data.Samples) ([]map[int32][]float32, error) {
	es := make([]map[int32][]float32, len(splits))
	k := 0 // the split of the batch being encoded
	batches := func(yield func(*data.Batch) bool) {
		for k = range splits {
			es[k] = map[int32][]float32{}
			for b := range ds.Batches(splits[k], seq, eBatchSize, -1, -1, 0, false) {
				if !yield(b) {
					return
				}
			}
		}
	}
	// The encoder emits a batch's E within the yield of that batch (a range-over-func loop's
	// body), so k is still its split.
	emit := func(users []int32, e [][]float32) error {
		for i, u := range users {
			if u >= 0 { // padding of a last, partial batch has none
				es[k][u] = e[i]
			}
		}
		return nil
	}
	err := encoderE(o.Backend, model, settings, seq.MaxLen, ds.Meta.VocabSizes(), windows, batches, emit)
	return es, err
}
