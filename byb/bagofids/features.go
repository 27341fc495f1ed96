// Package bagofids is the bag-of-IDs reference: a user's observation window as counts of
// each ID, plus its total, active windows and recency, into a multinomial logistic
// regression. It has no sequence model and no pretraining, and is what a learned
// representation must beat to be worth its cost.
package bagofids

import (
	"math"
	"slices"

	"github.com/byb-dev/byb/byb/data"
)

// Sample is one user's features: sparse log(1+count) of ID columns, then dense features
// (standardised by the model).
type Sample struct {
	Index []int32   // columns of the non-zero ID counts, increasing
	Value []float32 // log(1 + count)
	// Dense are the NumSummary summary features that Features computes — log(1 + behaviors),
	// log(1 + active windows), log(1 + windows since the last behavior) — and any a caller
	// appends (an encoder's E for Bag-of-IDs + E). Every sample of a model has as many.
	Dense []float64
	Label int32
}

// NumSummary is the number of summary features Features computes.
const NumSummary = 3

// Columns maps the ID of field f to its column: the fields' IDs side by side, each field
// capped to its maxIDs most frequent values (vocabulary indices are in frequency order), so
// a million-item vocabulary does not make a million-column model.
type Columns struct {
	offset []int // first column of each field
	limit  []int // IDs of a field at or above this are not counted
	Total  int
}

// NewColumns lays out the columns of the fields' vocabularies, at most maxIDs per field (0 =
// every ID). The reserved indices (no ID, out of vocabulary) have no column.
func NewColumns(vocab []int, maxIDs int) Columns {
	c := Columns{offset: make([]int, len(vocab)), limit: make([]int, len(vocab))}
	for f, v := range vocab {
		n := v - int(data.FirstValue)
		if maxIDs > 0 {
			n = min(n, maxIDs)
		}
		c.offset[f], c.limit[f] = c.Total, int(data.FirstValue)+n
		c.Total += max(n, 0)
	}
	return c
}

// Features computes the samples of split s: counts of the behaviors in the observation
// window (the most recent maxLen when maxLen > 0, as the sequence models see them) and the
// summary features with pooling cfg; label from task (or -1).
func Features(d *data.Dataset, s *data.Samples, cols Columns, cfg data.SeqConfig, task int) []Sample {
	m := d.Meta.NumIDs()
	obs := s.Split.Obs
	windows := cfg.Windows(obs)
	out := make([]Sample, 0, s.Len())
	counts := map[int32]float32{}
	for i := range s.Users {
		clear(counts)
		b := d.Batch(s, []int{i}, data.SeqConfig{MaxLen: maxLenOf(d, s, i, cfg), Pool: cfg.Pool, Months: cfg.Months}, task)
		active := map[int32]bool{}
		last := int32(-1)
		n := 0
		for k, w := range b.Window {
			if w < 0 {
				continue
			}
			n++
			active[w] = true
			last = max(last, w)
			for f := range m {
				id := int(b.IDs[k*m+f])
				if id >= int(data.FirstValue) && id < cols.limit[f] {
					counts[int32(cols.offset[f]+id-int(data.FirstValue))]++
				}
			}
		}
		smp := Sample{Label: b.Labels[0], Dense: []float64{
			math.Log1p(float64(n)), math.Log1p(float64(len(active))), math.Log1p(float64(windows - 1 - int(last)))}}
		for c := range counts {
			smp.Index = append(smp.Index, c)
		}
		slices.Sort(smp.Index)
		for _, c := range smp.Index {
			smp.Value = append(smp.Value, float32(math.Log1p(float64(counts[c]))))
		}
		out = append(out, smp)
	}
	return out
}

// maxLenOf is the sample's input length: cfg.MaxLen, or its whole window when 0.
func maxLenOf(d *data.Dataset, s *data.Samples, i int, cfg data.SeqConfig) int {
	if cfg.MaxLen > 0 {
		return cfg.MaxLen
	}
	times, _ := d.Events(int(s.Users[i]))
	return max(1, len(times))
}
