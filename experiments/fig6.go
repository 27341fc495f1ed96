package experiments

import (
	"fmt"
	"hash/crc32"
	"image/color"
	"math/rand/v2"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/byb-dev/byb/byb/data"
	"github.com/byb-dev/byb/byb/data/synth"
	"github.com/byb-dev/byb/byb/embedio"
	"github.com/byb-dev/byb/byb/params"
	"github.com/byb-dev/byb/byb/pipeline"
	"github.com/byb-dev/byb/byb/train"
	"github.com/byb-dev/byb/byb/tsne"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

func init() {
	register(Experiment{Name: "fig6", Summary: "Figure 6: t-SNE of E for random-init, pretrained and finetuned BYB on mobile-like, coloured by Active-30d",
		Run: runFig6})
}

const (
	fig6Preset = synth.MobileLike
	fig6Task   = "Active-30d"
	fig6K      = 10 // neighbours of the purity measure
)

// fig6Points is how many test users each map shows (the paper: 512,000 on a GPU; an exact
// t-SNE is O(N²) per step).
var fig6Points = map[string]int{"ci": 300, "small": 1500, "paper": 5000}

// fig6Model is one encoder whose E the figure maps.
type fig6Model struct {
	key, label string
	model      string // run directory, or "none" for the random encoder
}

func runFig6(c Config) (*Report, error) {
	f, err := newPretrainedFigure(c, "fig6")
	if err != nil {
		return nil, err
	}
	budget, out, tr, dataDir, pre, start := f.budget, f.out, f.tr, f.dataDir, f.pre, f.start
	// The finetuned encoder: BYB(unfreeze) on the task, its model kept for embedding, and
	// reused by a later run only when it finished at the same budget (its settings name it).
	settings := budget.finetune.With(train.ParamSeed, 0)
	ftDir := filepath.Join(filepath.Dir(pre), fmt.Sprintf("finetune-%s-%s-%08x", fig6Task, filepath.Base(pre), crc32.ChecksumIEEE([]byte(settings.Canonical()))))
	if cfg, err := train.ReadConfig(ftDir); err != nil || cfg.Finished == nil || !*cfg.Finished {
		c.logf("[fig6] finetuning BYB (unfrozen) on %s", fig6Task)
		child, err := tr.childOf(pretrainedRunID(tr, pre), pre, "finetune", "byb-unfreeze "+fig6Task, ftDir, map[string]string{
			"command": "finetune", "init": pre, "data": dataDir, "task": fig6Task, "freeze": "false", "settings": settings.String()})
		if err != nil {
			return nil, tr.fail(err)
		}
		_, err = pipeline.Finetune(pipeline.FinetuneOptions{Data: dataDir, Init: pre, Task: fig6Task, Settings: settings, Out: ftDir,
			Backend: c.Backend, Run: child.run, Progress: c.progress()})
		if err := child.finish(err); err != nil {
			return nil, tr.fail(err)
		}
	}
	models := []fig6Model{
		{"random", "Random init", "none"},
		{"pretrained", "Pretrained BYB (Fig. 6a)", pre},
		{"finetuned", "Finetuned BYB (Fig. 6b)", ftDir},
	}
	ds, err := data.Load(dataDir)
	if err != nil {
		return nil, tr.fail(err)
	}
	labelOf, err := testLabels(ds, fig6Task)
	if err != nil {
		return nil, tr.fail(err)
	}
	rep := &Report{Files: map[string]string{}}
	purity := map[string][2]float64{} // model → k-NN purity in E, in the map
	points := 0                       // the users mapped (all test users when fewer than the cap)
	for _, m := range models {
		embPath := filepath.Join(out, "E-"+m.key+".csv")
		o := pipeline.EmbedOptions{Model: m.model, Data: dataDir, Split: data.Test, Out: embPath, Backend: c.Backend}
		if m.model == "none" {
			o.Like, o.Settings = pre, params.Set{}.With(train.ParamSeed, 0)
		}
		if _, err := pipeline.Embed(o); err != nil {
			return nil, tr.fail(fmt.Errorf("fig6: E of %s: %w", m.label, err))
		}
		x, y, err := sampleLabelled(embPath, labelOf, fig6Points[c.Scale])
		if err != nil {
			return nil, tr.fail(err)
		}
		c.logf("[fig6] t-SNE of %d users' E of %s", len(x), m.label)
		points = len(x)
		res, err := tsne.Embed(c.Backend, x, tsne.Options{Seed: 1})
		if err != nil {
			return nil, tr.fail(err)
		}
		mapped := make([][]float32, len(res.Y))
		for i, p := range res.Y {
			mapped[i] = []float32{p[0], p[1]}
		}
		purity[m.key] = [2]float64{knnPurity(x, y, fig6K), knnPurity(mapped, y, fig6K)}
		png := filepath.Join(out, "fig6-"+m.key+".png")
		if err := scatterPNG(png, fmt.Sprintf("%s · E of %s", fig6Preset, m.label), fmt.Sprintf("%d test users, KL %.2f", len(x), res.KL), res.Y, y, fig6Task); err != nil {
			return nil, tr.fail(err)
		}
		rep.Files["map "+m.key] = png
		tr.artifact(png, "figure")
	}
	rep.Markdown = fig6Markdown(c, models, points, purity, baseRatePurity(labelOf), time.Since(start))
	return f.finish(rep)
}

// testLabels maps each labelled test user's raw id to its class on task.
func testLabels(ds *data.Dataset, task string) (map[string]int32, error) {
	idx, _, err := ds.Meta.Task(task)
	if err != nil {
		return nil, err
	}
	s, err := ds.Samples(data.Test)
	if err != nil {
		return nil, err
	}
	out := map[string]int32{}
	for i, u := range s.Users {
		if l := s.Labels[idx][i]; l >= 0 {
			out[ds.Users[u]] = l
		}
	}
	return out, nil
}

// sampleLabelled reads the embeddings at path and draws up to n labelled users (seed 1, the
// same users for every model: the file's order is the split's).
func sampleLabelled(path string, labelOf map[string]int32, n int) ([][]float32, []int32, error) {
	users, emb, dim, err := embedio.Read(path)
	if err != nil {
		return nil, nil, err
	}
	var rows []int
	for i, u := range users {
		if _, ok := labelOf[u]; ok {
			rows = append(rows, i)
		}
	}
	rng := rand.New(rand.NewPCG(1, 6))
	rng.Shuffle(len(rows), func(a, b int) { rows[a], rows[b] = rows[b], rows[a] })
	rows = rows[:min(n, len(rows))]
	sort.Ints(rows)
	x := make([][]float32, len(rows))
	y := make([]int32, len(rows))
	for i, r := range rows {
		x[i] = emb[r*dim : (r+1)*dim]
		y[i] = labelOf[users[r]]
	}
	return x, y, nil
}

// knnPurity is the share of each point's k nearest neighbours (Euclidean) that have its
// label, averaged over points: how well E (or a map of it) groups users by the label.
func knnPurity(x [][]float32, y []int32, k int) float64 {
	n := len(x)
	if n <= k {
		return 0
	}
	type nd struct {
		d float64
		j int
	}
	var total float64
	dists := make([]nd, 0, n)
	for i := range x {
		dists = dists[:0]
		for j := range x {
			if j == i {
				continue
			}
			var d float64
			for f := range x[i] {
				v := float64(x[i][f] - x[j][f])
				d += v * v
			}
			dists = append(dists, nd{d, j})
		}
		sort.Slice(dists, func(a, b int) bool { return dists[a].d < dists[b].d })
		same := 0
		for _, e := range dists[:k] {
			if y[e.j] == y[i] {
				same++
			}
		}
		total += float64(same) / float64(k)
	}
	return total / float64(n)
}

// baseRatePurity is the purity of neighbours drawn at random: Σ_c share_c².
func baseRatePurity(labelOf map[string]int32) float64 {
	counts := map[int32]int{}
	for _, l := range labelOf {
		counts[l]++
	}
	var p float64
	for _, c := range counts {
		s := float64(c) / float64(len(labelOf))
		p += s * s
	}
	return p
}

func fig6Markdown(c Config, models []fig6Model, points int, purity map[string][2]float64, base float64, took time.Duration) string {
	var b strings.Builder
	fmt.Fprintf(&b, "# Figure 6 (scale %s, engine %s, %s)\n\n", c.Scale, c.Engine.Config, took.Round(time.Second))
	fmt.Fprintf(&b, "t-SNE (exact, perplexity 30, 1000 steps) of E on %d %s test users, coloured by %s. Purity: the share of a user's %d nearest neighbours with the user's label, in E and in the map; random neighbours give %.4f (Σ share²). One seed.\n\n",
		points, fig6Preset, fig6Task, fig6K, base)
	b.WriteString("| encoder | purity in E | purity in the map |\n|---|---|---|\n")
	for _, m := range models {
		p := purity[m.key]
		fmt.Fprintf(&b, "| %s | %.4f | %.4f |\n", m.label, p[0], p[1])
	}
	r, p, f := purity["random"][0], purity["pretrained"][0], purity["finetuned"][0]
	yes := func(ok bool) string {
		if ok {
			return "yes"
		}
		return "no"
	}
	fmt.Fprintf(&b, "\nFindings (one seed, so no verdict beyond the numbers):\n\n")
	fmt.Fprintf(&b, "- Pretrained E groups users by the label it never saw (paper, Fig. 6a): purity %.4f against %.4f at random and %.4f for the random encoder: %s.\n", p, base, r, yes(p > base && p > r))
	fmt.Fprintf(&b, "- Finetuned E is more classifiable than pretrained (paper, Fig. 6b): purity %.4f against %.4f: %s.\n", f, p, yes(f > p))
	return b.String()
}

// scatterPNG draws a 2-D map, one colour per class, with a legend; xNote goes under the x
// axis.
func scatterPNG(path, title, xNote string, y [][2]float32, labels []int32, task string) error {
	p := plot.New()
	p.Title.Text = title
	p.X.Label.Text = "t-SNE 1 (" + xNote + ")"
	p.Y.Label.Text = "t-SNE 2"
	byClass := map[int32]plotter.XYs{}
	for i, pt := range y {
		byClass[labels[i]] = append(byClass[labels[i]], plotter.XY{X: float64(pt[0]), Y: float64(pt[1])})
	}
	classes := make([]int32, 0, len(byClass))
	for cl := range byClass {
		classes = append(classes, cl)
	}
	sort.Slice(classes, func(a, b int) bool { return classes[a] < classes[b] })
	palette := []color.Color{color.NRGBA{R: 31, G: 119, B: 180, A: 190}, color.NRGBA{R: 214, G: 39, B: 40, A: 190},
		color.NRGBA{R: 44, G: 160, B: 44, A: 190}, color.NRGBA{R: 148, G: 103, B: 189, A: 190}}
	for i, cl := range classes {
		s, err := plotter.NewScatter(byClass[cl])
		if err != nil {
			return err
		}
		s.GlyphStyle.Color = palette[i%len(palette)]
		s.GlyphStyle.Radius = vg.Points(1.5)
		s.GlyphStyle.Shape = draw.CircleGlyph{}
		p.Add(s)
		p.Legend.Add(fmt.Sprintf("%s = %d (%d users)", task, cl, len(byClass[cl])), s)
	}
	return p.Save(150*vg.Millimeter, 130*vg.Millimeter, path)
}
