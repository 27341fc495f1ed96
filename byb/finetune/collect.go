package finetune

import (
	"fmt"
	"iter"

	"github.com/byb-dev/byb/byb/data"
	"github.com/byb-dev/byb/byb/encoder"
	"github.com/gomlx/gomlx/backends"
	. "github.com/gomlx/gomlx/pkg/core/graph" //nolint:revive // GoMLX convention
	"github.com/gomlx/gomlx/pkg/ml/context"
)

// eRunner runs the encoder over batches and hands back E per batch, or what a head makes of
// E. It is the one place that compiles the encoder's forward pass outside training: the
// frozen probe (E of its training and test samples), Embed (E of every user) and unfrozen
// finetuning's test predictions (the head's probabilities) all go through it.
//
// One runner keeps its compiled graph across calls of run, so a caller with several sets of
// batches of one shape (the probe's training and test splits) compiles once.
type eRunner struct {
	exec *context.Exec
}

// newERunner prepares the forward pass of enc in ctx, which the caller scopes: ctx.Reuse()
// where the encoder's variables must already exist (a loaded or trained model), so a
// missing one is an error rather than a silent random initialisation; ctx.Checked(false)
// where the pass may create them (a from-scratch frozen encoder). head, if not nil, maps E
// [B,d] to the rows wanted instead of E.
func newERunner(backend backends.Backend, ctx *context.Context, enc *encoder.Encoder, head func(ctx *context.Context, e *Node) *Node) (*eRunner, error) {
	exec, err := context.NewExec(backend, ctx, func(ctx *context.Context, nodes []*Node) *Node {
		e := enc.Forward(ctx, encoder.InputsFrom(nodes)).E
		if head != nil {
			return head(ctx, e)
		}
		return e
	})
	if err != nil {
		return nil, err
	}
	exec.SetMaxCache(data.MaxPackedShapes) // a packed batch's size varies: one compile per size
	return &eRunner{exec: exec}, nil
}

// run passes every batch with its rows ([B][d] for E) to emit, in batch order, and stops at
// the first error. The rows include padding and unlabeled rows: which to keep is emit's
// choice (b.Users and b.Labels tell).
func (r *eRunner) run(batches iter.Seq[*data.Batch], emit func(b *data.Batch, rows [][]float32) error) error {
	for b := range batches {
		out, err := r.exec.Exec(encoder.BatchArgs(b)...)
		if err != nil {
			return fmt.Errorf("computing E: %w", err)
		}
		if err := emit(b, out[0].Value().([][]float32)); err != nil {
			return err
		}
	}
	return nil
}

// Finalize frees the compiled graph.
func (r *eRunner) Finalize() { r.exec.Finalize() }

// forEachE is newERunner and one run, for callers with a single set of batches.
func forEachE(backend backends.Backend, ctx *context.Context, enc *encoder.Encoder, head func(ctx *context.Context, e *Node) *Node,
	batches iter.Seq[*data.Batch], emit func(b *data.Batch, rows [][]float32) error) error {
	r, err := newERunner(backend, ctx, enc, head)
	if err != nil {
		return err
	}
	defer r.Finalize()
	return r.run(batches, emit)
}
