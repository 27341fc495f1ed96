package experiments

import (
	"fmt"
	"hash/crc32"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/byb-dev/byb/byb/data"
	"github.com/byb-dev/byb/byb/data/ingest"
	"github.com/byb-dev/byb/byb/metrics"
	"github.com/byb-dev/byb/byb/params"
	"github.com/byb-dev/byb/byb/pipeline"
	"github.com/byb-dev/byb/byb/train"
)

func init() {
	register(Experiment{Name: "retail", Summary: "a real log end to end: UCI Online Retail churn, BYB against random init, Supervised and bag-of-IDs", Run: runRetail})
}

// DefaultRetailInput is where the Online Retail log is looked for when --in is not given.
const DefaultRetailInput = "../shared/data/online-retail/online_retail.csv.gz"

// retailTask is the format's default task (ingest: churn = no purchase in the 100 days after
// the observation window, among customers active before).
const retailTask = "churn"

// retailBudgets: ci is a smoke budget (the end-to-end test: every number produced, none
// meaningful); small is byb's defaults, the same for every row, as Table 2's.
var retailBudgets = map[string]scaleBudget{
	"ci":    {pretrain: params.MustParse("steps=20;batch_size=32;max_len=256"), probe: params.MustParse("ft_max_epochs=5"), finetune: params.MustParse("steps=10;batch_size=32")},
	"small": {},
	"paper": {pretrain: paperProtocol, probe: paperProtocol, finetune: paperProtocol},
}

// retailRow is one row of the Online Retail table.
type retailRow struct {
	key, label string
	init       string // "byb" = the pretrained run, "none" = a fresh encoder shaped like it, "bag" = the bag-of-IDs reference
	freeze     bool
}

var retailRows = []retailRow{
	{"byb-freeze", "BYB(freeze)", "byb", true},
	{"random-freeze", "Random init (freeze)", "none", true},
	{"supervised", "Supervised", "none", false},
	{"byb-unfreeze", "BYB(unfreeze)", "byb", false},
	{"bag", "Bag-of-IDs (logistic regression)", "bag", false},
}

// retailCell is one row's values over seeds.
type retailCell struct{ auroc, ks []float64 }

func runRetail(c Config) (*Report, error) {
	budget, ok := retailBudgets[c.Scale]
	if !ok {
		return nil, fmt.Errorf("unknown scale %q (ci, small, paper)", c.Scale)
	}
	c.Seeds = c.seedCount()
	in := c.Input
	if in == "" {
		in = DefaultRetailInput
	}
	if _, err := os.Stat(in); err != nil {
		return nil, fmt.Errorf("the Online Retail log: %v: pass --in PATH (the UCI file online_retail.csv.gz, or its Excel export as CSV)", err)
	}
	out := filepath.Join(c.Out, "retail-"+c.Scale)
	tr, err := newTracker(c, "retail", map[string]string{"scale": c.Scale, "seeds": fmt.Sprint(c.Seeds), "in": in,
		"pretrain_settings": budget.pretrain.String(), "probe_settings": budget.probe.String(), "finetune_settings": budget.finetune.String()})
	if err != nil {
		return nil, err
	}
	start := time.Now()
	dataDir := filepath.Join(c.Out, "data", "online-retail")
	imp, err := importRetail(c, in, dataDir)
	if err != nil {
		return nil, tr.fail(err)
	}
	cells := map[string]*retailCell{}
	for _, row := range retailRows {
		cells[row.key] = &retailCell{}
	}
	for seed := 0; seed < c.Seeds; seed++ {
		settings := budget.pretrain.With(train.ParamSeed, seed)
		runDir := filepath.Join(out, "runs", fmt.Sprintf("byb-seed%d-%08x", seed, crc32.ChecksumIEEE([]byte(settings.Canonical()))))
		if _, ok := finishedPretraining(runDir); ok {
			c.logf("[retail] seed %d: reusing the finished pretraining in %s", seed, runDir)
		} else {
			c.logf("[retail] seed %d: pretraining byb", seed)
			child, err := tr.child("pretrain", "byb online-retail", runDir, map[string]string{
				"command": "pretrain", "method": "byb", "data": dataDir, "settings": settings.String(), "seed": fmt.Sprint(seed)})
			if err != nil {
				return nil, tr.fail(err)
			}
			_, err = pipeline.Pretrain(pipeline.PretrainOptions{Data: dataDir, Method: "byb", Settings: settings, Out: runDir,
				Backend: c.Backend, Engine: c.Engine, Run: child.run, Progress: c.progress()})
			if err := child.finish(err); err != nil {
				return nil, tr.fail(fmt.Errorf("pretraining on Online Retail: %w", err))
			}
		}
		for _, row := range retailRows {
			m, err := retailCellRun(c, tr, budget, row, dataDir, runDir, seed)
			if err != nil {
				return nil, tr.fail(fmt.Errorf("%s: %w", row.label, err))
			}
			cells[row.key].auroc = append(cells[row.key].auroc, m[metrics.MetricAUROC])
			cells[row.key].ks = append(cells[row.key].ks, m[metrics.MetricKS])
			c.logf("[retail] seed %d: %s: test AUROC %.4f KS %.4f", seed, row.label, m[metrics.MetricAUROC], m[metrics.MetricKS])
		}
	}
	md := retailMarkdown(c, in, imp, budget, cells, time.Since(start))
	if err := os.MkdirAll(out, 0o755); err != nil {
		return nil, tr.fail(err)
	}
	mdPath := filepath.Join(out, "retail.md")
	if err := os.WriteFile(mdPath, []byte(md), 0o644); err != nil {
		return nil, tr.fail(err)
	}
	tr.artifact(mdPath, "table")
	rep := &Report{Markdown: md, Files: map[string]string{"table": mdPath}, RunID: tr.id(), Values: map[string][]float64{}}
	for k, cell := range cells {
		rep.Values[k] = cell.auroc
	}
	rep.Values["test_share"] = []float64{imp.testShare}
	return rep, tr.finish(nil)
}

// retailImport is what the report says about the import.
type retailImport struct {
	users, events   int
	testShare       float64 // the test split's share of the customers, asked 0.3
	finetune, test  int     // labelled customers
	positive        float64 // churn rate among the labelled
	windows, labels string
}

// importRetail imports the log once (the dataset is cached under --out/data) and summarises it.
func importRetail(c Config, in, dir string) (*retailImport, error) {
	if _, err := data.ReadMeta(dir); err != nil {
		c.logf("[data] importing %s into %s", in, dir)
		// Force: a dataset there that ReadMeta cannot read (an older format) is replaced.
		if _, err := ingest.Import(ingest.Options{Format: ingest.FormatOnlineRetail, In: in, Out: dir, Force: true}); err != nil {
			return nil, err
		}
	} else {
		c.logf("[data] reusing %s", dir)
	}
	d, err := data.Load(dir)
	if err != nil {
		return nil, err
	}
	defer d.Close()
	st, err := data.ComputeStats(d)
	if err != nil {
		return nil, err
	}
	imp := &retailImport{users: d.Meta.Users, events: int(d.Meta.Events)}
	if n := d.Meta.SplitUsers[data.Test] + d.Meta.SplitUsers[data.Finetune]; n > 0 {
		imp.testShare = float64(d.Meta.SplitUsers[data.Test]) / float64(n)
	}
	pos, labelled := 0, 0
	for _, s := range st.Splits {
		if len(s.Tasks) == 0 {
			continue
		}
		switch s.Name {
		case data.Finetune:
			imp.finetune = s.Tasks[0].Labeled
		case data.Test:
			imp.test = s.Tasks[0].Labeled
			imp.windows, imp.labels = s.Window, s.LabelWindow
		}
		pos += s.Tasks[0].Positives
		labelled += s.Tasks[0].Labeled
	}
	if labelled > 0 {
		imp.positive = float64(pos) / float64(labelled)
	}
	return imp, nil
}

// retailCellRun runs one row for one seed and returns its test metrics.
func retailCellRun(c Config, tr *tracker, budget scaleBudget, row retailRow, dataDir, runDir string, seed int) (metrics.Result, error) {
	c.logf("[retail] seed %d: %s", seed, row.label)
	upstream := "" // random init and bag-of-IDs only take the pretrained run's shape
	if row.init == "byb" {
		upstream = runDir
	}
	child, err := tr.childOf(pretrainedRunID(tr, runDir), upstream, "finetune", row.key+" "+retailTask, "", map[string]string{
		"command": "finetune", "method": row.key, "data": dataDir, "task": retailTask, "freeze": fmt.Sprint(row.freeze), "seed": fmt.Sprint(seed)})
	if err != nil {
		return nil, err
	}
	if row.init == "bag" {
		r, err := pipeline.Bag(pipeline.BagOptions{Data: dataDir, Task: retailTask, Like: runDir, Run: child.run, Progress: c.progress()})
		if err := child.finish(err); err != nil {
			return nil, err
		}
		return r.Metrics, nil
	}
	opts := pipeline.FinetuneOptions{Data: dataDir, Init: runDir, Task: retailTask, Freeze: row.freeze,
		Settings: budget.finetuneSettings(tableRow{Freeze: row.freeze}).With(train.ParamSeed, seed),
		Backend:  c.Backend, Run: child.run, Progress: c.progress()}
	if row.init == "none" {
		opts.Init, opts.Like = "none", runDir // a fresh encoder shaped like the pretrained one
	}
	r, err := pipeline.Finetune(opts)
	if err := child.finish(err); err != nil {
		return nil, err
	}
	return r.Metrics, nil
}

func retailMarkdown(c Config, in string, imp *retailImport, budget scaleBudget, cells map[string]*retailCell, took time.Duration) string {
	var b strings.Builder
	fmt.Fprintf(&b, "# Online Retail churn (scale %s, %d seed(s), engine %s, %s)\n\n", c.Scale, c.Seeds, c.Engine.Config, took.Round(time.Second))
	fmt.Fprintf(&b, "Data: `%s`, imported with `byb data import --format online-retail` (%d customers, %d behaviors). Task `%s`: no purchase in %s among the customers active in %s; %d finetune and %d test customers, %.1f%% churn. Finetune and test customers are disjoint: the test split holds %.1f%% of them (30%% asked).\n\n",
		filepath.Base(in), imp.users, imp.events, retailTask, imp.labels, imp.windows, imp.finetune, imp.test, 100*imp.positive, 100*imp.testShare)
	fmt.Fprintf(&b, "Training, the same for every row: pretraining %s; frozen rows %s; unfrozen rows and Supervised %s. Random init and Supervised use a fresh encoder of the pretrained run's shape (`--like`); bag-of-IDs (`byb baseline bag`) counts the same most recent max_len behaviors, and is deterministic (its spread over seeds is 0).\n\n",
		settingsText(budget.pretrain), settingsText(budget.probe), settingsText(budget.finetune))
	b.WriteString("| Row | test AUROC | test KS |\n|---|---|---|\n")
	for _, row := range retailRows {
		cell := cells[row.key]
		fmt.Fprintf(&b, "| %s | %s | %s |\n", row.label, meanStdText(cell.auroc), meanStdText(cell.ks))
	}
	b.WriteString("\n")
	best, bestV := "", -1.0
	for _, row := range retailRows {
		if m, _ := meanStd(cells[row.key].auroc); m > bestV {
			best, bestV = row.label, m
		}
	}
	fmt.Fprintf(&b, "Best AUROC: %s (%.4f).\n", best, bestV)
	return b.String()
}

// meanStdText is "mean ± std" over seeds, or the value alone for one.
func meanStdText(v []float64) string {
	m, s := meanStd(v)
	if len(v) < 2 {
		return fmt.Sprintf("%.4f", m)
	}
	return fmt.Sprintf("%.4f ± %.4f", m, s)
}
