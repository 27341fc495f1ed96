package pipeline

import (
	"fmt"
	"math"
	"path/filepath"
	"slices"
	"testing"

	"github.com/byb-dev/byb/byb/data"
	"github.com/byb-dev/byb/byb/encoder"
	"github.com/byb-dev/byb/byb/engine"
	. "github.com/gomlx/gomlx/pkg/core/graph" //nolint:revive // GoMLX convention
	"github.com/gomlx/gomlx/pkg/ml/context"
)

// A user with more behaviors than the old cap on n (1,024) is pooled whole: the packed batch
// a pooled model reads keeps all 1,500 of its behaviors, and the encoder's day means equal
// those computed by hand from every behavior's embedding and its day.
func TestPackedPoolingKeepsEveryBehavior(t *testing.T) {
	const long, days = 1500, 30
	start := int64(1_700_000_000) / data.Day * data.Day
	b := data.NewBuilder([]string{"item"})
	day := make([]int, long) // the day of each of the long user's behaviors, in time order
	for i := range long {
		day[i] = i * i % 997 * days / 997 // uneven: some days hold many behaviors, some none
	}
	slices.Sort(day)
	for i, d := range day {
		b.Add("long", start+int64(d)*data.Day+int64(i%3600), []string{fmt.Sprint("i", i%40)})
	}
	for i := range 3 {
		b.Add("short", start+int64(5+i)*data.Day, []string{"i1"})
	}
	dir := filepath.Join(t.TempDir(), "ds")
	if _, err := b.Build(dir, data.BuildOptions{Name: "long", Splits: []data.Split{
		{Name: data.Pretrain, Obs: data.Span{Start: start, End: start + days*data.Day}},
		{Name: data.Test, Obs: data.Span{Start: start, End: start + days*data.Day}},
	}}); err != nil {
		t.Fatal(err)
	}
	ds, err := data.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer ds.Close()
	s, err := ds.Samples(data.Pretrain)
	if err != nil {
		t.Fatal(err)
	}
	longRow := -1
	for r, u := range s.Users {
		if ds.Users[u] == "long" {
			longRow = r
		}
	}

	// Padded batches cap n (for a model that does not take packed ones, or with pack=false);
	// a pooled model's are packed and keep everything.
	unpacked := newContext()
	unpacked.SetParam(ParamPack, false)
	for _, c := range []struct {
		ctx   *context.Context
		packs bool
	}{{newContext(), false}, {unpacked, true}} {
		if padded, err := seqConfig(c.ctx, ds, s, c.packs); err != nil || padded.Packed || padded.MaxLen >= long {
			t.Fatalf("padded config %+v (%v): the test needs a user longer than the cap", padded, err)
		}
	}
	ctx := newContext()
	ctx.SetParams(map[string]any{encoder.ParamDim: 8, encoder.ParamLayers: 1, encoder.ParamHeads: 2, encoder.ParamFF: 8})
	seq, err := seqConfig(ctx, ds, s, true)
	if err != nil {
		t.Fatal(err)
	}
	if !seq.Packed || seq.MaxLen != 0 {
		t.Fatalf("pooled sequence config %+v: want packed without a cap", seq)
	}
	rows := []int{0, 1}
	batch := ds.Batch(s, rows, seq, -1)
	if got := batch.Len(longRow); got != long {
		t.Fatalf("the packed batch keeps %d of the long user's %d behaviors", got, long)
	}
	if batch.MaxLen != data.PackedLen(long+3) {
		t.Fatalf("N = %d, want %d", batch.MaxLen, data.PackedLen(long+3))
	}

	backend, _, err := engine.OpenConfig(engine.PureGo)
	if err != nil {
		t.Fatal(err)
	}
	T := seq.Windows(s.Split.Obs)
	enc, err := encoder.New(ctx, ds.Meta.VocabSizes(), T)
	if err != nil {
		t.Fatal(err)
	}
	out, err := context.ExecOnceN(backend, ctx.Checked(false), func(ctx *context.Context, nodes []*Node) []*Node {
		fw := enc.Forward(ctx, encoder.InputsFrom(nodes))
		return []*Node{encoder.Mean(fw.Sums, fw.Counts), fw.Counts}
	}, anys(encoder.BatchTensors(batch))...)
	if err != nil {
		t.Fatal(err)
	}
	means, counts := out[0].Value().([][][]float32), out[1].Value().([][]float32)

	// By hand: every behavior's embedding (the behavior encoder over the user's whole padded
	// sequence), summed per day.
	whole := ds.Batch(s, []int{longRow}, data.SeqConfig{MaxLen: long}, -1)
	emb, err := context.ExecOnceN(backend, ctx.Reuse(), func(ctx *context.Context, ids *Node) *Node {
		return enc.BehaviorEncoder(ctx, ids)
	}, encoder.BatchTensors(whole)[0])
	if err != nil {
		t.Fatal(err)
	}
	e := emb[0].Value().([][][]float32)[0]
	sums, n := make([][]float64, T), make([]int, T)
	for i, d := range day {
		if sums[d] == nil {
			sums[d] = make([]float64, len(e[i]))
		}
		for j, v := range e[i] {
			sums[d][j] += float64(v)
		}
		n[d]++
	}
	for d := range T {
		if int(counts[longRow][d]) != n[d] {
			t.Fatalf("day %d: count %v, by hand %d", d, counts[longRow][d], n[d])
		}
		for j := range means[longRow][d] {
			want := 0.0
			if n[d] > 0 {
				want = sums[d][j] / float64(n[d])
			}
			if math.Abs(float64(means[longRow][d][j])-want) > 1e-5 {
				t.Fatalf("day %d: mean %v, by hand %v", d, means[longRow][d], sums[d])
			}
		}
	}
}

func anys[T any](xs []T) []any {
	out := make([]any, len(xs))
	for i, x := range xs {
		out[i] = x
	}
	return out
}
