package finetune_test

import (
	"io"
	"iter"
	"path/filepath"
	"testing"

	"github.com/byb-dev/byb/byb/data"
	"github.com/byb-dev/byb/byb/encoder"
	"github.com/byb-dev/byb/byb/engine"
	"github.com/byb-dev/byb/byb/finetune"
	"github.com/byb-dev/byb/byb/objective"
	"github.com/byb-dev/byb/byb/params"
	"github.com/byb-dev/byb/byb/train"
	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/gomlx/gomlx/pkg/ml/context"
)

const tinyArch = "d=16;layers=1;heads=2;ff=16;batch_size=16"

// Frozen finetuning leaves the pretrained encoder exactly as loaded (only the head learns);
// unfrozen finetuning changes it. Embed returns one d-vector per user, the same E as the
// pretrained encoder computes. Pure-Go engine, tiny sizes.
func TestFreezeUnfreezeAndEmbed(t *testing.T) {
	b, ds, dir := pretrainToy(t)
	pre, _, err := finetune.LoadPretrained(dir)
	if err != nil {
		t.Fatal(err)
	}
	table := func(c *context.Context) []float32 {
		v := c.GetVariableByScopeAndName("/encoder/behavior_encoder", "embeddings")
		out, _ := tensors.CopyFlatData[float32](v.MustValue())
		return out
	}
	want := table(pre)
	for _, freeze := range []bool{true, false} {
		var after []float32
		opts := finetune.Options{Backend: b, Init: dir, Freeze: freeze, NumClasses: ds.Classes, Settings: params.MustParse("epochs=1;learning_rate=1e-2"),
			Progress: io.Discard, Train: func(epoch int) iter.Seq[*data.Batch] { return ds.Batches(0, 48, 16, true, 2, epoch) },
			Test: ds.Batches(48, 64, 16, false, 0, 0), Dir: filepath.Join(t.TempDir(), "ft")}
		res, err := finetune.Run(opts)
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Probs) != 16 || len(res.Probs[0]) != ds.Classes {
			t.Fatalf("freeze=%v: %d test rows", freeze, len(res.Probs))
		}
		ftCtx, _, err := finetune.LoadPretrained(opts.Dir)
		if err != nil {
			t.Fatal(err)
		}
		after = table(ftCtx)
		same := true
		for i := range want {
			if want[i] != after[i] {
				same = false
				break
			}
		}
		if same != freeze {
			t.Fatalf("freeze=%v: encoder embeddings unchanged=%v", freeze, same)
		}
	}
	n := 0
	err = finetune.Embed(b, dir, 0, ds.Batches(0, 20, 16, false, 0, 0), func(users []int32, e [][]float32) error {
		for i, u := range users {
			if u >= 0 {
				n++
				if len(e[i]) != 16 {
					t.Fatalf("E has %d dims", len(e[i]))
				}
			}
		}
		return nil
	})
	if err != nil || n != 20 {
		t.Fatalf("embedded %d users, err %v", n, err)
	}
}

// pretrainToy pretrains a tiny BYB for one epoch on 64 toy users (pure-Go engine) and
// returns the engine, the data and the run directory.
func pretrainToy(t *testing.T) (backends.Backend, *finetune.ToyData, string) {
	t.Helper()
	b, _, err := engine.OpenConfig(engine.PureGo)
	if err != nil {
		t.Fatal(err)
	}
	ds := finetune.NewToyData(5, 64, 14, 7, 32)
	dir := filepath.Join(t.TempDir(), "pre")
	ctx := context.New()
	encoder.SetDefaults(ctx)
	objective.BYBDefaults(ctx)
	train.SetDefaults(ctx)
	settings := tinyArch + ";epochs=1"
	if _, err := params.Apply(ctx, settings); err != nil {
		t.Fatal(err)
	}
	enc, _ := encoder.New(ctx, ds.Vocab, ds.Days)
	obj, _ := objective.NewBYB(ctx)
	batches := func(epoch int) iter.Seq[*data.Batch] { return ds.Batches(0, 64, 16, true, 1, epoch) }
	if _, err := train.Train(ctx, enc, obj, batches, train.Options{Backend: b, Dir: dir, Settings: params.MustParse(settings), Progress: io.Discard,
		Config: train.RunConfig{Method: "byb", Vocab: ds.Vocab, Windows: ds.Days, MaxLen: 32}}); err != nil {
		t.Fatal(err)
	}
	return b, ds, dir
}

// A probe served from ECache gives the same predictions as one that computes E itself, also
// for a task that labels only some of the cached samples; another key computes E anew.
func TestProbeReusesE(t *testing.T) {
	b, ds, dir := pretrainToy(t)
	probe := func(trainTo int, cache *finetune.ECache, key string) [][]float64 {
		t.Helper()
		res, err := finetune.Run(finetune.Options{Backend: b, Init: dir, Freeze: true, NumClasses: ds.Classes, Settings: params.MustParse("epochs=3"),
			Progress: io.Discard, Train: func(epoch int) iter.Seq[*data.Batch] { return ds.Batches(0, trainTo, 16, true, 2, epoch) },
			TrainOnce: ds.Batches(0, trainTo, 16, false, 0, 0), Test: ds.Batches(48, 64, 16, false, 0, 0),
			ECache: cache, ECacheKey: key})
		if err != nil {
			t.Fatal(err)
		}
		return res.Probs
	}
	cache := finetune.NewECache()
	probe(48, cache, "k")
	if cache.Hits() != 0 {
		t.Fatalf("%d hits on an empty cache", cache.Hits())
	}
	got := probe(32, cache, "k") // fewer labelled training users: all of them cached
	if cache.Hits() != 1 {
		t.Fatalf("the second probe of the same encoder computed E again (hits %d)", cache.Hits())
	}
	want := probe(32, nil, "")
	if len(got) != len(want) || len(got) == 0 {
		t.Fatalf("%d test rows from the cache, %d without", len(got), len(want))
	}
	for i := range want {
		for k := range want[i] {
			if got[i][k] != want[i][k] {
				t.Fatalf("row %d class %d: %v from the cache, %v computed", i, k, got[i][k], want[i][k])
			}
		}
	}
	probe(32, cache, "other run")
	if cache.Hits() != 1 {
		t.Fatalf("a probe under another key was served from the cache")
	}
}
