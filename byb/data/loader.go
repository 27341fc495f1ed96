package data

import (
	"iter"
	"math/rand"
)

// Labeled returns the samples that have a label for the given task (all samples for -1).
func (s *Samples) Labeled(task int) *Samples {
	if task < 0 {
		return s
	}
	out := &Samples{Split: s.Split, Labels: make([][]int32, len(s.Labels))}
	for i, y := range s.Labels[task] {
		if y < 0 {
			continue
		}
		out.Users = append(out.Users, s.Users[i])
		for t := range s.Labels {
			out.Labels[t] = append(out.Labels[t], s.Labels[t][i])
		}
	}
	return out
}

// Order is the sample order of one epoch: a permutation seeded by (seed, epoch), or the
// identity when seed < 0 (evaluation).
func Order(n int, seed int64, epoch int) []int {
	order := make([]int, n)
	for i := range order {
		order[i] = i
	}
	if seed >= 0 {
		rng := rand.New(rand.NewSource(seed*1_000_003 + int64(epoch)))
		rng.Shuffle(n, func(i, j int) { order[i], order[j] = order[j], order[i] })
	}
	return order
}

// Batches yields the batches of one epoch over the samples, in the order given by
// Order(len, seed, epoch). dropLast drops a final partial batch, so that training compiles
// one graph shape; evaluation keeps it.
func (d *Dataset) Batches(s *Samples, cfg SeqConfig, batchSize, task int, seed int64, epoch int, dropLast bool) iter.Seq[*Batch] {
	return func(yield func(*Batch) bool) {
		order := Order(s.Len(), seed, epoch)
		for lo := 0; lo < len(order); lo += batchSize {
			hi := min(lo+batchSize, len(order))
			if dropLast && hi-lo < batchSize {
				return
			}
			if !yield(d.Batch(s, order[lo:hi], cfg, task)) {
				return
			}
		}
	}
}
