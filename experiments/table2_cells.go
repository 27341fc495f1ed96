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
// each finetuning row's on each task, and each pretraining's probes on each task).
func countCells(spec *tableSpec, c Config, sets []tableData) int {
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
		pretrainings := map[string]bool{}
		for _, row := range spec.rows {
			if !c.runsRow(row.Key, row.Freeze) || (row.Method != "" && !c.runs(row.Method)) || (row.WithE != "" && !c.runs("byb")) {
				continue
			}
			n += tasks * c.Seeds
			if !row.Bag {
				n += tasks * candidates
			}
			if key := row.pretrainKey(); key != "" && !pretrainings[key] {
				pretrainings[key] = true
				n += tasks * candidates
			}
		}
	}
	return n
}

// cellProgress prints "[NAME] cell k/N (ETA …): what" as cells finish. The ETA is the mean
// time of the cells computed so far (cached ones cost nothing) times the cells left; it
// counts a cell's share of its pretraining too, since that time passes between cells.
type cellProgress struct {
	c           Config
	name        string // the experiment, the lines' prefix
	start       time.Time
	total, seen int
	cached      int
}

func (p *cellProgress) done(what string) {
	p.seen++
	if strings.HasSuffix(what, "(cached)") {
		p.cached++
	}
	eta := ""
	if computed := p.seen - p.cached; computed > 0 && p.seen < p.total {
		per := time.Since(p.start) / time.Duration(computed)
		eta = fmt.Sprintf(", ETA %s", (per * time.Duration(p.total-p.seen)).Round(time.Second))
	}
	p.c.logf("[%s] cell %d/%d%s: %s", p.name, p.seen, p.total, eta, what)
}
