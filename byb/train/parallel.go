package train

import (
	"fmt"

	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/pkg/core/distributed"
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/gomlx/gomlx/pkg/ml/context"
)

// Data parallelism on XLA's own partitioner: the training step is the same global graph (the
// whole batch, one loss), compiled with GoMLX's AutoSharding over a one-axis device mesh.
// Every input whose first axis is the batch is split along it, everything else (the
// variables, scalars) is replicated, and XLA inserts the all-reduce of the gradients, so
// each device holds the same variables after every step. N devices and batch B compute what
// one device computes on batch B, up to the order of float additions.

// dataParallel shards a step's inputs over a device mesh; nil runs on one device.
type dataParallel struct {
	mesh              *distributed.DeviceMesh
	batch, replicated *distributed.ShardingSpec
	specs             []*distributed.ShardingSpec // per input, set by the first step
}

// DeviceCount resolves a --devices value: n > 0 devices (at most the engine's), or every
// device of the engine for 0.
func DeviceCount(backend backends.Backend, n int) (int, error) {
	have := backend.NumDevices()
	switch {
	case n < 0:
		return 0, fmt.Errorf("%d devices: want a number of devices, or all", n)
	case n == 0:
		return have, nil
	case n > have:
		return 0, fmt.Errorf("the engine %s has %d devices", backend.Name(), have)
	}
	return n, nil
}

// newDataParallel configures exec to run over n devices (nothing for n ≤ 1). The batch size
// must split evenly.
func newDataParallel(exec *context.Exec, n, batchSize int) (*dataParallel, error) {
	if n <= 1 {
		return nil, nil
	}
	if batchSize%n != 0 {
		return nil, fmt.Errorf("batch_size %d does not split evenly over %d devices: pass a multiple of %d", batchSize, n, n)
	}
	mesh, err := distributed.NewDeviceMesh([]int{n}, []string{"batch"})
	if err != nil {
		return nil, err
	}
	p := &dataParallel{mesh: mesh, replicated: distributed.NewReplicatedShardingSpec(mesh)}
	if p.batch, err = distributed.NewShardingSpec(mesh, distributed.AxisSpec{"batch"}); err != nil {
		return nil, err
	}
	exec.AutoSharding(mesh).WithOutputShardingSpecs(p.replicated)
	if err := exec.SetDefaultShardingSpec(nil); err != nil { // variables: replicated
		return nil, err
	}
	return p, nil
}

// args turns one step's inputs into the executable's arguments: on one device the tensors
// themselves, over several a distributed tensor each, split along the batch when its first
// axis is the batch (batchSize rows) and replicated otherwise. The first call fixes each
// input's sharding for the compiled step.
func (p *dataParallel) args(exec *context.Exec, inputs []*tensors.Tensor, batchSize int) ([]any, error) {
	if p == nil {
		return anySlice(inputs), nil
	}
	if p.specs == nil {
		for _, t := range inputs {
			spec := p.replicated
			if t.Shape().Rank() > 0 && t.Shape().Dim(0) == batchSize {
				spec = p.batch
			}
			p.specs = append(p.specs, spec)
		}
		exec.WithInputShardingSpecs(p.specs...)
	}
	out := make([]any, len(inputs))
	for i, t := range inputs {
		d, err := distributed.ShardTensor(p.specs[i], t)
		if err != nil {
			return nil, fmt.Errorf("input %d %s over %d devices: %w", i, t.Shape(), p.mesh.NumDevices(), err)
		}
		out[i] = d
	}
	return out, nil
}
