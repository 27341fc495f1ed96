package experiments

import (
	"fmt"
	"path/filepath"
	"strings"

	"github.com/byb-dev/byb/byb/data/synth"
	"github.com/byb-dev/byb/byb/finetune"
	"github.com/byb-dev/byb/byb/params"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/vg"
)

func init() {
	register(Experiment{Name: "table4", Summary: "Table 4: BYB at Base, ×2, ×4, ×8 (deeper) and ×16 (wider) Transformer parameters on mobile-like (frozen AUROC)",
		Run: func(c Config) (*Report, error) { return runTable(table4Spec, c) }})
}

// table4Sizes are the scaled BYB models. The paper's configuration table (App. C) is
// missing from its text; it says only that the behavior encoder, the embeddings and the
// heads stay the same, that parameters are about multiples of Base's, and that ×8 is deeper
// and ×16 wider. The Transformer's width d is the embeddings' here, so these scale the
// layers and the feed-forward width ff: ×2 doubles the layers, ×4 also quadruples ff, ×8
// doubles the layers again (deeper), and ×16 goes back to 8 layers with a 22× wider ff (wider).
// The table lists each one's counted parameters.
var table4Sizes = []struct {
	key, label string
	settings   params.Set
	paper      []float64 // Active-30d, Login-90d, Unbind-30d, Unbind-90d
}{
	{"base", "Base", params.MustParse(""), []float64{0.9134, 0.8950, 0.6823, 0.6702}},
	{"x2", "Base×2", params.MustParse("layers=8"), []float64{0.9175, 0.9014, 0.6877, 0.6782}},
	{"x4", "Base×4", params.MustParse("layers=8;ff=512"), []float64{0.9176, 0.9029, 0.6863, 0.6765}},
	{"x8", "Base×8 (deeper)", params.MustParse("layers=16;ff=512"), []float64{0.9178, 0.9033, 0.7002, 0.6876}},
	{"x16", "Base×16 (wider)", params.MustParse("layers=8;ff=2816"), []float64{0.9177, 0.9040, 0.6935, 0.6789}},
}

var table4Rows = func() []tableRow {
	var rows []tableRow
	for _, s := range table4Sizes {
		paper := map[string]float64{}
		for i, task := range table2Tasks[synth.MobileLike] {
			paper[task] = s.paper[i]
		}
		rows = append(rows, tableRow{Key: s.key, Label: s.label, Method: "byb", Freeze: true, Pretrain: s.settings, Paper: paper})
	}
	return append(rows, referenceRows...)
}()

var table4Spec = &tableSpec{
	name: "table4", title: "Table 4 (scaling BYB)", rows: table4Rows, tasks: table2Tasks,
	claims: table4Claims, figures: table4Figures,
	presets: []string{synth.MobileLike},
}

// table4Claims states section 5.4's findings: larger models are better, especially on the
// Unbind tasks, and Base×8 (deeper) beats Base×16 (wider).
func table4Claims(preset string, res map[string]map[string]*cellResult, tasks []string) string {
	var lines []string
	for _, s := range table4Sizes[1:] {
		if wins, t, judged := beats(res, s.key, "base", tasks); t.n() > 0 {
			k, n := paperBeats(table4Rows, s.key, "base", judged)
			lines = append(lines, fmt.Sprintf("- %s beats Base on %d of %d tasks by the mean (paper: %d of %d): %s.", s.label, wins, t.n(), k, n, t))
		}
	}
	var unbind []string
	for _, t := range tasks {
		if strings.HasPrefix(t, "Unbind") {
			unbind = append(unbind, t)
		}
	}
	if wins, t, _ := beats(res, "x8", "base", unbind); t.n() > 0 {
		lines = append(lines, fmt.Sprintf("- On the Unbind tasks, Base×8 beats Base on %d of %d (paper: +1.86%% on both): %s.", wins, t.n(), t))
	}
	if wins, t, judged := beats(res, "x8", "x16", tasks); t.n() > 0 {
		k, n := paperBeats(table4Rows, "x8", "x16", judged)
		lines = append(lines, fmt.Sprintf("- Base×8 (deeper) beats Base×16 (wider) on %d of %d tasks by the mean (paper: %d of %d): %s.", wins, t.n(), k, n, t))
	}
	return claimsSection(lines)
}

// table4Figures counts each size's parameters (from its seed-0 checkpoint) and draws the
// AUROC of every task against the Transformer's parameters, with the seed spread.
func table4Figures(c Config, out string, d tableData, runs []map[string]string, res map[string]map[string]*cellResult) (map[string]string, string, error) {
	if len(runs) == 0 {
		return nil, "", nil
	}
	var note strings.Builder
	note.WriteString("Configurations (d = 128 and heads = 4 for every size; parameters counted in each seed-0 checkpoint):\n\n| size | settings | Transformer parameters | × Base | encoder parameters (with embeddings) |\n|---|---|---|---|---|\n")
	params := map[string]float64{}
	var base float64
	for _, s := range table4Sizes {
		dir := runs[0][tableRow{Method: "byb", Pretrain: s.settings}.pretrainKey()]
		if dir == "" {
			continue
		}
		tf, total, err := finetune.ParamCounts(dir)
		if err != nil {
			return nil, "", err
		}
		if s.key == "base" {
			base = float64(tf)
		}
		params[s.key] = float64(tf)
		ratio := "–"
		if base > 0 {
			ratio = fmt.Sprintf("%.1f", float64(tf)/base)
		}
		settings := s.settings.String()
		if s.settings.Empty() {
			settings = "byb's defaults (layers=4, ff=128)"
		}
		fmt.Fprintf(&note, "| %s | %s | %d | %s | %d |\n", s.label, settings, tf, ratio, total)
	}
	p := plot.New()
	p.Title.Text = d.name + " · frozen BYB's test AUROC against its Transformer's size (mean ± std over seeds)"
	p.X.Label.Text = "Transformer parameters (log scale)"
	p.X.Scale = plot.LogScale{}
	p.X.Tick.Marker = plot.LogTicks{Prec: -1}
	p.Y.Label.Text = "test AUROC"
	p.Legend.Top = true
	drawn := 0
	for i, task := range d.tasks {
		var xys plotter.XYs
		var errs plotter.YErrors
		for _, s := range table4Sizes {
			r := res[s.key][task]
			if params[s.key] == 0 || r == nil || len(r.values) == 0 {
				continue
			}
			m, sd := meanStd(r.values)
			xys = append(xys, plotter.XY{X: params[s.key], Y: m})
			errs = append(errs, struct{ Low, High float64 }{sd, sd})
		}
		if len(xys) == 0 {
			continue
		}
		line, points, err := plotter.NewLinePoints(xys)
		if err != nil {
			return nil, "", err
		}
		line.Color, points.Color = plotutil.Color(i), plotutil.Color(i)
		eb, err := plotter.NewYErrorBars(struct {
			plotter.XYer
			plotter.YErrorer
		}{xys, errs})
		if err != nil {
			return nil, "", err
		}
		eb.LineStyle.Color = plotutil.Color(i)
		p.Add(line, points, eb)
		p.Legend.Add(task, line, points)
		drawn++
	}
	if drawn == 0 {
		return nil, note.String(), nil
	}
	path := filepath.Join(out, "table4-auroc-vs-params-"+d.name+".png")
	if err := p.Save(160*vg.Millimeter, 100*vg.Millimeter, path); err != nil {
		return nil, "", err
	}
	return map[string]string{"scaling": path}, note.String(), nil
}
