package experiments

import (
	"fmt"

	"github.com/byb-dev/byb/byb/params"
	"github.com/byb-dev/byb/byb/pipeline"
	"github.com/byb-dev/byb/byb/record"
	"github.com/byb-dev/byb/byb/train"
)

// A cell (one row's score on one task with one seed) is computed in two parts: its kind
// plans it, resolving everything the cell depends on into a cellPlan with a canonical cache
// key, and seedRun.execute reads the cell back from its cache or runs the plan's kind,
// recording it in the tracker. A new kind of row is one type here and one entry in
// cellKinds; the table runner does not branch on it.

// cellPlan is one cell, resolved.
type cellPlan struct {
	row      tableRow
	task     string
	init     string // the pretrained run the encoder starts from, or "none"
	like     string // the run whose shape a fresh encoder (or the bag's sequences) takes
	withE    string // the encoder whose E a bag appends: a run directory, "none" (random), "" (no E)
	settings params.Set
	seed     int    // the seed it is cached under
	key      string // everything the cell depends on, canonically encoded
	parent   string // the run directory whose tracker run it is recorded under
}

// cellKind is how the cells of one kind of row are planned and computed.
type cellKind interface {
	// plan resolves row's cell on task: it starts from the encoder of initDir ("none": a
	// fresh one shaped like like) with settings.
	plan(s *seedRun, row tableRow, task, initDir, like string, settings params.Set) (cellPlan, error)
	// command is the byb command the cell's run stands for, as the tracker records it.
	command() string
	// run computes the planned cell, recording into rec.
	run(s *seedRun, p cellPlan, rec record.Recorder) (cellFile, error)
}

// The kinds of row.
const (
	kindFinetune = "finetune" // a head on an encoder: pretrained or fresh, frozen or not
	kindBag      = "bag"      // the bag-of-IDs regression
	kindBagE     = "bag+e"    // the bag-of-IDs regression with an encoder's E appended
)

var cellKinds = map[string]cellKind{
	kindFinetune: finetuneCell{},
	kindBag:      bagCell{},
	kindBagE:     bagECell{},
}

// kind is the kind of row r is.
func (r tableRow) kind() cellKind {
	switch {
	case r.Bag && r.WithE != "":
		return cellKinds[kindBagE]
	case r.Bag:
		return cellKinds[kindBag]
	}
	return cellKinds[kindFinetune]
}

// finetuneCell trains a head on an encoder (pipeline.Finetune): the frozen probe, unfrozen
// finetuning, Supervised and the random-init reference.
type finetuneCell struct{}

func (finetuneCell) plan(s *seedRun, row tableRow, task, initDir, like string, settings params.Set) (cellPlan, error) {
	// The empty field is bagECell's encoder: the keys of both kinds keep one layout, the one the
	// cells already kept on disk were written under.
	return cellPlan{row: row, task: task, init: initDir, like: like, settings: settings, seed: s.seed, parent: initDir,
		key: initDir + "|" + like + "||" + settings.Canonical() + "|" + s.d.dir}, nil
}

func (finetuneCell) command() string { return "finetune" }

func (finetuneCell) run(s *seedRun, p cellPlan, rec record.Recorder) (cellFile, error) {
	r, err := pipeline.Finetune(pipeline.FinetuneOptions{Data: s.d.dir, Init: p.init, Like: p.like, Task: p.task, Freeze: p.row.Freeze,
		Settings: p.settings, Backend: s.c.Backend, Run: rec, Progress: s.c.progress(), ECache: s.probeE})
	if err != nil {
		return cellFile{}, err
	}
	return cellFile{AUROC: headline(r.Metrics), finetuneInfo: finetuneInfoOf(r.Result)}, nil
}

// bagCell is the bag-of-IDs regression on the sequences the encoders see (the BYB run's
// max_len and dt1). It has no seed (a fixed validation split, a deterministic L-BFGS): it is
// computed for the first seed and read back for the others, so its spread is 0 by design.
type bagCell struct{}

func (bagCell) plan(s *seedRun, row tableRow, task, initDir, like string, settings params.Set) (cellPlan, error) {
	// Keyed by what it takes from the BYB run (its sequence settings), not by that run's
	// directory, which differs per seed.
	var likeSettings params.Set
	if like != "" {
		var err error
		if likeSettings, err = pipeline.LikeSettings(like); err != nil {
			return cellPlan{}, err
		}
	}
	seedless := settings.With(train.ParamSeed, 0).Canonical()
	return cellPlan{row: row, task: task, init: initDir, like: like, settings: settings, seed: 0, parent: initDir,
		key: likeSettings.Canonical() + "|" + seedless + "|" + s.d.dir}, nil
}

func (bagCell) command() string { return "baseline bag" }

func (bagCell) run(s *seedRun, p cellPlan, rec record.Recorder) (cellFile, error) {
	return runBag(s, p, rec)
}

// bagECell is the bag-of-IDs regression with a frozen encoder's E appended: the table's BYB
// pretraining of the seed (withEBYB, on its own sequence settings) or the random encoder of
// its shape (withERandom). Its counts take the plain bag's L2 strength on the task, already
// chosen on validation; only E's is chosen again.
type bagECell struct{}

func (bagECell) plan(s *seedRun, row tableRow, task, initDir, like string, settings params.Set) (cellPlan, error) {
	var withE string
	switch row.WithE {
	case withEBYB:
		withE, like = s.pretrained[baseBYB], "" // the run fixes its own sequence settings
	case withERandom:
		withE = "none"
	default:
		return cellPlan{}, fmt.Errorf("row %s: unknown encoder %q for its E", row.Key, row.WithE)
	}
	if l2 := s.bagL2[task]; l2 > 0 {
		settings = settings.With(pipeline.ParamBagL2, l2)
	}
	parent := initDir
	if withE != "none" {
		parent = withE
	}
	return cellPlan{row: row, task: task, init: initDir, like: like, withE: withE, settings: settings, seed: s.seed, parent: parent,
		key: initDir + "|" + like + "|" + withE + "|" + settings.Canonical() + "|" + s.d.dir}, nil
}

func (bagECell) command() string { return "baseline bag" }

func (bagECell) run(s *seedRun, p cellPlan, rec record.Recorder) (cellFile, error) {
	return runBag(s, p, rec)
}

// runBag fits the bag-of-IDs regression of a planned cell (pipeline.Bag).
func runBag(s *seedRun, p cellPlan, rec record.Recorder) (cellFile, error) {
	r, err := pipeline.Bag(pipeline.BagOptions{Data: s.d.dir, Task: p.task, Settings: p.settings, Like: p.like, WithE: p.withE,
		Backend: s.c.Backend, ECache: s.bagE, Run: rec, Progress: s.c.progress()})
	if err != nil {
		return cellFile{}, err
	}
	return cellFile{AUROC: headline(r.Metrics), L2: r.L2}, nil
}
