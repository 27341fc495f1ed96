// Package objective defines how a pretraining method plugs into byb's trainer, and holds the
// registry of methods. BYB lives here (byb.go); the paper's baselines live in the top-level
// baselines package and register themselves the same way; package methods links them all into
// a program. Adding a method is one file with a type implementing Objective and one Register
// call in its init.
package objective

import (
	"fmt"
	"math/rand/v2"
	"sort"
	"sync"

	"github.com/byb-dev/byb/byb/data"
	"github.com/byb-dev/byb/byb/encoder"
	. "github.com/gomlx/gomlx/pkg/core/graph" //nolint:revive // GoMLX convention
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/gomlx/gomlx/pkg/ml/context"
)

// Objective turns the shared encoder and a batch into a training loss.
type Objective interface {
	// Name is the registry name ("byb", "nbp", ...).
	Name() string
	// Loss builds the scalar loss graph for one batch. It runs the encoder (enc.Forward or its
	// pieces) and may create its own variables in ctx beside the encoder's scope. Trainable
	// variables it touches are optimised; make extra state non-trainable.
	Loss(ctx *context.Context, enc *encoder.Encoder, in encoder.Inputs) *Node
}

// Initializer is implemented by objectives that must set up state once the variables of a
// fresh run exist and have their initial values (BYB: teacher := student). It is not called
// when a run resumes from a checkpoint.
type Initializer interface {
	Init(ctx *context.Context) error
}

// StepUpdater is implemented by objectives with a per-step update that follows the optimizer
// step (BYB: the teacher's EMA, Eq. 12). AfterStep is called while building the training
// graph, after the optimizer has set the new variable values, so Variable.ValueGraph returns
// the updated student; its updates run in the same compiled step.
type StepUpdater interface {
	AfterStep(ctx *context.Context, g *Graph)
}

// FutureReader is implemented by objectives whose targets need behaviors after the input
// (BYB: the ΔT2 windows after the observation window, Algorithm 1's s_2). The pipeline then
// adds FutureWindows() windows of target-only behaviors to every pretraining batch.
type FutureReader interface {
	FutureWindows() int
}

// WholeFutureReader is a FutureReader whose targets are every behavior of its future windows
// even when the sequence model runs over raw behaviors (MSDP's presence of behaviors in a
// window). Without it, an unpooled objective's future is the next FutureWindows() behaviors
// (BYB's and NBP's targets of the last position).
type WholeFutureReader interface {
	FutureReader
	WholeFuture() bool
}

// Method is a registry entry.
type Method struct {
	Name string
	// Defaults puts the method's hyper-parameters (with their default values) in ctx.
	Defaults func(ctx *context.Context)
	// New reads the hyper-parameters from ctx and returns the objective, knowing the facts
	// of the dataset it will train on.
	New func(ctx *context.Context, facts Facts) (Objective, error)
	// Packs says that the objective takes packed batches (data.Batch) when the encoder pools:
	// it reads behaviors only through Encoder.Forward and encoder.GroupRows, never per row,
	// so every behavior of a long sequence feeds its day means instead of the most recent
	// max_len. Objectives that edit or read behaviors row by row keep padded batches.
	Packs bool
}

// Facts are what a method knows of the dataset when it is built: its ID fields, their
// vocabularies and pretraining-span counts (NBP sizes its softmaxes from them, MSDP picks its
// top-K behaviors), and the shape of the pretraining sequences.
type Facts struct {
	Fields  []string  // ID field names, one per slot
	Vocab   []int     // vocabulary size per slot, the reserved indices 0 (none) and 1 (OOV) included
	Counts  [][]int64 // per slot, the pretraining-span count of each vocabulary index (0 for 0 and 1)
	Windows int       // T: pooling windows of the pretraining observation span
	MaxLen  int       // n: behaviors per sequence; 0 = all of them (packed batches of a pooled model)
}

// BatchTransformer is implemented by objectives that transform each training batch on the
// host — masks, a second view, sampled windows — and feed the result to their step graph.
type BatchTransformer interface {
	// Transform returns the extra inputs of training batch b, drawn from rng. They reach Loss
	// as Inputs.Extra, in order, and must have the same shapes for every batch of a run. The
	// trainer seeds rng from the run's seed and the global step, so a resumed run draws the
	// transforms an uninterrupted one does.
	Transform(b *data.Batch, rng *rand.Rand) ([]*tensors.Tensor, error)
}

// Diagnosing is implemented by objectives that report named scalars besides their loss (BYB:
// the spread of E and the teacher-student distance; a baseline: its accuracy on its own
// pretext task). The trainer logs them every diag_every steps.
type Diagnosing interface {
	// LossWithDiagnostics is Loss plus the diagnostics, built in the same graph: scalars by
	// name, and under DiagE the batch's representations E [B,d], of which the trainer logs
	// the per-dimension standard deviation and the effective rank.
	LossWithDiagnostics(ctx *context.Context, enc *encoder.Encoder, in encoder.Inputs) (*Node, map[string]*Node)
}

// DiagE is the diagnostics key of the batch's representations E [B,d].
const DiagE = "E"

var (
	registryMu sync.Mutex
	registry   = map[string]Method{}
)

// Register adds a method; registering a name twice panics (a programming error).
func Register(m Method) {
	registryMu.Lock()
	defer registryMu.Unlock()
	if _, dup := registry[m.Name]; dup {
		panic(fmt.Sprintf("objective %q registered twice", m.Name))
	}
	registry[m.Name] = m
}

// Lookup returns the method registered under name.
func Lookup(name string) (Method, error) {
	registryMu.Lock()
	defer registryMu.Unlock()
	m, ok := registry[name]
	if !ok {
		return Method{}, fmt.Errorf("unknown method %q (known: %v; a program links the baselines with import _ \"github.com/byb-dev/byb/methods\")", name, namesLocked())
	}
	return m, nil
}

// Names lists the registered methods, sorted.
func Names() []string {
	registryMu.Lock()
	defer registryMu.Unlock()
	return namesLocked()
}

func namesLocked() []string {
	var out []string
	for n := range registry {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}
