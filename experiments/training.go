package experiments

import (
	"fmt"
	"math"
	"sort"
	"strings"
	"time"

	"github.com/byb-dev/byb/byb/finetune"
	"github.com/byb-dev/byb/byb/train"
)

// A table compares rows only if every row is trained to its best on the same terms, and it
// shows what each row got: the pretraining's steps and time, whether its loss was still
// falling fast at the end (undertrained), and for every finetuning the epochs it ran, the one
// it kept (chosen on the validation part) and whether it was still improving when it ended.
// A cell whose model was still learning is marked, never scored silently as if finished.

// Marks of a cell whose model did not finish learning.
const (
	markUndertrained   = "‡" // its pretraining's loss was still falling fast
	markStillImproving = "↑" // its finetuning was still improving on validation when it ended
)

// pretrainInfo is what a pretraining cost and whether it had converged.
type pretrainInfo struct {
	Steps       int64
	Seconds     float64 // wall-clock training time (0: not recorded by the byb that made it)
	Convergence train.Convergence
	Curve       bool // the loss curve was kept (curves.csv); without it convergence is unknown
}

// readPretrainInfo reads a pretraining run directory's steps and time (config.json) and judges
// its loss curve (curves.csv).
func readPretrainInfo(dir string) pretrainInfo {
	var info pretrainInfo
	if cfg, err := train.ReadConfig(dir); err == nil {
		info.Steps, info.Seconds = cfg.StepsDone, cfg.TrainSeconds
	}
	info.Convergence = train.LossConvergence(nil)
	if curves, err := readCurves(dir); err == nil && len(curves["loss"]) > 0 {
		losses := make([]float64, len(curves["loss"]))
		for i, p := range curves["loss"] {
			losses[i] = p.Y
		}
		info.Convergence, info.Curve = train.LossConvergence(losses), true
	}
	return info
}

// finetuneInfo is how one finetuning cell was trained (kept in its cell file).
type finetuneInfo struct {
	Validated      bool  `json:"validated,omitempty"`
	Epochs         int   `json:"epochs,omitempty"`
	BestEpoch      int   `json:"best_epoch,omitempty"`
	Steps          int64 `json:"steps,omitempty"`
	StillImproving bool  `json:"still_improving,omitempty"`
	// ValBest is the validation score of the epoch kept (what --tune chooses on).
	ValBest float64 `json:"val_best,omitempty"`
}

func finetuneInfoOf(res *finetune.Result) finetuneInfo {
	s := res.Selection
	return finetuneInfo{Validated: s.Validated, Epochs: s.Epochs, BestEpoch: s.BestEpoch, Steps: res.Train.GlobalStep,
		StillImproving: s.StillImproving(), ValBest: s.Score}
}

// marks are the cell's marks over its seeds.
func (r *cellResult) marks() string {
	m := ""
	for _, p := range r.pre {
		if p.Convergence.Undertrained() {
			m += markUndertrained
			break
		}
	}
	for _, f := range r.train {
		if f.StillImproving {
			m += markStillImproving
			break
		}
	}
	return m
}

// trainingSection is the Markdown table of what every row of one data set was trained with:
// per row, the pretraining's steps, time and loss tail (over seeds), and the finetuning's
// epochs, kept epoch and steps (over tasks and seeds).
func trainingSection(spec *tableSpec, res map[string]map[string]*cellResult, tasks []string) string {
	var b strings.Builder
	b.WriteString("Training, per row (over seeds and tasks): the pretraining's optimizer steps and time, the share of its loss decrease made in its last tenth of steps (" +
		fmt.Sprintf("%s above %.0f%%: still falling fast, undertrained", markUndertrained, 100*train.UndertrainedShare) +
		"), and the finetuning's epochs, the epoch kept on validation and the steps (" + markStillImproving + ": still improving when it ended).\n\n")
	b.WriteString("| Row | pretraining steps | pretraining time | loss drop in last tenth | finetuning epochs | epoch kept | finetuning steps |\n|---|---|---|---|---|---|---|\n")
	for _, row := range spec.rows {
		var pre []pretrainInfo
		var ft []finetuneInfo
		for _, task := range tasks {
			if c := res[row.Key][task]; c != nil {
				ft = append(ft, c.train...)
				if len(pre) == 0 {
					pre = c.pre // one pretraining per seed, the same for every task
				}
			}
		}
		if len(pre) == 0 && len(ft) == 0 {
			continue
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s | %s |\n", row.Label, pretrainSteps(pre), pretrainTime(pre), tailDrops(pre),
			intRange(ft, func(f finetuneInfo) (int64, bool) { return int64(f.Epochs), f.Epochs > 0 }),
			keptEpochs(ft), intRange(ft, func(f finetuneInfo) (int64, bool) { return f.Steps, f.Steps > 0 }))
	}
	return b.String()
}

func pretrainSteps(pre []pretrainInfo) string {
	var steps []int64
	for _, p := range pre {
		if p.Steps > 0 {
			steps = append(steps, p.Steps)
		}
	}
	return rangeText(steps)
}

func pretrainTime(pre []pretrainInfo) string {
	var secs []float64
	for _, p := range pre {
		if p.Seconds > 0 {
			secs = append(secs, p.Seconds)
		}
	}
	if len(secs) == 0 {
		return "–"
	}
	m, _ := meanStd(secs)
	return (time.Duration(m * float64(time.Second))).Round(time.Second).String()
}

// tailDrops lists each seed's loss drop in its last tenth, marked when undertrained.
func tailDrops(pre []pretrainInfo) string {
	var parts []string
	for _, p := range pre {
		switch {
		case !p.Curve:
			parts = append(parts, "no curve")
		case math.IsNaN(p.Convergence.TailDrop):
			parts = append(parts, "–")
		default:
			s := fmt.Sprintf("%.1f%%", 100*p.Convergence.TailDrop)
			if p.Convergence.Undertrained() {
				s += " " + markUndertrained
			}
			parts = append(parts, s)
		}
	}
	if len(parts) == 0 {
		return "–"
	}
	return strings.Join(parts, ", ")
}

// keptEpochs is the range of the epochs kept, with how many cells were still improving and
// how many had no validation part (their last epoch kept).
func keptEpochs(ft []finetuneInfo) string {
	text := intRange(ft, func(f finetuneInfo) (int64, bool) { return int64(f.BestEpoch), f.Validated && f.BestEpoch > 0 })
	improving, unvalidated := 0, 0
	for _, f := range ft {
		if f.StillImproving {
			improving++
		}
		if !f.Validated && f.Epochs > 0 {
			unvalidated++
		}
	}
	if improving > 0 {
		text += fmt.Sprintf(" (%d of %d still improving %s)", improving, len(ft), markStillImproving)
	}
	if unvalidated > 0 {
		text += fmt.Sprintf(" (%d of %d without validation: the last epoch)", unvalidated, len(ft))
	}
	return text
}

func intRange(ft []finetuneInfo, get func(finetuneInfo) (int64, bool)) string {
	var v []int64
	for _, f := range ft {
		if x, ok := get(f); ok {
			v = append(v, x)
		}
	}
	return rangeText(v)
}

// rangeText is "a" when every value is a, else "lo–hi"; "–" for none.
func rangeText(v []int64) string {
	if len(v) == 0 {
		return "–"
	}
	sort.Slice(v, func(i, j int) bool { return v[i] < v[j] })
	if v[0] == v[len(v)-1] {
		return fmt.Sprint(v[0])
	}
	return fmt.Sprintf("%d–%d", v[0], v[len(v)-1])
}
