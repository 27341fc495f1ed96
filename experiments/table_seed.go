package experiments

import (
	"fmt"
	"time"

	"github.com/byb-dev/byb/byb/finetune"
	"github.com/byb-dev/byb/byb/params"
	"github.com/byb-dev/byb/byb/pipeline"
	"github.com/byb-dev/byb/byb/train"
	"github.com/byb-dev/byb/methods"
)

// seedRun is one seed of one data set of a table: it pretrains every method the rows need
// once, then fills every row's cell on every task.
type seedRun struct {
	spec   *tableSpec
	c      Config
	tr     *tracker
	budget scaleBudget
	d      tableData
	out    string
	seed   int
	res    map[string]map[string]*cellResult // row → task
	prog   *cellProgress

	pretrained map[string]string // pretrainKey → run dir
	preInfo    map[string]pretrainInfo
	maxLen     int // n of the pretraining runs (all see the same data)
	// probeE lets the frozen rows compute an encoder's E for its first task and reuse it for
	// the others (the tasks share their samples' behaviors, not their labels).
	probeE *finetune.ECache
	bagE   *pipeline.BagECache // the same for the Bag-of-IDs + E rows
	tunes  *tuneLog            // the choices --tune made, for the Markdown
	// bagL2 is the bag-of-IDs row's L2 strength per task, chosen on validation: Bag-of-IDs +
	// E takes it for its counts instead of choosing it again (the same choice on the same
	// features), and chooses only E's.
	bagL2 map[string]float64
}

func (s *seedRun) run() error {
	s.pretrained, s.preInfo, s.probeE, s.bagE = map[string]string{}, map[string]pretrainInfo{}, finetune.NewECache(), pipeline.NewBagECache()
	s.bagL2 = map[string]float64{}
	if err := s.pretrainAll(); err != nil {
		return err
	}
	for _, row := range s.spec.rows {
		if err := s.fillRow(row); err != nil {
			return err
		}
	}
	return nil
}

// pretrainAll pretrains every method (or variant of one) that a row asks for, once.
func (s *seedRun) pretrainAll() error {
	for _, row := range s.spec.rows {
		key := row.pretrainKey()
		if key == "" || s.pretrained[key] != "" {
			continue
		}
		if _, err := methods.Lookup(row.Method); err != nil || !s.c.runs(row.Method) || !s.c.runsRow(row.Key, row.Freeze) {
			continue // not implemented, or not asked for: the cells say so
		}
		settings, err := s.pretrainSettings(row)
		if err != nil {
			return err
		}
		dir, n, err := s.pretrain(row, settings, s.seed)
		if err != nil {
			return err
		}
		s.pretrained[key], s.maxLen = dir, n
		s.preInfo[key] = readPretrainInfo(dir)
		if cv := s.preInfo[key].Convergence; cv.Undertrained() {
			s.c.logf("[%s] %s seed %d: the %s pretraining is still learning: its loss fell by %.1f%% of its decrease in its last tenth of steps; its cells are marked %s (a larger budget: --budget)",
				s.spec.name, s.d.name, s.seed, row.what(), 100*cv.TailDrop, markUndertrained)
		}
	}
	return nil
}

// pretrain runs (or reuses) row's pretraining with settings and a seed.
func (s *seedRun) pretrain(row tableRow, settings params.Set, seed int) (dir string, maxLen int, err error) {
	settings = settings.With(train.ParamSeed, seed)
	_, reused := finishedPretraining(pretrainDir(sharedRunsDir(s.c), s.d.dir, row.Method, settings, seed))
	start := time.Now()
	dir, maxLen, err = pretrainOnce(s.c, s.tr, s.spec.name, s.d.name, s.d.dir, row.Method, row.what(), settings, sharedRunsDir(s.c), seed)
	s.prog.pretrainDone(time.Since(start), reused)
	return dir, maxLen, err
}

// what names a row's pretraining in progress lines: its method and variant.
func (r tableRow) what() string {
	if r.Pretrain.Empty() {
		return r.Method
	}
	return r.Method + " (" + r.Pretrain.String() + ")"
}

// fillRow computes (or reads) the row's cell of every task.
func (s *seedRun) fillRow(row tableRow) error {
	if s.res[row.Key] == nil {
		s.res[row.Key] = map[string]*cellResult{}
	}
	cells := s.res[row.Key]
	skip := func(why string) {
		for _, task := range s.d.tasks {
			cells[task] = &cellResult{skipped: why}
		}
	}
	if !s.c.runsRow(row.Key, row.Freeze) {
		skip("not run")
		return nil
	}
	initDir := "none"
	if row.WithE != "" && s.pretrained[baseBYB] == "" {
		skip("not run") // its E is the BYB pretraining's (or its shape's)
		return nil
	}
	if row.Method != "" {
		if initDir = s.pretrained[row.pretrainKey()]; initDir == "" {
			why := "not run"
			if _, err := methods.Lookup(row.Method); err != nil {
				why = "not implemented"
			}
			skip(why)
			return nil
		}
	}
	settings, like := s.cellSettings(row, initDir)
	for _, task := range s.d.tasks {
		if !s.c.runsTask(task) {
			cells[task] = &cellResult{skipped: "not run"}
			continue
		}
		cell := cells[task]
		if cell == nil {
			cell = &cellResult{}
			cells[task] = cell
		}
		tuned, err := s.finetuneSettings(row, task, initDir, like, settings)
		if err != nil {
			return err
		}
		f, err := s.cell(row, task, initDir, like, tuned)
		if err != nil {
			return err
		}
		if row.Key == "bag" {
			s.bagL2[task] = f.L2
		}
		cell.values = append(cell.values, f.AUROC)
		if !row.Bag {
			cell.train = append(cell.train, f.finetuneInfo)
		}
		if row.Method != "" {
			cell.pre = append(cell.pre, s.preInfo[row.pretrainKey()])
		}
	}
	return nil
}

// cellSettings are the settings of a row's cells (before any tuning) and the run directory
// whose shape a fresh encoder takes. Encoders trained from scratch (Random init, Supervised)
// and the bag-of-IDs reference see what BYB's encoder sees: its sequence length and pooling,
// and for the encoders its architecture too (--like). Without a BYB run, they take the other
// pretrainings' sequence length.
func (s *seedRun) cellSettings(row tableRow, initDir string) (settings params.Set, like string) {
	settings = s.budget.finetuneSettings(row).With(train.ParamSeed, s.seed)
	if initDir == "none" {
		like = s.pretrained[baseBYB]
		if like == "" && s.maxLen > 0 {
			settings = settings.With(pipeline.ParamMaxLen, s.maxLen)
		}
	}
	return settings, like
}

// cell computes row's cell on task, or reads it back: its kind plans it, and execute runs the
// plan.
func (s *seedRun) cell(row tableRow, task, initDir, like string, settings params.Set) (cellFile, error) {
	p, err := row.kind().plan(s, row, task, initDir, like, settings)
	if err != nil {
		return cellFile{}, err
	}
	return s.execute(p)
}

// execute computes a planned cell, or reads it back. A finished cell is kept on disk, keyed
// by everything that makes it (the plan's key), so that an interrupted table resumes cell by
// cell; one computed is recorded in the tracker under the run it starts from.
func (s *seedRun) execute(p cellPlan) (cellFile, error) {
	c, preset, seed, row, task := s.c, s.d.name, s.seed, p.row, p.task
	cached := cellPath(s.out, preset, row.Key, task, p.seed, p.key)
	if f, ok := readCell(cached); ok {
		s.prog.done(fmt.Sprintf("%s seed %d: %s on %s: test AUROC %.4f (cached)", preset, seed, row.Label, task, f.AUROC))
		return f, nil
	}
	c.logf("[%s] %s seed %d: %s on %s", s.spec.name, preset, seed, row.Label, task)
	kind := row.kind()
	child, err := s.tr.childOf(pretrainedRunID(s.tr, p.parent), p.parent, "finetune", row.Key+" "+task, "", map[string]string{
		"command": kind.command(), "method": row.Key, "init": p.init, "like": p.like, "with_e": p.withE, "data": s.d.dir, "task": task,
		"freeze": fmt.Sprint(row.Freeze), "settings": p.settings.String(), "seed": fmt.Sprint(seed)})
	if err != nil {
		return cellFile{}, err
	}
	f, err := kind.run(s, p, child.run)
	if err := child.finish(err); err != nil {
		return cellFile{}, fmt.Errorf("%s on %s/%s: %w", row.Label, preset, task, err)
	}
	if err := writeCell(cached, f); err != nil {
		return cellFile{}, err
	}
	s.prog.done(fmt.Sprintf("%s seed %d: %s on %s: test AUROC %.4f%s", preset, seed, row.Label, task, f.AUROC, trainedText(f.finetuneInfo)))
	return f, nil
}
