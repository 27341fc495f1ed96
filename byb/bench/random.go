// Package bench measures byb's pretraining throughput and memory (see cmd/byb-bench) and
// holds the random batches of a given shape that tests and benchmarks share. Data with
// learnable structure comes from byb/data/synth.
package bench

import (
	"math/rand/v2"
	"sort"

	"github.com/byb-dev/byb/byb/data"
)

// RandomBatch draws B sequences of n behaviors with m IDs each, every behavior real (no
// padding, as the peer's --bench), IDs uniform in [2, vocab[j]) and windows sorted uniform in
// [0,T).
func RandomBatch(rng *rand.Rand, B, n, T int, vocab []int) *data.Batch {
	m := len(vocab)
	b := &data.Batch{Size: B, MaxLen: n, NumIDs: m, Windows: T,
		IDs: make([]int32, B*n*m), Window: make([]int32, B*n), Users: make([]int32, B), Labels: make([]int32, B)}
	for r := range B {
		w := b.Window[r*n : (r+1)*n]
		for i := range w {
			w[i] = int32(rng.IntN(T))
		}
		sort.Slice(w, func(i, j int) bool { return w[i] < w[j] })
		for i := range n {
			for j, v := range vocab {
				b.IDs[(r*n+i)*m+j] = int32(2 + rng.IntN(v-2))
			}
		}
		b.Users[r] = int32(r)
		b.Labels[r] = -1
	}
	return b
}

// RandomPaddedBatch is RandomBatch with a random number of real behaviors per row (the rest
// right-padded: window -1, IDs 0) and some IDs set to 0 (absent field).
func RandomPaddedBatch(rng *rand.Rand, B, n, T int, vocab []int) *data.Batch {
	b := RandomBatch(rng, B, n, T, vocab)
	m := len(vocab)
	for r := range B {
		real := rng.IntN(n + 1)
		for i := real; i < n; i++ {
			b.Window[r*n+i] = -1
			for j := range m {
				b.IDs[(r*n+i)*m+j] = 0
			}
		}
		for i := range real {
			for j := 1; j < m; j++ {
				if rng.IntN(4) == 0 {
					b.IDs[(r*n+i)*m+j] = 0
				}
			}
		}
	}
	return b
}

// WithTargets adds nt target-only behaviors per row over the dt2 windows after the batch's T
// (see data.Batch), each present with probability 3/4, as pretraining batches of BYB carry.
func WithTargets(rng *rand.Rand, b *data.Batch, dt2, nt int, vocab []int) *data.Batch {
	m := len(vocab)
	b.TargetWindows, b.TargetLen = dt2, nt
	b.TargetIDs = make([]int32, b.Size*nt*m)
	b.TargetWindow = make([]int32, b.Size*nt)
	for r := range b.Size {
		w := b.TargetWindow[r*nt : (r+1)*nt]
		for i := range w {
			w[i] = int32(b.Windows + rng.IntN(dt2))
		}
		sort.Slice(w, func(i, j int) bool { return w[i] < w[j] })
		for i := range nt {
			if rng.IntN(4) == 0 {
				w[i] = -1
				continue
			}
			for j, v := range vocab {
				b.TargetIDs[(r*nt+i)*m+j] = int32(2 + rng.IntN(v-2))
			}
		}
	}
	return b
}
