package pipeline

import (
	"io"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/byb-dev/byb/byb/bagofids"
	"github.com/byb-dev/byb/byb/data"
	"github.com/byb-dev/byb/byb/engine"
	"github.com/byb-dev/byb/byb/finetune"
	"github.com/byb-dev/byb/byb/params"
	"github.com/byb-dev/byb/tracking"
	"github.com/gomlx/gomlx/backends"
)

// tinyRun pretrains a tiny BYB encoder (d=8, one layer, one step, n=64) on the pure-Go engine,
// which runs a model this small at once, where XLA would first compile every batch shape.
func tinyRun(t *testing.T, dataDir string) (backends.Backend, string) {
	t.Helper()
	b, info, err := engine.OpenConfig("go:ops_sequential")
	if err != nil {
		t.Fatal(err)
	}
	runDir := filepath.Join(t.TempDir(), "run")
	if _, err := Pretrain(PretrainOptions{Data: dataDir, Method: "byb", Out: runDir, Backend: b, Engine: info,
		Settings: params.MustParse("batch_size=16;steps=1;max_len=64;d=8;layers=1;heads=1;ff=8"), Progress: io.Discard}); err != nil {
		t.Fatal(err)
	}
	return b, runDir
}

// eOf computes, independently of Bag-of-IDs + E, the E of some samples of a split with
// finetune.Embed and a run directory's encoder (in batches of their own), by user.
func eOf(t *testing.T, b backends.Backend, runDir string, ds *data.Dataset, s *data.Samples, idx []int) map[int32][]float32 {
	t.Helper()
	seq := data.SeqConfig{MaxLen: 64, Pool: data.Day, Packed: true} // the run's n and dt1
	out := map[int32][]float32{}
	err := finetune.Embed(b, runDir, seq.Windows(s.Split.Obs), ds.Batches(s.Subset(idx), seq, 4, -1, -1, 0, false), func(users []int32, e [][]float32) error {
		for i, u := range users {
			if u >= 0 {
				out[u] = e[i]
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// checkE checks, for the samples idx of both splits, that the hybrid's features are the
// bag's (the same counts, the same 3 summary features, at the run's n and dt1) followed by
// exactly the E that wantE computed for that user on that split's window.
func checkE(t *testing.T, what string, hybrid, bag *bagSet, wantE [2]map[int32][]float32, idx [2][]int) {
	t.Helper()
	for k, split := range [2]struct {
		s            *data.Samples
		hybrid, bags []bagofids.Sample
	}{{hybrid.ft, hybrid.train, bag.train}, {hybrid.testSplit, hybrid.test, bag.test}} {
		for _, i := range idx[k] {
			h, b, u := split.hybrid[i], split.bags[i], split.s.Users[i]
			e := wantE[k][u]
			if len(e) != 8 || len(h.Dense) != 3+len(e) {
				t.Fatalf("%s, %s user %d: %d dense features, E of %d; want 3 + 8", what, split.s.Split.Name, u, len(h.Dense), len(e))
			}
			if !slices.Equal(h.Index, b.Index) || !slices.Equal(h.Value, b.Value) || !slices.Equal(h.Dense[:3], b.Dense) {
				t.Errorf("%s, %s user %d: the counts or summary features differ from the bag's: %v vs %v", what, split.s.Split.Name, u, h.Dense[:3], b.Dense)
			}
			for j, v := range e {
				if h.Dense[3+j] != float64(v) {
					t.Fatalf("%s, %s user %d: E[%d] = %v, finetune.Embed's %v", what, split.s.Split.Name, u, j, h.Dense[3+j], v)
				}
			}
		}
	}
}

// Bag-of-IDs + E's features, for users of both splits: the bag's counts and summary features
// at the encoder's sequence settings, then exactly the E that finetune.Embed computes for the
// user on that split's own window — with a pretrained run, and with a random encoder, which
// is the very encoder the Random init (freeze) row of the same seed probes (E of that
// finetuning run's saved encoder).
func TestBagWithEFeatures(t *testing.T) {
	dataDir := ciTmall(t)
	b, runDir := tinyRun(t, dataDir)
	bag, err := bagFeatures(BagOptions{Data: dataDir, Task: "5-day", Like: runDir}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	defer bag.ds.Close()
	if bag.seq.MaxLen != 64 {
		t.Fatalf("the bag like the run counts the last %d behaviors, want 64", bag.seq.MaxLen)
	}
	// Samples 0-2 of each split, and a user of both (whose E differs between the windows).
	idx := [2][]int{{0, 1, 2}, {0, 1, 2}}
	both := int32(-1)
	for i, u := range bag.ft.Users {
		if j := slices.Index(bag.testSplit.Users, u); j >= 0 {
			idx[0], idx[1], both = append(idx[0], i), append(idx[1], j), u
			break
		}
	}
	if both < 0 {
		t.Fatal("no user is in both splits")
	}

	trained, err := bagFeatures(BagOptions{Data: dataDir, Task: "5-day", WithE: runDir, Backend: b}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	defer trained.ds.Close()
	wantE := [2]map[int32][]float32{eOf(t, b, runDir, bag.ds, bag.ft, idx[0]), eOf(t, b, runDir, bag.ds, bag.testSplit, idx[1])}
	checkE(t, "trained encoder", trained, bag, wantE, idx)
	if slices.Equal(wantE[0][both], wantE[1][both]) {
		t.Errorf("user %d has the same E on the finetune and the test window", both)
	}

	// The Random init (freeze) row, seed 3, saving its encoder.
	rowDir := filepath.Join(t.TempDir(), "random-freeze")
	if _, err := Finetune(FinetuneOptions{Data: dataDir, Init: "none", Like: runDir, Task: "5-day", Freeze: true, Backend: b,
		Settings: params.MustParse("seed=3;ft_max_epochs=1"), Out: rowDir, Progress: io.Discard}); err != nil {
		t.Fatal(err)
	}
	random, err := bagFeatures(BagOptions{Data: dataDir, Task: "5-day", WithE: "none", Like: runDir, Settings: params.MustParse("seed=3"), Backend: b}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	defer random.ds.Close()
	rowE := [2]map[int32][]float32{eOf(t, b, rowDir, bag.ds, bag.ft, idx[0]), eOf(t, b, rowDir, bag.ds, bag.testSplit, idx[1])}
	checkE(t, "random encoder", random, bag, rowE, idx)
	if u := bag.ft.Users[0]; slices.Equal(rowE[0][u], wantE[0][u]) {
		t.Errorf("the random encoder's E of user %d is the trained one's", u)
	}
	if random.enc.Seed != 3 || random.enc.Like != runDir || random.enc.Run != "" || random.enc.Dim != 8 {
		t.Errorf("random encoder recorded as %+v", *random.enc)
	}
}

// Bag-of-IDs + E runs end to end on ci data: it fits the bag's features and E in one
// regression, reports the encoder it used and records it in the tracker; what cannot work is
// refused.
func TestBagWithE(t *testing.T) {
	dataDir := ciTmall(t)
	b, runDir := tinyRun(t, dataDir)
	db := filepath.Join(t.TempDir(), "byb.db")
	run, err := tracking.Begin(db, tracking.RunOptions{Experiment: "test"})
	if err != nil {
		t.Fatal(err)
	}
	res, err := Bag(BagOptions{Data: dataDir, Task: "5-day", WithE: runDir, Backend: b, Settings: params.MustParse("bag_max_iter=10"), Run: run, Progress: io.Discard})
	if err != nil {
		t.Fatal(err)
	}
	_ = run.End(tracking.StatusFinished, "")
	auc, ok := res.Metrics["macro_auroc"]
	if !ok || res.Encoder == nil || res.Encoder.Run != runDir || res.Encoder.Dim != 8 || res.Train == 0 {
		t.Fatalf("bag + E result %+v (encoder %+v)", res, res.Encoder)
	}
	// E is in the model only if it scored above the bag alone on validation; else the model
	// is the bag's, to the last digit.
	if res.UsesE != (res.Dense == 3+8) || res.UsesE != slices.Contains(bagEL2, res.EL2) {
		t.Fatalf("bag + E: uses E %v with %d dense features and E's l2 %g", res.UsesE, res.Dense, res.EL2)
	}
	if !res.UsesE {
		plain, err := Bag(BagOptions{Data: dataDir, Task: "5-day", Like: runDir, Settings: params.MustParse("bag_max_iter=10"), Progress: io.Discard})
		if err != nil {
			t.Fatal(err)
		}
		if plain.Metrics["macro_auroc"] != auc || plain.L2 != res.L2 {
			t.Errorf("bag + E without E: macro AUROC %v (l2 %g), the bag's %v (l2 %g)", auc, res.L2, plain.Metrics["macro_auroc"], plain.L2)
		}
	}
	t.Logf("bag + E of a one-step encoder: macro AUROC %.4f", auc)
	if auc < 0.65 {
		t.Errorf("bag + E macro AUROC %.4f, want ≥ 0.65 (the bag alone makes it)", auc)
	}
	if !strings.Contains(res.Encoder.String(), runDir) {
		t.Errorf("encoder described as %q", res.Encoder)
	}
	s, err := tracking.OpenExisting(db)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	d, err := s.GetRun(run.ID())
	if err != nil || d.Params["with_e"] != runDir || d.Params["e_dim"] != "8" || d.Params[ParamMaxLen] != "64" {
		t.Fatalf("tracked params %v (%v); want with_e, e_dim=8 and the run's max_len 64", d.Params, err)
	}

	// Another task with the same encoder and a shared cache reuses E (of every user of both
	// splits, so the other task's users are there) and gives the result computed without it.
	cache := NewBagECache()
	var first, second strings.Builder
	if _, err := Bag(BagOptions{Data: dataDir, Task: "5-day", WithE: runDir, Backend: b, Settings: params.MustParse("bag_max_iter=10"), ECache: cache, Progress: &first}); err != nil {
		t.Fatal(err)
	}
	viaCache, err := Bag(BagOptions{Data: dataDir, Task: "30-day", WithE: runDir, Backend: b, Settings: params.MustParse("bag_max_iter=10"), ECache: cache, Progress: &second})
	if err != nil {
		t.Fatal(err)
	}
	direct, err := Bag(BagOptions{Data: dataDir, Task: "30-day", WithE: runDir, Backend: b, Settings: params.MustParse("bag_max_iter=10"), Progress: io.Discard})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(first.String(), "reused") || !strings.Contains(second.String(), "reused from another task") {
		t.Errorf("cache: first run says %q, second %q", first.String(), second.String())
	}
	if viaCache.Metrics["macro_auroc"] != direct.Metrics["macro_auroc"] || viaCache.UsesE != direct.UsesE {
		t.Errorf("30-day with the cache: %v, without: %v", viaCache.Metrics, direct.Metrics)
	}

	for _, tc := range []struct {
		o    BagOptions
		want string
	}{
		{BagOptions{WithE: "none", Backend: b}, "needs --like RUNDIR"},
		{BagOptions{WithE: runDir, Like: runDir, Backend: b}, "only with --with-e none"},
		{BagOptions{WithE: runDir}, "no backend"},
	} {
		tc.o.Data, tc.o.Task = dataDir, "5-day"
		if _, err := Bag(tc.o); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("WithE %q, Like %q: %v; want an error saying %q", tc.o.WithE, tc.o.Like, err, tc.want)
		}
	}
}

// fitBag keeps E only when it helps on validation: E that carries the label beside weak
// counts is kept (with its own L2 strength), E of pure noise is left out and the model is the
// bag's own fit.
func TestBagWithEChoosesEOnlyWhenItHelps(t *testing.T) {
	rng := rand.New(rand.NewPCG(4, 5))
	gen := func(informative bool) []bagofids.Sample {
		var out []bagofids.Sample
		for i := range 400 {
			y := int32(i % 2)
			s := bagofids.Sample{Label: y, Dense: []float64{rng.NormFloat64(), rng.NormFloat64(), rng.NormFloat64()}}
			if rng.Float64() < 0.3+0.1*float64(y) { // a weak signal in the counts
				s.Index, s.Value = []int32{0}, []float32{1}
			}
			for range 4 {
				v := rng.NormFloat64()
				if informative {
					v += 1.5 * float64(2*y-1)
				}
				s.Dense = append(s.Dense, v)
			}
			out = append(out, s)
		}
		return out
	}
	useful, err := fitBag(gen(true), 2, 5, 50, 0, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if !useful.UsesE || useful.Model.Dense != 7 || !slices.Contains(bagEL2, useful.E) {
		t.Errorf("informative E: uses E %v, %d dense features, E's l2 %g; want E kept", useful.UsesE, useful.Model.Dense, useful.E)
	}
	noise := gen(false)
	useless, err := fitBag(noise, 2, 5, 50, 0, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if useless.UsesE || useless.Model.Dense != 3 {
		t.Fatalf("noise E: uses E %v with %d dense features; want the bag alone", useless.UsesE, useless.Model.Dense)
	}
	bag, err := fitBag(withoutE(noise), 2, 5, 50, 0, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(bag.Model.W, useless.Model.W) || bag.L2 != useless.L2 {
		t.Errorf("noise E: the model differs from the bag's own fit")
	}
}
