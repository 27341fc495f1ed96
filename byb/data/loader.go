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

// Subset returns the samples at the given indices, in that order.
func (s *Samples) Subset(idx []int) *Samples {
	out := &Samples{Split: s.Split, Users: make([]int32, len(idx)), Labels: make([][]int32, len(s.Labels))}
	for t := range s.Labels {
		out.Labels[t] = make([]int32, len(idx))
	}
	for k, i := range idx {
		out.Users[k] = s.Users[i]
		for t := range s.Labels {
			out.Labels[t][k] = s.Labels[t][i]
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
// Order(len, seed, epoch). Every batch has batchSize rows, so that a compiled graph serves
// them all: dropLast drops a final partial batch (training); otherwise it is padded with
// empty rows whose Users and Labels are -1 (evaluation).
func (d *Dataset) Batches(s *Samples, cfg SeqConfig, batchSize, task int, seed int64, epoch int, dropLast bool) iter.Seq[*Batch] {
	return func(yield func(*Batch) bool) {
		order := Order(s.Len(), seed, epoch)
		for lo := 0; lo < len(order); lo += batchSize {
			hi := min(lo+batchSize, len(order))
			if dropLast && hi-lo < batchSize {
				return
			}
			b := d.Batch(s, order[lo:hi], cfg, task)
			if hi-lo < batchSize {
				b = b.pad(batchSize)
			}
			if !yield(b) {
				return
			}
		}
	}
}

// pad returns the batch grown to size rows; the new rows are padding (no behaviors, user and
// label -1).
func (bt *Batch) pad(size int) *Batch {
	extra := size - bt.Size
	out := *bt
	out.Size = size
	if !bt.Packed { // packed rows without behaviors take no slot
		out.IDs = append(bt.IDs, make([]int32, extra*bt.MaxLen*bt.NumIDs)...)
		out.Window = append(bt.Window, filled(extra*bt.MaxLen, -1)...)
	}
	out.Users = append(bt.Users, filled(extra, -1)...)
	out.Labels = append(bt.Labels, filled(extra, -1)...)
	if bt.TargetLen > 0 {
		out.TargetIDs = append(bt.TargetIDs, make([]int32, extra*bt.TargetLen*bt.NumIDs)...)
		out.TargetWindow = append(bt.TargetWindow, filled(extra*bt.TargetLen, -1)...)
	}
	return &out
}

func filled(n int, v int32) []int32 {
	s := make([]int32, n)
	for i := range s {
		s[i] = v
	}
	return s
}
