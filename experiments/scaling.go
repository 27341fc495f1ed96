package experiments

import (
	"fmt"
	"math"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/byb-dev/byb/byb/data/synth"
	"github.com/byb-dev/byb/byb/params"
	"github.com/byb-dev/byb/byb/train"
	"github.com/gomlx/gomlx/pkg/ml/context"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/vg"
)

func init() {
	register(Experiment{Name: "scaling", Summary: "data scaling: frozen BYB and NBP, Supervised and the references as the unlabelled pretraining users grow (4k, 16k, 64k at small; --users), the labelled users fixed",
		Run: func(c Config) (*Report, error) { return runTable(scalingSpec, c) }})
}

// The paper's premise is that pretraining pays because unlabelled behavior is plentiful and
// labels are not; its Table 4 scales the model, never the data. This experiment keeps the
// labelled users (the finetune and test splits) of a scale fixed and adds users that only
// pretraining sees: the generator's user u depends on the seed and u alone, so every size
// holds the smaller sizes' users, behavior for behavior.

// scalingSizes are the pretraining users of each size by default (--users for others). The
// first is the scale's own users, all labelled; the rest add unlabelled users.
var scalingSizes = map[string][]int{
	"ci":    {1000, 2000},
	"small": {4000, 16000, 64000},
}

// scalingEpochs is the pretraining budget per size: the paper's two epochs over the
// pretraining users, so that the cost grows with the data, but never fewer steps than the
// scale's table budget, where BYB's loss has flattened on the scale's own users. Steps set
// with --budget or --pretrain-set hold at every size instead.
const scalingEpochs = 2

var scalingRows = []tableRow{
	{Key: "byb-freeze", Label: "BYB(freeze)", Method: "byb", Freeze: true},
	{Key: "nbp", Label: "NBP (freeze)", Method: "nbp", Freeze: true},
	{Key: "supervised", Label: "Supervised"},
	referenceRows[0], referenceRows[1], hybridRows[0],
}

var scalingSpec = &tableSpec{
	name: "scaling", title: "Data scaling", rows: scalingRows, tasks: table2Tasks,
	claims:   func(string, map[string]map[string]*cellResult, []string) string { return "" },
	presets:  []string{synth.TmallLike, synth.MobileLike},
	datasets: scalingDatasets,
	summary:  scalingSummary,
}

// usersText is a size as it names a data set: 4k, 16k, 1.5k, 1M.
func usersText(n int) string {
	switch {
	case n >= 1_000_000 && n%100_000 == 0:
		return strconv.FormatFloat(float64(n)/1e6, 'f', -1, 64) + "M"
	case n >= 1000 && n%100 == 0:
		return strconv.FormatFloat(float64(n)/1e3, 'f', -1, 64) + "k"
	}
	return strconv.Itoa(n)
}

// scalingDatasets is one data set per preset and size, each with its pretraining budget.
func scalingDatasets(c Config, presets []string) ([]tableData, error) {
	sizes := c.Users
	if len(sizes) == 0 {
		if sizes = scalingSizes[c.Scale]; len(sizes) == 0 {
			return nil, fmt.Errorf("scaling at scale %s: pass the pretraining users with --users (e.g. --users 4000,64000,1000000)", c.Scale)
		}
	}
	sizes = slices.Clone(sizes)
	slices.Sort(sizes)
	sizes = slices.Compact(sizes)
	budget, err := tableBudget(c)
	if err != nil {
		return nil, err
	}
	steps, batch, err := stepsAndBatch(budget.pretrain)
	if err != nil {
		return nil, err
	}
	// Steps the user set (--budget, --pretrain-set) are every size's: equal compute in place
	// of equal epochs.
	own, err := BudgetSettings(c.Budget)
	if err != nil {
		return nil, err
	}
	fixed, _, err := stepsAndBatch(own.Then(c.PretrainSettings))
	if err != nil {
		return nil, err
	}
	var out []tableData
	for _, preset := range presets {
		tasks, ok := table2Tasks[preset]
		if !ok {
			return nil, fmt.Errorf("scaling: no preset %q (%s)", preset, strings.Join(synth.Presets, ", "))
		}
		cfg, err := synth.NewConfig(preset, c.Scale, 1)
		if err != nil {
			return nil, err
		}
		for _, n := range sizes {
			if n < cfg.Users {
				return nil, fmt.Errorf("--users %d: fewer than the %d labelled users of %s at scale %s (the smallest size is the scale's own users)", n, cfg.Users, preset, c.Scale)
			}
			d := tableData{name: preset + "-" + usersText(n), tasks: tasks, preset: true, generate: preset, users: n}
			// Only a budget other than the table's is written: the report then names the
			// sizes whose pretraining differs from Table 2's.
			if s := max(steps, (scalingEpochs*n+batch-1)/batch); s != steps && fixed == 0 {
				d.pretrain = d.pretrain.With(train.ParamSteps, s)
			}
			if c.MaxTime != "" {
				d.pretrain = d.pretrain.With(train.ParamTimeBudget, c.MaxTime)
			}
			out = append(out, d)
		}
	}
	return out, nil
}

// stepsAndBatch reads the steps and batch size a pretraining budget sets (0 steps: epochs
// decide), as the trainer would.
func stepsAndBatch(settings params.Set) (steps, batch int, err error) {
	settings, err = train.ExpandProtocol(settings, train.PaperPretrain())
	if err != nil {
		return 0, 0, err
	}
	ctx := context.New()
	params.SetDefaults(ctx)
	if err := settings.Apply(ctx); err != nil {
		return 0, 0, fmt.Errorf("pretraining budget %q: %w", settings, err)
	}
	return params.Get[int](ctx, train.ParamSteps), params.Get[int](ctx, train.ParamBatchSize), nil
}

// scalingSummary is the experiment's own part: per preset and task, every row's AUROC
// against the pretraining users (a table and a PNG), the cost of each size, and the claims.
func scalingSummary(c Config, out string, sets []tableData, res map[string]map[string]map[string]*cellResult) (map[string]string, string, error) {
	budget, err := tableBudget(c)
	if err != nil {
		return nil, "", err
	}
	_, batch, err := stepsAndBatch(budget.pretrain)
	if err != nil {
		return nil, "", err
	}
	files := map[string]string{}
	var b strings.Builder
	b.WriteString("# Test AUROC against the pretraining users\n\n")
	fmt.Fprintf(&b, "The labelled users (finetune and test splits) are the scale's, the same at every size; the users beyond them are pretraining data only. Pretraining: %s, then %d epochs over a size's users where that is more steps, unless --budget or --pretrain-set fixes the steps:", settingsText(budget.pretrain), scalingEpochs)
	for i, d := range sets {
		sep := ","
		if i == len(sets)-1 {
			sep = "."
		}
		own := "the table budget"
		if !d.pretrain.Empty() {
			own = "`" + d.pretrain.String() + "`"
		}
		fmt.Fprintf(&b, " %s %s%s", d.name, own, sep)
	}
	b.WriteString(" (The tables above give each row's steps and time per size.)\n\n")
	var firstErr error
	for _, preset := range presetsOf(sets) {
		var sizes []tableData
		for _, d := range sets {
			if d.generate == preset {
				sizes = append(sizes, d)
			}
		}
		fmt.Fprintf(&b, "## %s\n\n", preset)
		b.WriteString(scalingCost(sizes, batch, res))
		var lines []string
		for _, task := range sizes[0].tasks {
			if !c.runsTask(task) {
				continue
			}
			fmt.Fprintf(&b, "### %s\n\n| Row |", task)
			for _, d := range sizes {
				fmt.Fprintf(&b, " %s users |", usersText(d.users))
			}
			fmt.Fprintf(&b, "\n|---|%s\n", strings.Repeat("---|", len(sizes)))
			for _, row := range scalingRows {
				fmt.Fprintf(&b, "| %s |", row.Label)
				for _, d := range sizes {
					fmt.Fprintf(&b, " %s |", formatCell(res[d.name][row.Key][task], row, task, "")) // no paper numbers, no bold
				}
				b.WriteString("\n")
			}
			b.WriteString("\n")
			lines = append(lines, scalingClaims(task, sizes, res)...)
			path := filepath.Join(out, fmt.Sprintf("scaling-%s-%s.png", preset, task))
			if err := scalingPNG(path, preset, task, sizes, res); err != nil {
				c.logf("[scaling] no chart for %s %s: %v", preset, task, err)
				if firstErr == nil {
					firstErr = err
				}
				continue
			}
			files["scaling "+preset+" "+task] = path
		}
		b.WriteString(claimsSection(lines))
		b.WriteString("\n")
	}
	return files, b.String(), firstErr
}

// presetsOf lists the presets of the data sets, in order.
func presetsOf(sets []tableData) []string {
	var out []string
	for _, d := range sets {
		if !slices.Contains(out, d.generate) {
			out = append(out, d.generate)
		}
	}
	return out
}

// scalingCost is what each size cost to pretrain: steps and time of BYB's (and NBP's)
// pretraining, read from the cells of its first task (every task shares a pretraining).
func scalingCost(sizes []tableData, batch int, res map[string]map[string]map[string]*cellResult) string {
	var b strings.Builder
	b.WriteString("| pretraining users | method | steps | time | users per second |\n|---|---|---|---|---|\n")
	for _, d := range sizes {
		for _, row := range scalingRows {
			if row.Method == "" {
				continue
			}
			var pre *pretrainInfo
			for _, task := range d.tasks {
				if r := res[d.name][row.Key][task]; r != nil && len(r.pre) > 0 {
					pre = &r.pre[0]
					break
				}
			}
			if pre == nil {
				continue
			}
			rate := "–"
			if pre.Seconds > 0 {
				rate = fmt.Sprintf("%.0f", float64(pre.Steps)*float64(batch)/pre.Seconds)
			}
			fmt.Fprintf(&b, "| %s | %s | %d | %s | %s |\n", usersText(d.users), row.Method, pre.Steps, seconds(pre.Seconds), rate)
		}
	}
	return b.String() + "\n(seed 0's pretraining; time is training time, compilation excluded.)\n\n"
}

func seconds(s float64) string {
	if s <= 0 {
		return "–"
	}
	return fmt.Sprintf("%.0f s", s)
}

// scalingClaims judges, on one task, whether pretraining gains with data: BYB(freeze)'s
// margin over its random encoder at the largest size against the smallest, seed by seed;
// the first size where BYB(freeze) reaches the bag by the mean; and the first where E adds
// to the bag (paired verdict).
func scalingClaims(task string, sizes []tableData, res map[string]map[string]map[string]*cellResult) []string {
	var lines []string
	first, last := sizes[0], sizes[len(sizes)-1]
	gap := func(d tableData) []float64 {
		a, r := res[d.name]["byb-freeze"][task], res[d.name]["random-freeze"][task]
		if a == nil || r == nil {
			return nil
		}
		var out []float64
		for i := range min(len(a.values), len(r.values)) {
			out = append(out, a.values[i]-r.values[i])
		}
		return out
	}
	if g0, g1 := gap(first), gap(last); len(g0) > 0 && len(g1) > 0 && len(sizes) > 1 {
		var d []float64
		for i := range min(len(g0), len(g1)) {
			d = append(d, g1[i]-g0[i])
		}
		v, mean := pairedDiffVerdict(d)
		m0, _ := meanStd(g0)
		m1, _ := meanStd(g1)
		lines = append(lines, fmt.Sprintf("- %s: BYB(freeze) − Random init (freeze) grows from %s to %s users (%+.4f → %+.4f, %+.4f): %s.",
			task, usersText(first.users), usersText(last.users), m0, m1, mean, v))
	}
	reach := ""
	for _, d := range sizes {
		byb, ok1 := meanOf(res[d.name], "byb-freeze", task)
		bag, ok2 := meanOf(res[d.name], "bag", task)
		if ok1 && ok2 && byb >= bag {
			reach = fmt.Sprintf("- %s: BYB(freeze) reaches the bag-of-IDs regression at %s users (%.4f against %.4f, by the mean).", task, usersText(d.users), byb, bag)
			break
		}
	}
	if reach == "" {
		byb, ok1 := meanOf(res[last.name], "byb-freeze", task)
		bag, ok2 := meanOf(res[last.name], "bag", task)
		if ok1 && ok2 {
			reach = fmt.Sprintf("- %s: BYB(freeze) does not reach the bag-of-IDs regression up to %s users (%.4f against %.4f there).", task, usersText(last.users), byb, bag)
		}
	}
	if reach != "" {
		lines = append(lines, reach)
	}
	adds := ""
	for _, d := range sizes {
		if v, diff, ok := pairedVerdict(res[d.name], "bag-e-byb", "bag", task); ok && (v == verdictHolds || adds == "" && d.name == last.name) {
			if v == verdictHolds {
				adds = fmt.Sprintf("- %s: E adds to the bag from %s users (%+.4f): holds.", task, usersText(d.users), diff)
				break
			}
			adds = fmt.Sprintf("- %s: E adds to the bag at no size up to %s users (%+.4f there): %s.", task, usersText(d.users), diff, v)
		}
	}
	if adds != "" {
		lines = append(lines, adds)
	}
	return lines
}

// scalingPNG draws every row's test AUROC (mean ± std over seeds) against the pretraining
// users, on a log axis.
func scalingPNG(path, preset, task string, sizes []tableData, res map[string]map[string]map[string]*cellResult) error {
	p := plot.New()
	p.Title.Text = fmt.Sprintf("%s · %s: test AUROC against the pretraining users (labelled users fixed)", preset, task)
	p.X.Label.Text = "pretraining users (log scale)"
	p.X.Scale = plot.LogScale{}
	p.Y.Label.Text = "test AUROC (mean ± std over seeds)"
	// The legend sits below the lowest line, in room made for it under the data.
	p.Legend.Top = false
	var ticks []plot.Tick
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, d := range sizes {
		ticks = append(ticks, plot.Tick{Value: float64(d.users), Label: usersText(d.users)})
	}
	p.X.Tick.Marker = plot.ConstantTicks(ticks)
	drawn := 0
	for i, row := range scalingRows {
		var xys plotter.XYs
		var errs plotter.YErrors
		for _, d := range sizes {
			r := res[d.name][row.Key][task]
			if r == nil || len(r.values) == 0 {
				continue
			}
			m, sd := meanStd(r.values)
			if math.IsNaN(m) {
				continue
			}
			xys = append(xys, plotter.XY{X: float64(d.users), Y: m})
			lo, hi = min(lo, m-sd), max(hi, m+sd)
			errs = append(errs, struct{ Low, High float64 }{sd, sd})
		}
		if len(xys) == 0 {
			continue
		}
		line, points, err := plotter.NewLinePoints(xys)
		if err != nil {
			return err
		}
		line.Color, points.Color = barColors[i%len(barColors)], barColors[i%len(barColors)]
		points.Shape = plotutil.Shape(i)
		eb, err := plotter.NewYErrorBars(struct {
			plotter.XYer
			plotter.YErrorer
		}{xys, errs})
		if err != nil {
			return err
		}
		eb.LineStyle.Color = barColors[i%len(barColors)]
		p.Add(line, points, eb)
		p.Legend.Add(row.Label, line, points)
		drawn++
	}
	if drawn == 0 {
		return fmt.Errorf("no row has a value")
	}
	p.Y.Min, p.Y.Max = lo-0.08*float64(drawn)*(hi-lo+0.02), hi+0.02
	p.X.Min, p.X.Max = float64(sizes[0].users)/1.2, float64(sizes[len(sizes)-1].users)*1.2
	return p.Save(180*vg.Millimeter, 120*vg.Millimeter, path)
}
