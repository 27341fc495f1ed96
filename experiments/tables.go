package experiments

import (
	"fmt"
	"hash/crc32"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/byb-dev/byb/byb/data"
	"github.com/byb-dev/byb/byb/data/synth"
	"github.com/byb-dev/byb/byb/metrics"
	"github.com/byb-dev/byb/byb/params"
	"github.com/byb-dev/byb/byb/pipeline"
	"github.com/byb-dev/byb/byb/train"
	"github.com/byb-dev/byb/methods"
)

// tableSpec is an experiment shaped like Table 2: rows (a pretraining method or a variant
// of one, frozen or not, and reference rows) × the task columns of each data set, over
// seeds. Every such experiment (table2, the ablations, ΔT2, the scaling table) runs through
// runTable: the same budgets, cached cells, progress, tracker records, Markdown, CSV and
// bar charts; only the rows, the title and the claims differ.
type tableSpec struct {
	name   string // the experiment: out/NAME-SCALE/NAME.md, the tracker's experiment
	title  string // the Markdown heading, before the scale
	rows   []tableRow
	tasks  map[string][]string // task columns per preset
	claims func(preset string, res map[string]map[string]*cellResult, tasks []string) string
	// presets a run covers when neither --presets nor --dataset is given.
	presets []string
	// tune: the experiment always gives its rows the learning-rate search of --tune.
	tune bool
	// figures, if set, draws the experiment's own figures of one data set from its
	// pretraining runs (runs[seed][pretrainKey] = run directory) and cells into out, and returns
	// them by name, with a note (Markdown) of what they show for the table.
	figures func(c Config, out string, d tableData, runs []map[string]string, res map[string]map[string]*cellResult) (files map[string]string, note string, err error)
	// datasets, if set, lists the data sets of a run from the presets asked for, in place of
	// one per preset (scaling: one per preset and size).
	datasets func(c Config, presets []string) ([]tableData, error)
	// summary, if set, draws and judges across the data sets after every cell ran: files by
	// name, and Markdown appended to the table.
	summary func(c Config, out string, sets []tableData, res map[string]map[string]map[string]*cellResult) (files map[string]string, note string, err error)
}

// tableRow is one row of a table: how the encoder is pretrained (or not) and whether
// finetuning trains it.
type tableRow struct {
	Key     string
	Label   string
	Method  string // pretraining objective; "" = no pretraining
	Freeze  bool
	Paper   map[string]float64
	OursRef bool // a reference row that is not in the paper
	Bag     bool // the bag-of-IDs logistic regression, not a neural encoder
	// WithE, for a Bag row, appends a frozen encoder's E to its features (Bag-of-IDs + E):
	// withEBYB the table's BYB pretraining of the seed, withERandom the random encoder of its
	// shape that Random init (freeze) probes.
	WithE string
	// Pretrain is added to the row's pretraining settings: a variant of its method (an
	// ablation, a ΔT2, a size). Rows with the same Method and Pretrain share one pretraining.
	Pretrain params.Set
	// Finetune is added to the row's finetuning (or bag-of-IDs) settings: a variant of how it
	// is trained or of the encoder trained from scratch.
	Finetune params.Set
}

// pretrainKey names the pretraining a row's encoder comes from ("" for none).
func (r tableRow) pretrainKey() string {
	if r.Method == "" {
		return ""
	}
	return r.Method + "|" + r.Pretrain.String()
}

// referenceRows are byb's own reference rows, which every table of learned results carries:
// the same probe on a random encoder (what pretraining adds), and the bag-of-IDs regression.
var referenceRows = []tableRow{
	{Key: "random-freeze", Label: "Random init (freeze)", Freeze: true, OursRef: true},
	{Key: "bag", Label: "Bag-of-IDs (logistic regression)", OursRef: true, Bag: true},
}

// baseBYB is the key of the plain BYB pretraining, whose shape the from-scratch rows take.
const baseBYB = "byb|"

// The encoders of the Bag-of-IDs + E rows.
const (
	withEBYB    = "byb"
	withERandom = "random"
)

// hybridRows are Bag-of-IDs + E for BYB's E and for its random encoder's: do the embeddings
// add to what counting IDs knows (the paper's deployment, section 5.8, added E to an existing
// model), and more than a random encoder's do?
var hybridRows = []tableRow{
	{Key: "bag-e-byb", Label: "Bag-of-IDs + E (BYB)", OursRef: true, Bag: true, WithE: withEBYB},
	{Key: "bag-e-random", Label: "Bag-of-IDs + E (random)", OursRef: true, Bag: true, WithE: withERandom},
}

// tableData is one data set of the table: a synthetic preset (generated at the scale) or an
// imported dataset directory, and its task columns.
type tableData struct {
	name   string // preset, or the dataset's name
	dir    string // "" for a preset until generated
	tasks  []string
	preset bool // the paper's numbers apply (its tasks on an analogue of its data)
	// generate is the preset a synthetic data set is generated from when it is not name
	// (scaling's "tmall-like-16k"), and users its number of users, of which the scale's are
	// labelled and the rest pretraining data only (0: the scale's users, all labelled).
	generate string
	users    int
	// pretrain is added to every pretraining on this data set (scaling: epochs of its users).
	pretrain params.Set
}

// generated is the preset a synthetic data set is generated from.
func (d tableData) generated() string {
	if d.generate != "" {
		return d.generate
	}
	return d.name
}

// tableDatasets lists the data sets a run covers: the presets asked for (both by default,
// unless only --dataset directories are given), then the directories with every task of
// their meta.json.
func tableDatasets(spec *tableSpec, c Config) ([]tableData, error) {
	presets := c.Presets
	if len(presets) == 0 && len(c.Datasets) == 0 {
		presets = spec.presets
	}
	if spec.datasets != nil {
		if len(c.Datasets) > 0 {
			return nil, fmt.Errorf("it runs on the synthetic data sets it generates: --dataset is not for it")
		}
		return spec.datasets(c, presets)
	}
	var out []tableData
	for _, p := range presets {
		tasks, ok := spec.tasks[p]
		if !ok {
			return nil, fmt.Errorf("%s: no preset %q (%s; --dataset DIR runs an imported one)", spec.name, p, strings.Join(spec.presets, ", "))
		}
		out = append(out, tableData{name: p, tasks: tasks, preset: true})
	}
	seen := map[string]bool{}
	for _, d := range out {
		seen[d.name] = true
	}
	for _, dir := range c.Datasets {
		meta, err := data.ReadMeta(dir)
		if err != nil {
			return nil, fmt.Errorf("%s --dataset %s: %w", spec.name, dir, err)
		}
		if len(meta.Tasks) == 0 {
			return nil, fmt.Errorf("%s --dataset %s: the dataset has no task to finetune on (import it with --task NAME=RULE)", spec.name, dir)
		}
		name := meta.Name
		if name == "" || seen[name] {
			name = filepath.Base(filepath.Clean(dir))
		}
		seen[name] = true
		d := tableData{name: name, dir: dir}
		for _, t := range meta.Tasks {
			d.tasks = append(d.tasks, t.Name)
		}
		out = append(out, d)
	}
	return out, nil
}

// scaleBudget is how much training each scale affords. Every method gets the same budget,
// and every row is trained to its best within it.
//
// At the CPU scales every row sees the last 128 behaviors of a user (n=128): the baselines'
// Transformer runs over the raw behavior sequence, as in the paper, and at byb's defaults (n
// = the 95th percentile of the lengths, about 400 on tmall-like and 900 on mobile-like) one
// baseline's pretraining alone takes most of an hour on a 2-core machine. Every pretraining
// then makes the same number of steps of 32 users: at the small scale 1,000, where BYB's
// training loss has flattened on both data sets (measured over 2,000 steps: on tmall-like
// it reaches its lowest around step 1,000 and then rises as the teacher moves; on mobile-like
// it falls by under 1% a hundred steps from step 800), and 300 at ci, a smoke scale. A
// pretraining whose loss is still falling fast at its end is marked undertrained in the table.
// `--budget` changes the budget for every method (equal steps, or equal wall-clock time),
// `--pretrain-set` any setting.
//
// Finetuning — the frozen probe, unfrozen finetuning and Supervised alike — holds out a
// validation part of the labelled users, trains until its score there stops improving, and
// is tested with its best epoch (finetune's defaults; `--finetune-set` overrides them).
//
// At the paper scale it is the paper's protocol (section 5.1.4: batch 512, lr 1e-4, 2
// pretraining epochs, 1 finetuning epoch), with n from the data.
type scaleBudget struct {
	pretrain params.Set // every pretraining run
	probe    params.Set // frozen finetuning: the head on the frozen encoder's E
	finetune params.Set // unfrozen finetuning, and Supervised
}

// cpuTablePretrain is the pretraining every table gives every method at the CPU scales,
// but for its number of steps.
var cpuTablePretrain = params.MustParse("max_len=128;batch_size=32")

// paperProtocol is section 5.1.4's protocol, for each stage.
var paperProtocol = params.Set{}.With(train.ParamProtocol, train.ProtocolPaper)

var budgets = map[string]scaleBudget{
	"ci":    {pretrain: cpuTablePretrain.With(train.ParamSteps, 300)},
	"small": {pretrain: cpuTablePretrain.With(train.ParamSteps, 1000)},
	"paper": {pretrain: paperProtocol, probe: paperProtocol, finetune: paperProtocol},
}

// settings of a finetuning row: the budget's, then the row's own.
func (b scaleBudget) finetuneSettings(row tableRow) params.Set {
	if row.Freeze {
		return b.probe.Then(row.Finetune)
	}
	return b.finetune.Then(row.Finetune)
}

// cellResult is one cell's values over seeds, with how each seed's model was trained: train
// for a finetuned row (not the bag-of-IDs), pre for a row with a pretraining.
type cellResult struct {
	values  []float64
	train   []finetuneInfo
	pre     []pretrainInfo
	skipped string // why the cell is empty
}

// tableBudget is the scale's budget with the run's --budget, --pretrain-set and
// --finetune-set, in that order (the later wins).
func tableBudget(c Config) (scaleBudget, error) {
	b, ok := budgets[c.Scale]
	if !ok {
		return b, fmt.Errorf("unknown scale %q (ci, small, paper)", c.Scale)
	}
	pre, err := BudgetSettings(c.Budget)
	if err != nil {
		return b, err
	}
	b.pretrain = b.pretrain.Then(pre).Then(c.PretrainSettings)
	b.probe = b.probe.Then(c.FinetuneSettings)
	b.finetune = b.finetune.Then(c.FinetuneSettings)
	return b, nil
}

// BudgetSettings turns a --budget value into pretraining settings: "steps=N" trains exactly N
// optimizer steps, "time=DURATION" (90s, 5m, 1h) trains for that much wall-clock time,
// compilation included, however many steps that is; "" adds nothing.
func BudgetSettings(budget string) (params.Set, error) {
	if budget == "" {
		return params.Set{}, nil
	}
	kind, value, _ := strings.Cut(budget, "=")
	switch strings.TrimSpace(kind) {
	case "steps":
		if n, err := strconv.Atoi(strings.TrimSpace(value)); err == nil && n > 0 {
			return params.Set{}.With(train.ParamSteps, n).With(train.ParamTimeBudget, ""), nil
		}
	case "time":
		if d, err := time.ParseDuration(strings.TrimSpace(value)); err == nil && d > 0 {
			return params.Set{}.With(train.ParamSteps, 0).With(train.ParamTimeBudget, d.String()), nil
		}
	}
	return params.Set{}, fmt.Errorf("--budget %q: want steps=N (equal optimizer steps for every method, e.g. steps=600) or time=DURATION (equal wall-clock time, e.g. time=3m)", budget)
}

// runTable runs spec at c's scale: every seed of every data set, then the files.
func runTable(spec *tableSpec, c Config) (*Report, error) {
	budget, err := tableBudget(c)
	if err != nil {
		return nil, err
	}
	c.Seeds = c.seedCount()
	c.Tune = c.Tune || spec.tune
	sets, err := tableDatasets(spec, c)
	if err != nil {
		return nil, err
	}
	if err := checkTableFilters(spec, c, sets); err != nil {
		return nil, err
	}
	var names []string
	for _, d := range sets {
		names = append(names, d.name)
	}
	out := filepath.Join(c.Out, spec.name+"-"+c.Scale)
	tr, err := newTracker(c, spec.name, map[string]string{"scale": c.Scale, "seeds": fmt.Sprint(c.Seeds),
		"presets": strings.Join(names, ","), "pretrain_settings": budget.pretrain.String(), "probe_settings": budget.probe.String(), "finetune_settings": budget.finetune.String(),
		"tune": fmt.Sprint(c.Tune)})
	if err != nil {
		return nil, err
	}
	start := time.Now()
	prog := &cellProgress{c: c, name: spec.name, start: start}
	prog.total, prog.pretrainings = countCells(spec, c, sets)
	results := map[string]map[string]map[string]*cellResult{} // data set → row → task
	tunes := &tuneLog{}
	runs := map[string][]map[string]string{} // data set → seed → pretrainKey → run dir
	dataDirs := map[string][]string{}        // data set → its directory per seed, for the results file
	for i := range sets {
		d := &sets[i]
		results[d.name] = map[string]map[string]*cellResult{}
		for seed := 0; seed < c.Seeds; seed++ {
			ds := *d
			if d.preset {
				// The data's seed is 1, or with --data-seeds one more than the model's: then the
				// spread over seeds includes the data's.
				dataSeed := 1
				if c.DataSeeds {
					dataSeed = seed + 1
				}
				if ds.dir, err = ensureData(c, d.generated(), dataSeed, d.users); err != nil {
					return nil, tr.fail(err)
				}
			}
			sr := &seedRun{spec: spec, c: c, tr: tr, budget: budget, d: ds, out: out, seed: seed, res: results[d.name], prog: prog, tunes: tunes}
			if err := sr.run(); err != nil {
				return nil, tr.fail(err)
			}
			runs[d.name] = append(runs[d.name], sr.pretrained)
			dataDirs[d.name] = append(dataDirs[d.name], ds.dir)
		}
	}
	rep := &Report{Files: map[string]string{}}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return nil, tr.fail(err)
	}
	notes := map[string]string{} // data set → what its figures found, beside the claims
	for _, d := range sets {
		png := filepath.Join(out, spec.name+"-"+d.name+".png")
		if err := groupedBarsPNG(png, spec.title+" · "+d.name+" (mean ± std over seeds)", spec.barRows(), d.tasks, results[d.name]); err != nil {
			c.logf("[%s] no chart for %s: %v", spec.name, d.name, err)
		} else {
			rep.Files["chart "+d.name] = png
			tr.artifact(png, "figure")
		}
		if spec.figures == nil {
			continue
		}
		figs, note, err := spec.figures(c, out, d, runs[d.name], results[d.name])
		if err != nil {
			c.logf("[%s] figures of %s: %v", spec.name, d.name, err)
		}
		notes[d.name] = note
		for name, path := range figs {
			rep.Files[name+" "+d.name] = path
			tr.artifact(path, "figure")
		}
	}
	var summary string
	if spec.summary != nil {
		files, note, err := spec.summary(c, out, sets, results)
		if err != nil {
			c.logf("[%s] summary: %v", spec.name, err)
		}
		summary = note
		for name, path := range files {
			rep.Files[name] = path
			tr.artifact(path, "figure")
		}
	}
	md := tableMarkdown(spec, c, sets, results, notes, tunes, time.Since(start)) + summary
	rep.Markdown = md
	csv := tableCSV(spec, sets, results)
	mdPath, csvPath, kept := tablePaths(out, spec.name, csv)
	if kept != "" {
		c.logf("[%s] %s; this run's table is written to %s", spec.name, kept, mdPath)
	}
	if err := os.WriteFile(mdPath, []byte(md), 0o644); err != nil {
		return nil, tr.fail(err)
	}
	if err := os.WriteFile(csvPath, []byte(csv), 0o644); err != nil {
		return nil, tr.fail(err)
	}
	rep.Files["table"] = mdPath
	rep.Files["csv"] = csvPath
	tr.artifact(mdPath, "table")
	tr.artifact(csvPath, "table")
	if err := writeResults(tr, rep, mdPath, spec, c, sets, dataDirs, results); err != nil {
		return nil, tr.fail(err)
	}
	rep.RunID = tr.id()
	return rep, tr.finish(nil)
}

// tablePaths are the Markdown and CSV files a table with csv is written to under out: NAME.md
// and NAME.csv, unless those hold more values than csv (a run of a few rows or tasks beside a
// whole table's): results are never overwritten with less, and this run's table goes to
// NAME.partial.md and .csv, kept saying so.
func tablePaths(out, name, csv string) (md, csvPath, kept string) {
	md, csvPath = filepath.Join(out, name+".md"), filepath.Join(out, name+".csv")
	had, have := 0, strings.Count(csv, "\n")-1
	if b, err := os.ReadFile(csvPath); err == nil {
		had = strings.Count(string(b), "\n") - 1
	}
	if had <= have {
		return md, csvPath, ""
	}
	kept = fmt.Sprintf("%s holds %d values and this run %d: it is kept", csvPath, had, have)
	return filepath.Join(out, name+".partial.md"), filepath.Join(out, name+".partial.csv"), kept
}

// checkTableFilters rejects a --tasks or --rows name that no row or column of the presets
// has, naming the known ones.
func checkTableFilters(spec *tableSpec, c Config, sets []tableData) error {
	var tasks, names []string
	for _, d := range sets {
		tasks = append(tasks, d.tasks...)
		names = append(names, d.name)
	}
	for _, t := range c.Tasks {
		if !contains(tasks, t) {
			return fmt.Errorf("no task %q on %s (known: %s)", t, strings.Join(names, ", "), strings.Join(tasks, ", "))
		}
	}
	keys := []string{"frozen"}
	for _, row := range spec.rows {
		keys = append(keys, row.Key)
	}
	for _, r := range c.Rows {
		if !contains(keys, r) {
			return fmt.Errorf("no row %q (known: %s)", r, strings.Join(keys, ", "))
		}
	}
	known := append([]string{"all"}, methods.Names()...)
	for _, m := range c.Methods {
		if !contains(known, m) {
			return fmt.Errorf("no method %q (known: %s)", m, strings.Join(known, ", "))
		}
	}
	// A selection that runs no cell would write a table of "not run" over the results of an
	// earlier run: refuse it instead.
	one := c
	one.Seeds = 1
	if cells, _ := countCells(spec, one, sets); cells == 0 {
		return fmt.Errorf("--methods %s, --rows %s and --tasks %s together select no cell of the table (each row belongs to one method: e.g. --rows nbp needs --methods nbp or all)",
			orAll(c.Methods), orAll(c.Rows), orAll(c.Tasks))
	}
	return nil
}

// orAll is a filter's value as the user typed it, or "all" when it is not set.
func orAll(v []string) string {
	if len(v) == 0 {
		return "all"
	}
	return strings.Join(v, ",")
}

// headline is the paper's metric: AUROC, macro one-vs-rest for multi-class tasks.
func headline(m metrics.Result) float64 {
	if v, ok := m[metrics.MetricMacroAUROC]; ok {
		return v
	}
	return m[metrics.MetricAUROC]
}

func meanStd(v []float64) (float64, float64) {
	if len(v) == 0 {
		return math.NaN(), math.NaN()
	}
	var s float64
	for _, x := range v {
		s += x
	}
	mean := s / float64(len(v))
	var ss float64
	for _, x := range v {
		ss += (x - mean) * (x - mean)
	}
	if len(v) < 2 {
		return mean, 0
	}
	return mean, math.Sqrt(ss / float64(len(v)-1))
}

func tableMarkdown(spec *tableSpec, c Config, sets []tableData, res map[string]map[string]map[string]*cellResult, notes map[string]string, tunes *tuneLog, took time.Duration) string {
	var b strings.Builder
	seeds := fmt.Sprintf("%d model seed(s)", c.Seeds)
	if c.DataSeeds {
		seeds = fmt.Sprintf("%d seed(s) of model and synthetic data", c.Seeds)
	}
	fmt.Fprintf(&b, "# %s (scale %s, %s, engine %s, %s)\n\n", spec.title, c.Scale, seeds, c.Engine.Config, took.Round(time.Second))
	var synthetic, imported []string
	for _, d := range sets {
		if d.preset {
			synthetic = append(synthetic, d.name)
		} else {
			imported = append(imported, fmt.Sprintf("%s (%s)", d.name, d.dir))
		}
	}
	b.WriteString("Test AUROC (macro one-vs-rest for multi-class tasks), mean ± std over seeds (one seed: the value alone); the paper's value in brackets.")
	if len(synthetic) > 0 {
		fmt.Fprintf(&b, " Synthetic data: `%s` analogues at scale %s, not the paper's data; the numbers are not expected to match the paper's, the ordering of methods is what can be compared.", strings.Join(synthetic, "`, `"), c.Scale)
	}
	if len(imported) > 0 {
		fmt.Fprintf(&b, " Imported data: %s, with its own tasks (no paper numbers).", strings.Join(imported, ", "))
	}
	b.WriteString("\n\n")
	if budget, err := tableBudget(c); err == nil {
		fmt.Fprintf(&b, "Training, the same for every method: pretraining %s; frozen rows (a head on standardised, cached E, its epoch chosen on a validation part) %s; unfrozen rows and Supervised %s.\n\n",
			settingsText(budget.pretrain), settingsText(budget.probe), settingsText(budget.finetune))
	}
	for _, d := range sets {
		preset, tasks := d.name, d.tasks
		fmt.Fprintf(&b, "## %s\n\n| Method | %s |\n|---|%s\n", preset, strings.Join(tasks, " | "), strings.Repeat("---|", len(tasks)))
		best := bestFrozen(spec.rows, res[preset], tasks)
		for _, row := range spec.rows {
			cells := []string{}
			shown := row
			if !d.preset {
				shown.Paper = nil // the paper has no number for another data set's tasks
			}
			for _, task := range tasks {
				cells = append(cells, formatCell(res[preset][row.Key][task], shown, task, best[task]))
			}
			label := row.Label
			if row.OursRef {
				label += " †"
			}
			fmt.Fprintf(&b, "| %s | %s |\n", label, strings.Join(cells, " | "))
		}
		b.WriteString("\n")
		b.WriteString(spec.claims(preset, res[preset], tasks))
		b.WriteString("\n")
		b.WriteString(trainingSection(spec, res[preset], tasks))
		b.WriteString("\n")
		if t := tunes.section(preset); t != "" {
			b.WriteString(t + "\n")
		}
		if notes[preset] != "" {
			b.WriteString(notes[preset] + "\n")
		}
	}
	legend := "**Bold**: best frozen pretrained model per task. " + markUndertrained + ": the row's pretraining was still learning fast when its budget ended (for some seed); " +
		markStillImproving + ": its finetuning was still improving on validation when it ended (for some seed): neither is the score of a model trained to its best."
	skipped := skipReasons(res)
	if skipped["not implemented"] {
		legend += ` "not implemented": that baseline does not exist in byb yet.`
	}
	if skipped["not run"] {
		legend += ` "not run": not asked for (--methods, --rows, --tasks).`
	}
	b.WriteString("† not in the paper: Random init (freeze) is the same head on the randomly initialised encoder, frozen — what pretraining adds; Bag-of-IDs is a logistic regression on per-user ID counts, active days and recency (byb baseline bag), the reference a neural method must beat; Bag-of-IDs + E adds a frozen encoder's E to its features in the same regression, E's weights with their own L2 strength chosen on validation, or none when E scores no better than the bag alone there (byb baseline bag --with-e).\n" + legend + "\n")
	return b.String()
}

func formatCell(r *cellResult, row tableRow, task string, best string) string {
	paper := ""
	if v, ok := row.Paper[task]; ok {
		paper = fmt.Sprintf(" [%.4f]", v)
	}
	if r == nil || len(r.values) == 0 {
		why := "—"
		if r != nil && r.skipped != "" {
			why = r.skipped
		}
		return why + paper
	}
	m, s := meanStd(r.values)
	cell := fmt.Sprintf("%.4f", m) // one seed: no spread to show
	if len(r.values) > 1 {
		cell = fmt.Sprintf("%.4f ± %.4f", m, s)
	}
	if row.Key == best {
		cell = "**" + cell + "**"
	}
	return cell + r.marks() + paper
}

// bestFrozen returns, per task, the key of the frozen pretrained row with the best mean.
func bestFrozen(rows []tableRow, res map[string]map[string]*cellResult, tasks []string) map[string]string {
	out := map[string]string{}
	for _, task := range tasks {
		bestV := math.Inf(-1)
		for _, row := range rows {
			if !row.Freeze || row.Method == "" {
				continue
			}
			if r := res[row.Key][task]; r != nil && len(r.values) > 0 {
				if m, _ := meanStd(r.values); m > bestV {
					bestV, out[task] = m, row.Key
				}
			}
		}
	}
	return out
}

// skipReasons are the reasons cells of the table are empty ("not run", "not implemented").
func skipReasons(res map[string]map[string]map[string]*cellResult) map[string]bool {
	out := map[string]bool{}
	for _, rows := range res {
		for _, tasks := range rows {
			for _, cell := range tasks {
				if cell != nil && cell.skipped != "" {
					out[cell.skipped] = true
				}
			}
		}
	}
	return out
}

// barRows are the rows' keys and labels, for the chart.
func (spec *tableSpec) barRows() []barRow {
	out := make([]barRow, len(spec.rows))
	for i, r := range spec.rows {
		out[i] = barRow{r.Key, r.Label}
	}
	return out
}

func tableCSV(spec *tableSpec, sets []tableData, res map[string]map[string]map[string]*cellResult) string {
	var b strings.Builder
	b.WriteString("dataset,method,task,seed,auroc,paper,epochs,best_epoch,finetune_steps,still_improving,pretrain_steps,pretrain_seconds,pretrain_tail_drop,undertrained\n")
	for _, d := range sets {
		preset := d.name
		for _, row := range spec.rows {
			for _, task := range d.tasks {
				r := res[preset][row.Key][task]
				if r == nil {
					continue
				}
				paper := ""
				if v, ok := row.Paper[task]; ok && d.preset {
					paper = fmt.Sprint(v)
				}
				for seed, v := range r.values {
					ft, pre := ",,,", ",,,"
					if seed < len(r.train) && r.train[seed].Epochs > 0 {
						f := r.train[seed]
						ft = fmt.Sprintf("%d,%d,%d,%v", f.Epochs, f.BestEpoch, f.Steps, f.StillImproving)
					}
					if seed < len(r.pre) {
						p := r.pre[seed]
						drop := ""
						if !math.IsNaN(p.Convergence.TailDrop) {
							drop = fmt.Sprintf("%.4f", p.Convergence.TailDrop)
						}
						pre = fmt.Sprintf("%d,%.1f,%s,%v", p.Steps, p.Seconds, drop, p.Convergence.Undertrained())
					}
					fmt.Fprintf(&b, "%s,%s,%s,%d,%.6f,%s,%s,%s\n", preset, row.Key, task, seed, v, paper, ft, pre)
				}
			}
		}
	}
	return b.String()
}

// ensureData generates the preset's data set at the experiment's scale once, and reuses it.
func ensureData(c Config, preset string, seed, users int) (string, error) {
	name := fmt.Sprintf("%s-%s-seed%d", preset, c.Scale, seed)
	cfg, err := synth.NewConfig(preset, c.Scale, int64(seed))
	if err != nil {
		return "", err
	}
	if users > 0 && users != cfg.Users { // the scale's own users are its plain data set
		if users < cfg.Users {
			return "", fmt.Errorf("%d users: fewer than the %d labelled users of %s at scale %s", users, cfg.Users, preset, c.Scale)
		}
		cfg.LabelledUsers, cfg.Users = cfg.Users, users
		name += fmt.Sprintf("-users%d", users)
	}
	dir := filepath.Join(c.Out, "data", name)
	if _, err := data.ReadMeta(dir); err == nil {
		c.logf("[data] reusing %s", dir)
		return dir, nil
	}
	c.logf("[data] generating %s at scale %s (%d users) into %s", preset, c.Scale, cfg.Users, dir)
	if _, err := synth.Generate(cfg, dir, nil); err != nil {
		return "", err
	}
	return dir, nil
}

// settingsText shows a budget's settings, or that it is byb's defaults.
func settingsText(settings params.Set) string {
	if settings.Empty() {
		return "byb's defaults"
	}
	return "`" + settings.String() + "`"
}

// pretrainOnce pretrains method on dataDir with settings into a directory under runsDir
// named by the settings (so a changed budget pretrains anew instead of resuming a run made
// with other settings), or reuses the finished run there; it keeps the run's curves beside
// its checkpoint. It returns the directory and the run's sequence length n.
func pretrainOnce(c Config, tr *tracker, experiment, preset, dataDir, method, what string, settings params.Set, runsDir string, seed int) (string, int, error) {
	dir := pretrainDir(runsDir, dataDir, method, settings, seed)
	if n, ok := finishedPretraining(dir); ok {
		c.logf("[%s] %s seed %d: reusing the finished %s pretraining in %s", experiment, preset, seed, what, dir)
		return dir, n, nil
	}
	c.logf("[%s] %s seed %d: pretraining %s", experiment, preset, seed, what)
	child, err := tr.child("pretrain", what+" "+preset, dir, map[string]string{
		"command": "pretrain", "method": method, "data": dataDir, "settings": settings.String(), "seed": fmt.Sprint(seed)})
	if err != nil {
		return "", 0, err
	}
	curves := &curveRecorder{Run: child.run}
	pre, err := pipeline.Pretrain(pipeline.PretrainOptions{Data: dataDir, Method: method, Settings: settings, Out: dir,
		Backend: c.Backend, Engine: c.Engine, Run: curves, Progress: c.progress()})
	if err := child.finish(err); err != nil {
		return "", 0, fmt.Errorf("pretraining %s on %s: %w", what, preset, err)
	}
	if err := curves.save(dir); err != nil {
		return "", 0, fmt.Errorf("pretraining %s on %s: keeping its curves: %w", what, preset, err)
	}
	return dir, pre.MaxLen, nil
}

// pretrainDir is where pretrainOnce keeps method's run with settings and seed on dataDir.
func pretrainDir(runsDir, dataDir, method string, settings params.Set, seed int) string {
	return filepath.Join(runsDir, filepath.Base(dataDir), fmt.Sprintf("%s-seed%d-%08x", method, seed, crc32.ChecksumIEEE([]byte(settings.Canonical()))))
}

// trainedText is the end of a cell's progress line: how its finetuning was trained.
func trainedText(f finetuneInfo) string {
	switch {
	case f.Epochs == 0:
		return ""
	case !f.Validated:
		return fmt.Sprintf(" (%d epochs, the last kept)", f.Epochs)
	case f.StillImproving:
		return fmt.Sprintf(" (epoch %d of %d kept, still improving %s)", f.BestEpoch, f.Epochs, markStillImproving)
	}
	return fmt.Sprintf(" (epoch %d of %d kept)", f.BestEpoch, f.Epochs)
}
