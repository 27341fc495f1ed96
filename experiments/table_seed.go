package experiments

import (
	"fmt"
	"time"

	"github.com/byb-dev/byb/byb/finetune"
	"github.com/byb-dev/byb/byb/metrics"
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
		taskSettings := settings
		if l2 := s.bagL2[task]; row.WithE != "" && l2 > 0 {
			taskSettings = taskSettings.With(pipeline.ParamBagL2, l2)
		}
		tuned, err := s.finetuneSettings(row, task, initDir, like, taskSettings)
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

// cell computes one cell, or reads it back. A finished cell is kept on disk, keyed by
// everything that makes it, so that an interrupted table resumes cell by cell. The
// bag-of-IDs regression has no seed (a fixed validation split, a deterministic L-BFGS): its
// cell is computed for the first seed and read back for the others, and its spread is 0 by
// design.
func (s *seedRun) cell(row tableRow, task, initDir, like string, settings params.Set) (cellFile, error) {
	c, preset, dataDir, seed := s.c, s.d.name, s.d.dir, s.seed
	withE := ""
	switch row.WithE {
	case withEBYB:
		withE, like = s.pretrained[baseBYB], "" // the run fixes its own sequence settings
	case withERandom:
		withE = "none"
	}
	cellSeed, key := seed, initDir+"|"+like+"|"+withE+"|"+settings.Canonical()+"|"+dataDir
	if row.Bag && withE == "" {
		// Keyed by what it takes from the BYB run (its sequence settings), not by that run's
		// directory, which differs per seed.
		var likeSettings params.Set
		if like != "" {
			var err error
			if likeSettings, err = pipeline.LikeSettings(like); err != nil {
				return cellFile{}, err
			}
		}
		seedless := settings.With(train.ParamSeed, 0).Canonical()
		cellSeed, key = 0, likeSettings.Canonical()+"|"+seedless+"|"+dataDir
	}
	cached := cellPath(s.out, preset, row.Key, task, cellSeed, key)
	if f, ok := readCell(cached); ok {
		s.prog.done(fmt.Sprintf("%s seed %d: %s on %s: test AUROC %.4f (cached)", preset, seed, row.Label, task, f.AUROC))
		return f, nil
	}
	c.logf("[%s] %s seed %d: %s on %s", s.spec.name, preset, seed, row.Label, task)
	command := "finetune"
	if row.Bag {
		command = "baseline bag"
	}
	parent := initDir
	if withE != "" && withE != "none" {
		parent = withE
	}
	child, err := s.tr.childOf(pretrainedRunID(s.tr, parent), parent, "finetune", row.Key+" "+task, "", map[string]string{
		"command": command, "method": row.Key, "init": initDir, "like": like, "with_e": withE, "data": dataDir, "task": task,
		"freeze": fmt.Sprint(row.Freeze), "settings": settings.String(), "seed": fmt.Sprint(seed)})
	if err != nil {
		return cellFile{}, err
	}
	var m metrics.Result
	var info finetuneInfo
	var l2 float64
	if row.Bag {
		// The same sequences as the encoders see (max_len of the pretraining runs); the
		// regression itself has no seed, so its seeds repeat one number.
		var r *pipeline.BagResult
		if r, err = pipeline.Bag(pipeline.BagOptions{Data: dataDir, Task: task, Settings: settings, Like: like, WithE: withE,
			Backend: c.Backend, ECache: s.bagE, Run: child.run, Progress: c.progress()}); err == nil {
			m, l2 = r.Metrics, r.L2
		}
	} else {
		var r *pipeline.FinetuneResult
		if r, err = pipeline.Finetune(pipeline.FinetuneOptions{Data: dataDir, Init: initDir, Like: like, Task: task, Freeze: row.Freeze,
			Settings: settings, Backend: c.Backend, Run: child.run, Progress: c.progress(), ECache: s.probeE}); err == nil {
			m, info = r.Metrics, finetuneInfoOf(r.Result)
		}
	}
	if err := child.finish(err); err != nil {
		return cellFile{}, fmt.Errorf("%s on %s/%s: %w", row.Label, preset, task, err)
	}
	f := cellFile{AUROC: headline(m), finetuneInfo: info, L2: l2}
	if err := writeCell(cached, f); err != nil {
		return cellFile{}, err
	}
	s.prog.done(fmt.Sprintf("%s seed %d: %s on %s: test AUROC %.4f%s", preset, seed, row.Label, task, f.AUROC, trainedText(info)))
	return f, nil
}
