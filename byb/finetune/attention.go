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

// MeanAttention is the attention of a run directory's pretrained Transformer, averaged over
// heads and over every user of the batches (the paper's Figure 5): per layer, the weights of
// the last `last` query positions over every key position, [layer][query][key] with query 0
// the (L−last)-th position and the last query the most recent one. Under the causal mask a
// query's weights over later keys are 0. It returns the number of users averaged.
func MeanAttention(backend backends.Backend, runDir string, windows, last int, batches iter.Seq[*data.Batch]) ([][][]float64, int, error) {
	ctx, cfg, err := LoadPretrained(runDir)
	if err != nil {
		return nil, 0, err
	}
	if windows == 0 {
		windows = cfg.Windows
	}
	enc, err := encoder.New(ctx, cfg.Vocab, windows)
	if err != nil {
		return nil, 0, err
	}
	exec, err := context.NewExec(backend, ctx.Reuse(), func(ctx *context.Context, nodes []*Node) []*Node {
		att := enc.Forward(ctx, encoder.InputsFrom(nodes)).Attention
		out := make([]*Node, len(att))
		for i, a := range att { // [B,heads,L,L]
			L := a.Shape().Dim(2)
			if last > L {
				panic(fmt.Sprintf("attention: %d last positions of a sequence of %d", last, L))
			}
			out[i] = ReduceMean(Slice(a, AxisRange(), AxisRange(), AxisRangeToEnd(L-last), AxisRange()), 1) // [B,last,L]
		}
		return out
	})
	if err != nil {
		return nil, 0, err
	}
	exec.SetMaxCache(data.MaxPackedShapes) // a packed batch's size varies: one compile per size
	defer exec.Finalize()
	var mean attentionMean
	for b := range batches {
		outs, err := exec.Exec(encoder.BatchArgs(b)...)
		if err != nil {
			return nil, 0, fmt.Errorf("attention: %w", err)
		}
		layers := make([][][][]float32, len(outs))
		for i, t := range outs {
			layers[i] = t.Value().([][][]float32)
			t.FinalizeAll()
		}
		mean.add(layers, b.Users)
	}
	if mean.users == 0 {
		return nil, 0, fmt.Errorf("attention: no user in the batches")
	}
	return mean.value(), mean.users, nil
}

// attentionMean sums per-user attention maps ([layer][user][query][key]) over the real
// users of each batch (Users[r] < 0 marks padding rows) and gives their mean.
type attentionMean struct {
	sum   [][][]float64
	users int
}

func (m *attentionMean) add(layers [][][][]float32, users []int32) {
	if m.sum == nil {
		m.sum = make([][][]float64, len(layers))
	}
	for l, rows := range layers {
		for r, user := range users {
			if user < 0 {
				continue
			}
			if m.sum[l] == nil {
				m.sum[l] = make([][]float64, len(rows[r]))
				for q := range m.sum[l] {
					m.sum[l][q] = make([]float64, len(rows[r][q]))
				}
			}
			for q, ws := range rows[r] {
				for k, w := range ws {
					m.sum[l][q][k] += float64(w)
				}
			}
		}
	}
	for _, u := range users {
		if u >= 0 {
			m.users++
		}
	}
}

func (m *attentionMean) value() [][][]float64 {
	out := make([][][]float64, len(m.sum))
	for l, layer := range m.sum {
		out[l] = make([][]float64, len(layer))
		for q, row := range layer {
			out[l][q] = make([]float64, len(row))
			for k, v := range row {
				out[l][q][k] = v / float64(m.users)
			}
		}
	}
	return out
}
