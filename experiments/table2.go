package experiments

import (
	"fmt"
	"hash/crc32"
	"math"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/byb-dev/byb/byb/data"
	"github.com/byb-dev/byb/byb/data/synth"
	"github.com/byb-dev/byb/byb/metrics"
	"github.com/byb-dev/byb/byb/pipeline"
	"github.com/byb-dev/byb/methods"
)

func init() {
	register(Experiment{Name: "table2", Summary: "main results: every method, frozen and unfrozen, on both data sets (AUROC)", Run: runTable2})
}

// table2Row is one row of the paper's Table 2: how the encoder is pretrained (or not) and
// whether finetuning trains it.
type table2Row struct {
	Key     string
	Label   string
	Method  string // pretraining objective; "" = no pretraining
	Freeze  bool
	Paper   map[string]float64
	OursRef bool // a reference row that is not in the paper
	Bag     bool // the bag-of-IDs logistic regression, not a neural encoder
}

// table2Rows in the paper's order, with its numbers (Table 2).
var table2Rows = []table2Row{
	{Key: "supervised", Label: "Supervised", Paper: paperRow(0.6267, 0.6239, 0.6223, 0.6147, 0.9218, 0.9132, 0.7462, 0.7215)},
	{Key: "mbmv1", Label: "MBMv1", Method: "mbmv1", Freeze: true, Paper: paperRow(0.4555, 0.4458, 0.4412, 0.4261, 0.6668, 0.6315, 0.5274, 0.5372)},
	{Key: "mbmv2", Label: "MBMv2", Method: "mbmv2", Freeze: true, Paper: paperRow(0.4644, 0.4556, 0.4498, 0.4341, 0.6260, 0.5998, 0.5498, 0.5503)},
	{Key: "nbp", Label: "NBP", Method: "nbp", Freeze: true, Paper: paperRow(0.3321, 0.3374, 0.3300, 0.3024, 0.8447, 0.7893, 0.6449, 0.6378)},
	{Key: "cts", Label: "CTS", Method: "cts", Freeze: true, Paper: paperRow(0.4394, 0.4274, 0.4226, 0.4060, 0.8032, 0.7815, 0.6607, 0.6509)},
	{Key: "msdp", Label: "MSDP", Method: "msdp", Freeze: true, Paper: paperRow(0.4799, 0.4686, 0.4620, 0.4476, 0.8893, 0.8900, 0.7425, 0.7226)},
	{Key: "byb-freeze", Label: "BYB(freeze)", Method: "byb", Freeze: true, Paper: paperRow(0.5779, 0.5673, 0.5618, 0.5456, 0.9134, 0.8950, 0.6823, 0.6702)},
	{Key: "byb-unfreeze", Label: "BYB(unfreeze)", Method: "byb", Paper: paperRow(0.6409, 0.6381, 0.6364, 0.6281, 0.9238, 0.9224, 0.7669, 0.7405)},
	{Key: "random-freeze", Label: "Random init (freeze)", Freeze: true, OursRef: true},
	{Key: "bag", Label: "Bag-of-IDs (logistic regression)", OursRef: true, Bag: true},
}

// table2Data is one data set of the table: a synthetic preset (generated at the scale) or an
// imported dataset directory, and its task columns.
type table2Data struct {
	name   string // preset, or the dataset's name
	dir    string // "" for a preset until generated
	tasks  []string
	preset bool // the paper's numbers apply (its tasks on an analogue of its data)
}

// table2Datasets lists the data sets a run covers: the presets asked for (both by default,
// unless only --dataset directories are given), then the directories with every task of
// their meta.json.
func table2Datasets(c Config) ([]table2Data, error) {
	presets := c.Presets
	if len(presets) == 0 && len(c.Datasets) == 0 {
		presets = []string{synth.TmallLike, synth.MobileLike}
	}
	var out []table2Data
	for _, p := range presets {
		tasks, ok := table2Tasks[p]
		if !ok {
			return nil, fmt.Errorf("table2: no preset %q (tmall-like, mobile-like; --dataset DIR runs an imported one)", p)
		}
		out = append(out, table2Data{name: p, tasks: tasks, preset: true})
	}
	seen := map[string]bool{}
	for _, d := range out {
		seen[d.name] = true
	}
	for _, dir := range c.Datasets {
		meta, err := data.ReadMeta(dir)
		if err != nil {
			return nil, fmt.Errorf("table2 --dataset %s: %w", dir, err)
		}
		if len(meta.Tasks) == 0 {
			return nil, fmt.Errorf("table2 --dataset %s: the dataset has no task to finetune on (import it with --task NAME=RULE)", dir)
		}
		name := meta.Name
		if name == "" || seen[name] {
			name = filepath.Base(filepath.Clean(dir))
		}
		seen[name] = true
		d := table2Data{name: name, dir: dir}
		for _, t := range meta.Tasks {
			d.tasks = append(d.tasks, t.Name)
		}
		out = append(out, d)
	}
	return out, nil
}

// The paper's task columns per data set.
var table2Tasks = map[string][]string{
	synth.TmallLike:  {"5-day", "10-day", "15-day", "30-day"},
	synth.MobileLike: {"Active-30d", "Login-90d", "Unbind-30d", "Unbind-90d"},
}

func paperRow(v ...float64) map[string]float64 {
	cols := append(append([]string{}, table2Tasks[synth.TmallLike]...), table2Tasks[synth.MobileLike]...)
	m := map[string]float64{}
	for i, c := range cols {
		m[c] = v[i]
	}
	return m
}

// scaleBudget is how much training each scale affords. Every method gets the same budget.
//
// At the CPU scales (ci, small) that is one shared table budget, cpuTableBudget, chosen so
// that the whole table (3 seeds × 6 pretrainings × 2 data sets, 80 cells a seed) fits in
// about two hours on a 2-core machine: the baselines' Transformer runs over the raw behavior
// sequence, as in the paper, and at byb's defaults (n = the 95th percentile of the lengths,
// about 400 on tmall-like and 900 on mobile-like, and ≥ 400 steps of 64) one baseline's
// pretraining alone takes most of an hour here. So every row sees the last 128 behaviors of a
// user (n=128), pretrains 150 steps of 32 users (1.4 epochs of the small sets), and finetunes
// unfrozen for the paper's one epoch; the frozen rows' probe trains until its validation
// score stops improving and keeps its best epoch. `--pretrain-set` and `--finetune-set`
// override any of it (byb's own defaults: --pretrain-set "max_len=0;steps=0;batch_size=64").
//
// At the paper scale it is the paper's protocol (section 5.1.4: batch 512, lr 1e-4, 2
// pretraining epochs, 1 finetuning epoch), with n from the data.
type scaleBudget struct {
	pretrain string // every pretraining run
	probe    string // frozen finetuning: the head on the frozen encoder's E
	finetune string // unfrozen finetuning, and Supervised
}

var cpuTableBudget = scaleBudget{
	pretrain: "max_len=128;batch_size=32;steps=150",
	finetune: "epochs=1",
}

var budgets = map[string]scaleBudget{
	"ci":    cpuTableBudget,
	"small": cpuTableBudget,
	"paper": {pretrain: "protocol=paper", probe: "protocol=paper", finetune: "protocol=paper"},
}

// settings of a finetuning row.
func (b scaleBudget) finetuneSettings(row table2Row) string {
	if row.Freeze {
		return b.probe
	}
	return b.finetune
}

// table2Result is one cell's values over seeds.
type table2Result struct {
	values  []float64
	skipped string // why the cell is empty
}

// table2Budget is the scale's budget with the run's --pretrain-set and --finetune-set.
func table2Budget(c Config) (scaleBudget, bool) {
	b, ok := budgets[c.Scale]
	b.pretrain = joinSettings(b.pretrain, c.PretrainSettings)
	b.probe = joinSettings(b.probe, c.FinetuneSettings)
	b.finetune = joinSettings(b.finetune, c.FinetuneSettings)
	return b, ok
}

func runTable2(c Config) (*Report, error) {
	budget, ok := table2Budget(c)
	if !ok {
		return nil, fmt.Errorf("unknown scale %q (ci, small, paper)", c.Scale)
	}
	c.Seeds = c.seedCount()
	sets, err := table2Datasets(c)
	if err != nil {
		return nil, err
	}
	if err := checkTable2Filters(c, sets); err != nil {
		return nil, err
	}
	var names []string
	for _, d := range sets {
		names = append(names, d.name)
	}
	out := filepath.Join(c.Out, "table2-"+c.Scale)
	tr, err := newTracker(c, "table2", map[string]string{"scale": c.Scale, "seeds": fmt.Sprint(c.Seeds),
		"presets": strings.Join(names, ","), "pretrain_settings": budget.pretrain, "probe_settings": budget.probe, "finetune_settings": budget.finetune})
	if err != nil {
		return nil, err
	}
	start := time.Now()
	prog := &cellProgress{c: c, start: start, total: countCells(c, sets)}
	results := map[string]map[string]map[string]*table2Result{} // data set → row → task
	for i := range sets {
		d := &sets[i]
		results[d.name] = map[string]map[string]*table2Result{}
		for seed := 0; seed < c.Seeds; seed++ {
			ds := *d
			if d.preset {
				// The data's seed is 1, or with --data-seeds one more than the model's: then the
				// spread over seeds includes the data's.
				dataSeed := 1
				if c.DataSeeds {
					dataSeed = seed + 1
				}
				if ds.dir, err = ensureData(c, d.name, dataSeed); err != nil {
					return nil, tr.fail(err)
				}
			}
			if err := table2Seed(c, tr, budget, ds, out, seed, results[d.name], prog); err != nil {
				return nil, tr.fail(err)
			}
		}
	}
	md := table2Markdown(c, sets, results, time.Since(start))
	rep := &Report{Markdown: md, Files: map[string]string{}}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return nil, tr.fail(err)
	}
	mdPath := filepath.Join(out, "table2.md")
	csvPath := filepath.Join(out, "table2.csv")
	if err := os.WriteFile(mdPath, []byte(md), 0o644); err != nil {
		return nil, tr.fail(err)
	}
	if err := os.WriteFile(csvPath, []byte(table2CSV(sets, results)), 0o644); err != nil {
		return nil, tr.fail(err)
	}
	rep.Files["table"] = mdPath
	rep.Files["csv"] = csvPath
	tr.artifact(mdPath, "table")
	tr.artifact(csvPath, "table")
	for _, d := range sets {
		png := filepath.Join(out, "table2-"+d.name+".png")
		if err := table2PNG(png, d.name, d.tasks, results[d.name]); err != nil {
			c.logf("[table2] no chart for %s: %v", d.name, err)
			continue
		}
		rep.Files["chart "+d.name] = png
		tr.artifact(png, "figure")
	}
	rep.RunID = tr.id()
	return rep, tr.finish(nil)
}

// checkTable2Filters rejects a --tasks or --rows name that no row or column of the presets
// has, naming the known ones.
func checkTable2Filters(c Config, sets []table2Data) error {
	var tasks, names []string
	for _, d := range sets {
		tasks = append(tasks, d.tasks...)
		names = append(names, d.name)
	}
	for _, t := range c.Tasks {
		if !contains(tasks, t) {
			return fmt.Errorf("table2: no task %q on %s (known: %s)", t, strings.Join(names, ", "), strings.Join(tasks, ", "))
		}
	}
	keys := []string{"frozen"}
	for _, row := range table2Rows {
		keys = append(keys, row.Key)
	}
	for _, r := range c.Rows {
		if !contains(keys, r) {
			return fmt.Errorf("table2: no row %q (known: %s)", r, strings.Join(keys, ", "))
		}
	}
	return nil
}

// table2Seed pretrains every available method once with one seed, then finetunes every row
// on every task.
func table2Seed(c Config, tr *tracker, budget scaleBudget, d table2Data, out string, seed int,
	res map[string]map[string]*table2Result, prog *cellProgress) error {
	preset, dataDir, tasks := d.name, d.dir, d.tasks
	pretrained := map[string]string{} // method → run dir
	maxLen := 0                       // n of the pretraining runs (all see the same data)
	for _, row := range table2Rows {
		if row.Method == "" || pretrained[row.Method] != "" {
			continue
		}
		if _, err := methods.Lookup(row.Method); err != nil || !c.runs(row.Method) || !c.runsRow(row.Key, row.Freeze) {
			continue // not implemented, or not asked for: the cells say so
		}
		settings := fmt.Sprintf("%s;seed=%d", budget.pretrain, seed)
		// The directory names the settings, so a changed budget pretrains anew instead of
		// resuming a run made with other settings.
		dir := filepath.Join(out, "runs", filepath.Base(dataDir), fmt.Sprintf("%s-seed%d-%08x", row.Method, seed, crc32.ChecksumIEEE([]byte(settings))))
		if n, ok := finishedPretraining(dir); ok {
			c.logf("[table2] %s seed %d: reusing the finished %s pretraining in %s", preset, seed, row.Method, dir)
			pretrained[row.Method], maxLen = dir, n
			continue
		}
		c.logf("[table2] %s seed %d: pretraining %s", preset, seed, row.Method)
		child, err := tr.child("pretrain", row.Method+" "+preset, dir, map[string]string{
			"command": "pretrain", "method": row.Method, "data": dataDir, "settings": settings, "seed": fmt.Sprint(seed)})
		if err != nil {
			return err
		}
		pre, err := pipeline.Pretrain(pipeline.PretrainOptions{Data: dataDir, Method: row.Method, Settings: settings, Out: dir,
			Backend: c.Backend, Engine: c.Engine, Run: child.run, Progress: c.progress()})
		if err := child.finish(err); err != nil {
			return fmt.Errorf("pretraining %s on %s: %w", row.Method, preset, err)
		}
		pretrained[row.Method], maxLen = dir, pre.MaxLen
	}
	for _, row := range table2Rows {
		if res[row.Key] == nil {
			res[row.Key] = map[string]*table2Result{}
		}
		initDir := "none"
		if !c.runsRow(row.Key, row.Freeze) {
			for _, task := range tasks {
				res[row.Key][task] = &table2Result{skipped: "not run"}
			}
			continue
		}
		if row.Method != "" {
			if initDir = pretrained[row.Method]; initDir == "" {
				why := "not run"
				if _, err := methods.Lookup(row.Method); err != nil {
					why = "not implemented"
				}
				for _, task := range tasks {
					res[row.Key][task] = &table2Result{skipped: why}
				}
				continue
			}
		}
		for _, task := range tasks {
			if !c.runsTask(task) {
				res[row.Key][task] = &table2Result{skipped: "not run"}
				continue
			}
			cell := res[row.Key][task]
			if cell == nil {
				cell = &table2Result{}
				res[row.Key][task] = cell
			}
			settings := fmt.Sprintf("%s;seed=%d", budget.finetuneSettings(row), seed)
			like := ""
			if initDir == "none" {
				// Encoders trained from scratch (Random init, Supervised) and the bag-of-IDs
				// reference see what BYB's encoder sees: its sequence length and pooling, and
				// for the encoders its architecture too (--like). Without a BYB run, they
				// take the other pretrainings' sequence length.
				like = pretrained["byb"]
				if like == "" && maxLen > 0 {
					settings += fmt.Sprintf(";max_len=%d", maxLen)
				}
			}
			// A finished cell is kept on disk, keyed by everything that makes it, so that an
			// interrupted table resumes cell by cell.
			cached := cellPath(out, preset, row.Key, task, seed, initDir+"|"+like+"|"+settings+"|"+dataDir)
			if v, ok := readCell(cached); ok {
				cell.values = append(cell.values, v)
				prog.done(fmt.Sprintf("%s seed %d: %s on %s: test AUROC %.4f (cached)", preset, seed, row.Label, task, v))
				continue
			}
			c.logf("[table2] %s seed %d: %s on %s", preset, seed, row.Label, task)
			command := "finetune"
			if row.Bag {
				command = "baseline bag"
			}
			child, err := tr.childOf(pretrainedRunID(tr, initDir), initDir, "finetune", row.Key+" "+task, "", map[string]string{
				"command": command, "method": row.Key, "init": initDir, "like": like, "data": dataDir, "task": task,
				"freeze": fmt.Sprint(row.Freeze), "settings": settings, "seed": fmt.Sprint(seed)})
			if err != nil {
				return err
			}
			var m metrics.Result
			if row.Bag {
				// The same sequences as the encoders see (max_len of the pretraining runs);
				// the regression itself has no seed, so its seeds repeat one number.
				var r *pipeline.BagResult
				if r, err = pipeline.Bag(pipeline.BagOptions{Data: dataDir, Task: task, Settings: settings, Like: like, Run: child.run, Progress: c.progress()}); err == nil {
					m = r.Metrics
				}
			} else {
				var r *pipeline.FinetuneResult
				if r, err = pipeline.Finetune(pipeline.FinetuneOptions{Data: dataDir, Init: initDir, Like: like, Task: task, Freeze: row.Freeze,
					Settings: settings, Backend: c.Backend, Run: child.run, Progress: c.progress()}); err == nil {
					m = r.Metrics
				}
			}
			if err := child.finish(err); err != nil {
				return fmt.Errorf("%s on %s/%s: %w", row.Label, preset, task, err)
			}
			cell.values = append(cell.values, headline(m))
			if err := writeCell(cached, headline(m)); err != nil {
				return err
			}
			prog.done(fmt.Sprintf("%s seed %d: %s on %s: test AUROC %.4f", preset, seed, row.Label, task, headline(m)))
		}
	}
	return nil
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

func table2Markdown(c Config, sets []table2Data, res map[string]map[string]map[string]*table2Result, took time.Duration) string {
	var b strings.Builder
	seeds := fmt.Sprintf("%d model seed(s)", c.Seeds)
	if c.DataSeeds {
		seeds = fmt.Sprintf("%d seed(s) of model and synthetic data", c.Seeds)
	}
	fmt.Fprintf(&b, "# Table 2 (scale %s, %s, engine %s, %s)\n\n", c.Scale, seeds, c.Engine.Config, took.Round(time.Second))
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
	if budget, ok := table2Budget(c); ok {
		fmt.Fprintf(&b, "Training, the same for every method: pretraining %s; frozen rows (a head on standardised, cached E, its epoch chosen on a validation part) %s; unfrozen rows and Supervised %s.\n\n",
			settingsText(budget.pretrain), settingsText(budget.probe), settingsText(budget.finetune))
	}
	for _, d := range sets {
		preset, tasks := d.name, d.tasks
		fmt.Fprintf(&b, "## %s\n\n| Method | %s |\n|---|%s\n", preset, strings.Join(tasks, " | "), strings.Repeat("---|", len(tasks)))
		best := bestFrozen(res[preset], tasks)
		for _, row := range table2Rows {
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
		b.WriteString(claims(preset, res[preset], tasks))
		b.WriteString("\n")
	}
	legend := "**Bold**: best frozen pretrained model per task."
	skipped := skipReasons(res)
	if skipped["not implemented"] {
		legend += ` "not implemented": that baseline does not exist in byb yet.`
	}
	if skipped["not run"] {
		legend += ` "not run": not asked for (--methods, --rows, --tasks).`
	}
	b.WriteString("† not in the paper: Random init (freeze) is the same head on the randomly initialised encoder, frozen — what pretraining adds; Bag-of-IDs is a logistic regression on per-user ID counts, active days and recency (byb baseline bag), the reference a neural method must beat.\n" + legend + "\n")
	return b.String()
}

func formatCell(r *table2Result, row table2Row, task string, best string) string {
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
	return cell + paper
}

// bestFrozen returns, per task, the key of the frozen pretrained row with the best mean.
func bestFrozen(res map[string]map[string]*table2Result, tasks []string) map[string]string {
	out := map[string]string{}
	for _, task := range tasks {
		bestV := math.Inf(-1)
		for _, row := range table2Rows {
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

// Verdicts of a claim, from paired per-seed differences.
const (
	verdictHolds        = "holds"
	verdictFails        = "does not hold"
	verdictInconclusive = "inconclusive"
)

// pairedVerdict compares rows a and b on one task seed by seed (both cells hold one value per
// seed, in seed order): the claim "a beats b" holds when the mean paired difference is
// positive and larger than its standard deviation, does not hold when it is negative by as
// much, and is inconclusive otherwise — also with one seed, whose difference has no spread to
// weigh it against. ok is false when either cell has no value.
func pairedVerdict(res map[string]map[string]*table2Result, a, b, task string) (verdict string, diff float64, ok bool) {
	ra, rb := res[a][task], res[b][task]
	if ra == nil || rb == nil || len(ra.values) == 0 || len(rb.values) == 0 {
		return "", 0, false
	}
	n := min(len(ra.values), len(rb.values))
	d := make([]float64, n)
	for i := range d {
		d[i] = ra.values[i] - rb.values[i]
	}
	mean, std := meanStd(d)
	switch {
	case n < 2:
		return verdictInconclusive, mean, true
	case mean > 0 && mean > std:
		return verdictHolds, mean, true
	case mean < 0 && -mean > std:
		return verdictFails, mean, true
	}
	return verdictInconclusive, mean, true
}

// tally counts the verdicts of one claim over tasks.
type tally struct {
	holds, fails, inconclusive int
}

func (t *tally) add(v string) {
	switch v {
	case verdictHolds:
		t.holds++
	case verdictFails:
		t.fails++
	default:
		t.inconclusive++
	}
}

func (t tally) n() int { return t.holds + t.fails + t.inconclusive }

// verdict of the claim over all its tasks: holds when it holds on every task, does not hold
// when it fails on one, else inconclusive.
func (t tally) verdict() string {
	switch {
	case t.n() > 0 && t.holds == t.n():
		return verdictHolds
	case t.fails > 0:
		return verdictFails
	}
	return verdictInconclusive
}

func (t tally) String() string {
	return fmt.Sprintf("%s (holds on %d, does not hold on %d, inconclusive on %d of %d tasks)", t.verdict(), t.holds, t.fails, t.inconclusive, t.n())
}

// meanOf is a cell's mean over seeds.
func meanOf(res map[string]map[string]*table2Result, key, task string) (float64, bool) {
	r := res[key][task]
	if r == nil || len(r.values) == 0 {
		return 0, false
	}
	m, _ := meanStd(r.values)
	return m, true
}

// bestOf returns, among keys with a value on task, the best and the second best by mean.
func bestOf(res map[string]map[string]*table2Result, keys []string, task string) (best, second string) {
	bv, sv := math.Inf(-1), math.Inf(-1)
	for _, k := range keys {
		m, ok := meanOf(res, k, task)
		switch {
		case !ok:
		case m > bv:
			second, sv = best, bv
			best, bv = k, m
		case m > sv:
			second, sv = k, m
		}
	}
	return best, second
}

var (
	frozenPretrained = []string{"mbmv1", "mbmv2", "nbp", "cts", "msdp", "byb-freeze"}
	pretrainBaseline = []string{"mbmv1", "mbmv2", "nbp", "cts", "msdp"}
)

// bestClaim judges "who is the best of keys" on every task where who and at least one other
// key have a value. Where who has the best mean, the claim holds, fails or is inconclusive as
// who against the second best does (pairedVerdict), and rel gets who's relative margin over
// it; elsewhere it fails when the best beats who for sure, else it is inconclusive. wins
// counts the tasks where who has the best mean.
func bestClaim(res map[string]map[string]*table2Result, keys []string, who string, tasks []string) (t tally, wins int, rel []float64) {
	for _, task := range tasks {
		best, second := bestOf(res, keys, task)
		if _, ok := meanOf(res, who, task); !ok || best == "" || second == "" {
			continue
		}
		if best != who {
			if v, _, _ := pairedVerdict(res, best, who, task); v == verdictHolds {
				t.add(verdictFails)
			} else {
				t.add(verdictInconclusive)
			}
			continue
		}
		wins++
		v, _, _ := pairedVerdict(res, who, second, task)
		t.add(v)
		w, _ := meanOf(res, who, task)
		o, _ := meanOf(res, second, task)
		rel = append(rel, (w-o)/o)
	}
	return t, wins, rel
}

// claims states, from the measured numbers and their seed spread, which of the paper's
// Table 2 claims hold here (paired per-seed differences, see pairedVerdict).
func claims(preset string, res map[string]map[string]*table2Result, tasks []string) string {
	var lines []string
	say := func(format string, args ...any) { lines = append(lines, fmt.Sprintf(format, args...)) }

	// 1. BYB(freeze) is the best frozen pretrained model, by some margin over the second.
	if first, wins, rel := bestClaim(res, frozenPretrained, "byb-freeze", tasks); first.n() > 0 {
		gain := ""
		if len(rel) > 0 {
			m, _ := meanStd(rel)
			gain = fmt.Sprintf(", by %+.1f%% over the second best on average where it is best", 100*m)
		}
		say("- 1. BYB(freeze) is the best frozen pretrained model on %d of %d tasks%s (paper: 6 of 8, +3.9%%): %s.", wins, first.n(), gain, first)
	}

	// 2. BYB(unfreeze) beats Supervised.
	var unfrozen tally
	var rel2 []float64
	for _, t := range tasks {
		if v, _, ok := pairedVerdict(res, "byb-unfreeze", "supervised", t); ok {
			unfrozen.add(v)
			b, _ := meanOf(res, "byb-unfreeze", t)
			o, _ := meanOf(res, "supervised", t)
			rel2 = append(rel2, (b-o)/o)
		}
	}
	if unfrozen.n() > 0 {
		m, _ := meanStd(rel2)
		say("- 2. BYB(unfreeze) beats Supervised (paper: on 8 of 8 tasks, +1.3%%; here %+.1f%% on average): %s.", 100*m, unfrozen)
	}

	// 3. MSDP is the best pretraining baseline.
	if msdp, wins, _ := bestClaim(res, pretrainBaseline, "msdp", tasks); msdp.n() > 0 {
		say("- 3. MSDP is the best pretraining baseline on %d of %d tasks (paper: on every task): %s.", wins, msdp.n(), msdp)
	}

	// 4. byb's own checks: pretraining adds to the random encoder, and beats counting IDs.
	for _, ref := range []struct{ key, what string }{
		{"random-freeze", "Random init (freeze): pretraining helps"},
		{"bag", "Bag-of-IDs: the encoder beats counting IDs"},
	} {
		var t4 tally
		for _, t := range tasks {
			if v, _, ok := pairedVerdict(res, "byb-freeze", ref.key, t); ok {
				t4.add(v)
			}
		}
		if t4.n() > 0 {
			say("- 4. BYB(freeze) beats %s (byb's check, not the paper's): %s.", ref.what, t4)
		}
	}
	if len(lines) == 0 {
		return "No claim can be judged: too few rows ran.\n"
	}
	return "Claims (\"holds\": the paired per-seed difference is positive on average and larger than its standard deviation; one seed is inconclusive):\n\n" +
		strings.Join(lines, "\n") + "\n"
}

// skipReasons are the reasons cells of the table are empty ("not run", "not implemented").
func skipReasons(res map[string]map[string]map[string]*table2Result) map[string]bool {
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

func table2CSV(sets []table2Data, res map[string]map[string]map[string]*table2Result) string {
	var b strings.Builder
	b.WriteString("dataset,method,task,seed,auroc,paper\n")
	for _, d := range sets {
		preset := d.name
		for _, row := range table2Rows {
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
					fmt.Fprintf(&b, "%s,%s,%s,%d,%.6f,%s\n", preset, row.Key, task, seed, v, paper)
				}
			}
		}
	}
	return b.String()
}

// ensureData generates the preset's data set at the experiment's scale once, and reuses it.
func ensureData(c Config, preset string, seed int) (string, error) {
	dir := filepath.Join(c.Out, "data", fmt.Sprintf("%s-%s-seed%d", preset, c.Scale, seed))
	if _, err := data.ReadMeta(dir); err == nil {
		c.logf("[data] reusing %s", dir)
		return dir, nil
	}
	cfg, err := synth.NewConfig(preset, c.Scale, int64(seed))
	if err != nil {
		return "", err
	}
	c.logf("[data] generating %s at scale %s into %s", preset, c.Scale, dir)
	if _, err := synth.Generate(cfg, dir, nil); err != nil {
		return "", err
	}
	return dir, nil
}

// joinSettings joins two "name=value;..." lists; the later one wins where both set a name.
func joinSettings(a, b string) string {
	if a == "" || b == "" {
		return a + b
	}
	return a + ";" + b
}

// settingsText shows a budget's settings, or that it is byb's defaults.
func settingsText(settings string) string {
	if settings == "" {
		return "byb's defaults"
	}
	return "`" + settings + "`"
}
