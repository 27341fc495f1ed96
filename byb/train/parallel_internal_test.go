package train

import (
	"testing"

	"github.com/byb-dev/byb/byb/engine"
	"github.com/byb-dev/byb/internal/testenv"
	"github.com/gomlx/gomlx/pkg/core/distributed"
	. "github.com/gomlx/gomlx/pkg/core/graph" //nolint:revive // GoMLX convention
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/gomlx/gomlx/pkg/ml/context"
)

// The step's inputs whose first axis is the batch are split along it, one slice of rows per
// device; the others (a scalar, a table of another length) are copied whole to each.
func TestDataParallelSplitsTheBatchAxis(t *testing.T) {
	testenv.Require(t, engine.XLACPUPluginPath() != "", "the XLA CPU plugin", "just setup installs it")
	backend, _, err := engine.OpenConfig("xla:cpu")
	if err != nil {
		t.Fatal(err)
	}
	exec, err := context.NewExec(backend, context.New(), func(_ *context.Context, x []*Node) *Node { return x[0] })
	if err != nil {
		t.Fatal(err)
	}
	if p, err := newDataParallel(exec, 1, 8); p != nil || err != nil {
		t.Fatalf("one device: %v, %v; want no data parallelism", p, err)
	}
	p, err := newDataParallel(exec, 4, 8)
	if err != nil {
		t.Fatal(err)
	}
	rows := tensors.FromValue([][]int32{{0, 1}, {2, 3}, {4, 5}, {6, 7}, {8, 9}, {10, 11}, {12, 13}, {14, 15}})
	args, err := p.args(exec, []*tensors.Tensor{rows, tensors.FromScalar(int64(3)), tensors.FromValue([]float32{1, 2, 3})}, 8)
	if err != nil {
		t.Fatal(err)
	}
	split := args[0].(*distributed.Tensor).Shards()
	if len(split) != 4 {
		t.Fatalf("%d shards, want 4", len(split))
	}
	for d, s := range split {
		want := [][]int32{{int32(4 * d), int32(4*d + 1)}, {int32(4*d + 2), int32(4*d + 3)}}
		if got := s.Value().([][]int32); len(got) != 2 || got[0][0] != want[0][0] || got[1][1] != want[1][1] {
			t.Errorf("device %d holds rows %v, want %v", d, got, want)
		}
	}
	for i, whole := range []*tensors.Tensor{tensors.FromScalar(int64(3)), tensors.FromValue([]float32{1, 2, 3})} {
		for d, s := range args[i+1].(*distributed.Tensor).Shards() {
			if !s.Shape().Equal(whole.Shape()) {
				t.Errorf("input %d on device %d: %s, want the whole %s", i+1, d, s.Shape(), whole.Shape())
			}
		}
	}
}
