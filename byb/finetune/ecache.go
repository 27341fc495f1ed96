package finetune

import (
	"iter"
	"sync"

	"github.com/byb-dev/byb/byb/data"
)

// ECache keeps the E a frozen probe computed, so that probing the same frozen encoder on
// another task of the same data reuses it instead of running the encoder again: Table 2
// probes each pretrained encoder on four tasks, and computing E is most of a probe's time.
//
// E of a sample depends on the encoder, the sample's behaviors and the sequence settings,
// never on the task (a task only chooses which samples are labelled, and their labels). The
// key given with it must therefore name all of these; the cache holds one key at a time, the
// last one stored, which is what a table probing one encoder on task after task needs.
type ECache struct {
	mu  sync.Mutex
	key string
	// user index → E, per observation window: the finetune window (training and validation
	// samples) and the test window. One user's E differs between the two.
	finetune, test map[int32][]float32
	hits           int // probes served from the cache, for tests and logs
}

// NewECache returns an empty cache.
func NewECache() *ECache { return &ECache{} }

// Hits is how many probes found all their E in the cache.
func (c *ECache) Hits() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.hits
}

// lookup returns the features of the labelled samples of each split's batches (training,
// validation, test), in batch order, when the cache holds key and every one of those samples;
// ok is false otherwise, and the caller computes them. A nil split has no sample.
func (c *ECache) lookup(key string, splits [3]iter.Seq[*data.Batch]) (sets [3]*features, ok bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.key != key || c.finetune == nil {
		return sets, false
	}
	for i, batches := range splits {
		if sets[i], ok = gather(c.window(i), batches); !ok {
			return sets, false
		}
	}
	c.hits++
	return sets, true
}

// gather collects the cached E of batches' labelled samples, as encode does from the encoder.
func gather(rows map[int32][]float32, batches iter.Seq[*data.Batch]) (*features, bool) {
	f := &features{}
	if batches == nil {
		return f, true
	}
	for b := range batches {
		for i, u := range b.Users {
			if u < 0 || i >= len(b.Labels) || b.Labels[i] < 0 {
				continue
			}
			e, ok := rows[u]
			if !ok {
				return nil, false
			}
			f.x = append(f.x, e)
			f.labels = append(f.labels, b.Labels[i])
			f.users = append(f.users, u)
		}
	}
	return f, true
}

// store adds the E of every split's samples under key, dropping what another key held.
func (c *ECache) store(key string, sets [3]*features) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.key != key || c.finetune == nil {
		c.key, c.finetune, c.test = key, map[int32][]float32{}, map[int32][]float32{}
	}
	for s, set := range sets {
		rows := c.window(s)
		for i, u := range set.users {
			rows[u] = set.x[i]
		}
	}
}

// window is the map of split s (0 training, 1 validation, 2 test): the first two share the
// finetune observation window.
func (c *ECache) window(s int) map[int32][]float32 {
	if s == 2 {
		return c.test
	}
	return c.finetune
}
