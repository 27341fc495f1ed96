package train_test

import (
	"fmt"
	"io"
	"iter"
	"math"
	"strings"
	"testing"

	"github.com/byb-dev/byb/byb/bench"
	"github.com/byb-dev/byb/byb/data"
	"github.com/byb-dev/byb/byb/encoder"
	"github.com/byb-dev/byb/byb/engine"
	"github.com/byb-dev/byb/byb/params"
	"github.com/byb-dev/byb/byb/train"
	"github.com/byb-dev/byb/internal/testenv"
	"github.com/byb-dev/byb/methods"
	"github.com/gomlx/gomlx/pkg/ml/context"
)

// Data parallelism changes where the batch is computed, not what: BYB trained with its
// batch split over 2 and 4 of the XLA CPU plugin's devices gives the losses of one device
// (to float32 tolerance: the gradient's all-reduce adds in another order), and a checkpoint
// written on 2 devices resumes on 1 with the uninterrupted losses.
func TestDevicesGiveTheSameLosses(t *testing.T) {
	testenv.Require(t, engine.XLACPUPluginPath() != "", "the XLA CPU plugin (it presents several devices)",
		"just setup installs it")
	b := backend(t, "xla:cpu")
	if b.NumDevices() < 4 {
		t.Fatalf("the XLA CPU plugin presents %d devices, want at least 4", b.NumDevices())
	}
	const settings = "epochs=2"
	one := runOn(t, b, 1, "", settings, nil)
	if len(one) != 2*batchesPerEpoch {
		t.Fatalf("ran %d steps, want %d", len(one), 2*batchesPerEpoch)
	}
	close := func(what string, got []float64) {
		t.Helper()
		if len(got) != len(one) {
			t.Fatalf("%s: %d steps, want %d", what, len(got), len(one))
		}
		for i := range one {
			if d := math.Abs(got[i] - one[i]); d > 1e-4*math.Abs(one[i]) || math.IsNaN(got[i]) {
				t.Errorf("%s: step %d loss %.7f, one device %.7f", what, i+1, got[i], one[i])
			}
		}
	}
	for _, n := range []int{2, 4} {
		close(fmt.Sprintf("%d devices", n), runOn(t, b, n, "", settings, nil))
	}

	// Packed batches (BYB's with pooling: the behaviors flat, not split by row) too.
	packedOne := trainOnBatches(t, b, 1, "", settings, nil, packedBatches).Losses
	if len(packedOne) != len(one) {
		t.Fatalf("packed: %d steps, want %d", len(packedOne), len(one))
	}
	for i := range one { // the same behaviors, so the same losses
		if d := math.Abs(packedOne[i] - one[i]); d > 1e-4*math.Abs(one[i]) {
			t.Errorf("packed batches: step %d loss %.7f, padded %.7f", i+1, packedOne[i], one[i])
		}
	}
	close("packed batches on 2 devices", trainOnBatches(t, b, 2, "", settings, nil, packedBatches).Losses)

	dir := t.TempDir()
	first := runOn(t, b, 2, dir, "epochs=2;steps=4", nil)
	rest := runOn(t, b, 1, dir, "epochs=2;steps=0", nil)
	close("4 steps on 2 devices, resumed on 1", append(first, rest...))
}

// A batch that does not split over the devices is refused with what to pass instead, and
// more devices than the engine has are refused.
func TestDevicesRefusals(t *testing.T) {
	testenv.Require(t, engine.XLACPUPluginPath() != "", "the XLA CPU plugin", "just setup installs it")
	b := backend(t, "xla:cpu")
	ctx, enc, obj := model(t, "")
	_, err := train.Train(ctx, enc, obj, randomBatches, train.Options{Backend: b, Progress: io.Discard, Devices: 3})
	if err == nil || !strings.Contains(err.Error(), "batch_size 4 does not split evenly over 3 devices") {
		t.Errorf("batch 4 over 3 devices: %v", err)
	}
	if _, err := train.DeviceCount(b, b.NumDevices()+1); err == nil || !strings.Contains(err.Error(), "has") {
		t.Errorf("more devices than the engine's: %v", err)
	}
	if n, err := train.DeviceCount(b, 0); err != nil || n != b.NumDevices() {
		t.Errorf("all devices: %d, %v; want %d", n, err, b.NumDevices())
	}
}

// A baseline with a host-side transform (MBMv1's mask, one of the step's inputs, split with
// the batch) trains the same over 2 devices as over one.
func TestDevicesGiveTheSameLossesForABaseline(t *testing.T) {
	testenv.Require(t, engine.XLACPUPluginPath() != "", "the XLA CPU plugin", "just setup installs it")
	b := backend(t, "xla:cpu")
	losses := func(devices int) []float64 {
		method, err := methods.Lookup("mbmv1")
		if err != nil {
			t.Fatal(err)
		}
		ctx := context.New()
		params.SetDefaults(ctx)
		method.Defaults(ctx)
		const settings = "pool=false;epochs=1;min_steps=0;d=16;layers=1;heads=2;ff=16;seed=3"
		if _, err := params.Apply(ctx, settings); err != nil {
			t.Fatal(err)
		}
		enc, err := encoder.New(ctx, vocab, nWin)
		if err != nil {
			t.Fatal(err)
		}
		obj, err := method.New(ctx, bench.RandomFacts(bench.Config{Vocab: vocab, T: nWin, N: nBeh}))
		if err != nil {
			t.Fatal(err)
		}
		res, err := train.Train(ctx, enc, obj, randomBatches, train.Options{Backend: b, Progress: io.Discard, Settings: params.MustParse(settings), Devices: devices})
		if err != nil {
			t.Fatal(err)
		}
		if res.Devices != devices {
			t.Fatalf("ran on %d devices, want %d", res.Devices, devices)
		}
		return res.Losses
	}
	one, two := losses(1), losses(2)
	if len(one) != batchesPerEpoch || len(two) != len(one) {
		t.Fatalf("%d and %d steps, want %d", len(one), len(two), batchesPerEpoch)
	}
	for i := range one {
		if d := math.Abs(two[i] - one[i]); d > 1e-4*math.Abs(one[i]) || math.IsNaN(two[i]) {
			t.Errorf("MBMv1 step %d: 2 devices %.7f, one %.7f", i+1, two[i], one[i])
		}
	}
}

// packedBatches are randomBatches packed (data.Batch.ToPacked).
func packedBatches(epoch int) iter.Seq[*data.Batch] {
	return func(yield func(*data.Batch) bool) {
		for b := range randomBatches(epoch) {
			if !yield(b.ToPacked()) {
				return
			}
		}
	}
}
