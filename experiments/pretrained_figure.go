package experiments

import (
	"os"
	"path/filepath"
	"time"

	"github.com/byb-dev/byb/byb/data/synth"
	"github.com/byb-dev/byb/byb/train"
)

// pretrainedFigure is what a figure of one pretrained BYB (fig5, fig6) starts from: the
// scale's budget, its output directory, its tracker run, the mobile-like data and the BYB
// run (Table 2's seed 0 at the same budget, reused when it exists).
type pretrainedFigure struct {
	name    string
	budget  scaleBudget
	out     string
	tr      *tracker
	start   time.Time
	dataDir string
	pre     string // the pretraining run directory
}

func newPretrainedFigure(c Config, name string) (*pretrainedFigure, error) {
	budget, err := tableBudget(c)
	if err != nil {
		return nil, err
	}
	f := &pretrainedFigure{name: name, budget: budget, out: filepath.Join(c.Out, name+"-"+c.Scale), start: time.Now()}
	if err := os.MkdirAll(f.out, 0o755); err != nil {
		return nil, err
	}
	f.tr, err = newTracker(c, name, map[string]string{"scale": c.Scale, "pretrain_settings": budget.pretrain.String(), "finetune_settings": budget.finetune.String()})
	if err != nil {
		return nil, err
	}
	if f.dataDir, err = ensureData(c, synth.MobileLike, 1, 0); err != nil {
		return nil, f.tr.fail(err)
	}
	if f.pre, _, err = pretrainOnce(c, f.tr, name, synth.MobileLike, f.dataDir, "byb", "byb", budget.pretrain.With(train.ParamSeed, 0), sharedRunsDir(c), 0); err != nil {
		return nil, f.tr.fail(err)
	}
	return f, nil
}

// sharedRunsDir holds every experiment's pretraining runs at the scale, each named by its
// method, seed and a hash of its settings: an experiment reuses what another one pretrained
// with the same settings on the same data (the ablations' and Table 4's Base, Figure 4's
// default ΔT2 and the figures of a pretrained BYB are Table 2's BYB runs).
func sharedRunsDir(c Config) string { return filepath.Join(c.Out, "runs-"+c.Scale) }

// finish writes the figure's Markdown beside its PNGs and closes its tracker run.
func (f *pretrainedFigure) finish(rep *Report) (*Report, error) {
	mdPath := filepath.Join(f.out, f.name+".md")
	if err := os.WriteFile(mdPath, []byte(rep.Markdown), 0o644); err != nil {
		return nil, f.tr.fail(err)
	}
	rep.Files["table"] = mdPath
	f.tr.artifact(mdPath, "table")
	rep.RunID = f.tr.id()
	return rep, f.tr.finish(nil)
}
