package experiments

import (
	"encoding/json"
	"fmt"
	"hash/crc32"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// A table's run (Table 2, the ablations, ...) is hours of cells. Each finished cell is kept in out/cells/, so that a run
// interrupted (or extended by a seed, a row, a task) computes only what it lacks, and one
// progress line counts the cells of the whole table with an ETA.

// cellPath is where one cell's value is kept; key holds everything else that makes the cell
// (its init and settings), so that a changed budget computes it anew.
func cellPath(out, dataset, row, task string, seed int, key string) string {
	name := fmt.Sprintf("%s-%s-seed%d-%08x.json", row, strings.ReplaceAll(task, string(filepath.Separator), "_"), seed, crc32.ChecksumIEEE([]byte(key)))
	return filepath.Join(out, "cells", dataset, name)
}

// cellFile is one finished cell: its test AUROC and how its finetuning was trained (none for
// the bag-of-IDs, and in cells kept by a byb that did not record it).
type cellFile struct {
	AUROC float64 `json:"auroc"`
	finetuneInfo
	L2 float64 `json:"l2,omitempty"` // the bag-of-IDs' L2 strength of the counts, chosen on validation
}

func readCell(path string) (cellFile, bool) {
	var c cellFile
	b, err := os.ReadFile(path)
	if err != nil {
		return c, false
	}
	if json.Unmarshal(b, &c) != nil {
		return c, false
	}
	return c, true
}

// writeCell keeps a cell, atomically: a half-written file must not pass for a cell.
func writeCell(path string, c cellFile) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	b, _ := json.Marshal(c)
	return writeAtomic(path, b)
}

// writeAtomic writes b to path through a temporary file and a rename.
func writeAtomic(path string, b []byte) error {
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, b, 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

// countCells is the number of cells the run computes or reads: every seed, row and task
// that runs on every data set, and with --tune the candidates of the search (with seed 0:
// each finetuning row's on each task, and each pretraining's probes on each task); and the
// number of pretrainings it runs or reuses (with --tune, seed 0's one per candidate).
func countCells(spec *tableSpec, c Config, sets []tableData) (cells, pretrainings int) {
	n, candidates := 0, 0
	if c.Tune {
		if points, err := tunePoints(); err == nil {
			candidates = len(points)
		}
	}
	for _, d := range sets {
		tasks := 0
		for _, t := range d.tasks {
			if c.runsTask(t) {
				tasks++
			}
		}
		keys := map[string]bool{}
		for _, row := range spec.rows {
			if !c.runsRow(row.Key, row.Freeze) || (row.Method != "" && !c.runs(row.Method)) || (row.WithE != "" && !c.runs("byb")) {
				continue
			}
			n += tasks * c.Seeds
			if !row.Bag {
				n += tasks * candidates
			}
			if key := row.pretrainKey(); key != "" && !keys[key] {
				keys[key] = true
				n += tasks * candidates
			}
		}
		runs := c.Seeds
		if candidates > 0 {
			runs += candidates - 1 // seed 0's run at each candidate replaces its plain one
		}
		pretrainings += len(keys) * runs
	}
	return n, pretrainings
}

// cellProgress prints "[NAME] cell k/N (ETA …): what" as cells finish. Pretrainings and
// cells are timed apart, since a seed's pretrainings all come before its first cell: the ETA
// is the mean time of the cells computed so far (cached ones cost nothing) times the cells
// left, plus the mean time of the pretrainings run so far times the pretrainings left.
type cellProgress struct {
	c           Config
	name        string // the experiment, the lines' prefix
	start       time.Time
	total, seen int
	cached      int

	pretrainings     int           // pretrainings the run asks for (reused ones included)
	pretrained       int           // of them, done or reused so far
	trained          int           // of them, trained here (not reused)
	pretrainDuration time.Duration // the time the trained ones took
}

// pretrainDone records a pretraining that took d; reused says it was read, not trained.
func (p *cellProgress) pretrainDone(d time.Duration, reused bool) {
	p.pretrained++
	if !reused {
		p.trained++
		p.pretrainDuration += d
	}
}

func (p *cellProgress) done(what string) {
	p.seen++
	if strings.HasSuffix(what, "(cached)") {
		p.cached++
	}
	eta := ""
	if computed := p.seen - p.cached; computed > 0 && p.seen < p.total {
		perCell := (time.Since(p.start) - p.pretrainDuration) / time.Duration(computed)
		left := perCell * time.Duration(p.total-p.seen)
		if p.trained > 0 && p.pretrainings > p.pretrained {
			left += p.pretrainDuration / time.Duration(p.trained) * time.Duration(p.pretrainings-p.pretrained)
		}
		eta = fmt.Sprintf(", ETA %s", left.Round(time.Second))
	}
	p.c.logf("[%s] cell %d/%d%s: %s", p.name, p.seen, p.total, eta, what)
}
