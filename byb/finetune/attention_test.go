package finetune

import (
	"reflect"
	"testing"
)

// The mean over users skips padding rows and averages each (layer, query, key) cell over the
// real users of every batch, across batches.
func TestAttentionMeanByHand(t *testing.T) {
	var m attentionMean
	// Batch 1: two users and a padding row, one layer, 1 query × 2 keys.
	m.add([][][][]float32{{{{1, 0}}, {{0.5, 0.5}}, {{9, 9}}}}, []int32{3, 7, -1})
	// Batch 2: one user.
	m.add([][][][]float32{{{{0.25, 0.75}}}}, []int32{4})
	want := [][][]float64{{{(1 + 0.5 + 0.25) / 3, (0 + 0.5 + 0.75) / 3}}}
	if got := m.value(); m.users != 3 || !reflect.DeepEqual(got, want) {
		t.Errorf("mean over %d users = %v, want 3 users and %v", m.users, got, want)
	}
}
