package experiments

import (
	"encoding/json"
	"fmt"
	"hash/crc32"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"

	"github.com/byb-dev/byb/byb/params"
	"github.com/byb-dev/byb/byb/sweep"
	"github.com/byb-dev/byb/byb/train"
)

// With --tune every method gets the same small search for its learning rate, chosen on
// validation, never on test: each pretraining (its frozen probe's validation score, averaged
// over the data set's tasks) and each finetuning row on each task (its validation score, the
// one the epoch was chosen on). The search runs with seed 0; its choice is kept under
// out/tune/ and used for every seed, so that the seeds' spread measures the model, not the
// search.
const tuneGrid = "learning_rate=3e-4,1e-3,3e-3"

// tuneChoice is one search's outcome.
type tuneChoice struct {
	What       string   `json:"what"`
	Candidates []string `json:"candidates"` // each candidate's settings, as added to the base ones
	Scores     []string `json:"scores"`     // their validation scores (NaN: failed or no validation part)
	Chosen     string   `json:"chosen"`
}

// tuneLog collects a table's choices for its Markdown: data set → what was tuned → chosen.
type tuneLog struct {
	mu     sync.Mutex
	chosen map[string]map[string]string
}

func (l *tuneLog) add(dataset, what, chosen string) {
	if l == nil {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.chosen == nil {
		l.chosen = map[string]map[string]string{}
	}
	if l.chosen[dataset] == nil {
		l.chosen[dataset] = map[string]string{}
	}
	l.chosen[dataset][what] = chosen
}

// section is the Markdown list of one data set's choices.
func (l *tuneLog) section(dataset string) string {
	if l == nil || len(l.chosen[dataset]) == 0 {
		return ""
	}
	var lines []string
	for what, chosen := range l.chosen[dataset] {
		lines = append(lines, fmt.Sprintf("%s: %s", what, chosen))
	}
	sort.Strings(lines)
	return "Tuned (--tune), chosen on the validation part with seed 0 from `" + tuneGrid + "`: " + strings.Join(lines, "; ") + ".\n"
}

// tunePoints are the candidates of the search.
func tunePoints() ([]params.Set, error) {
	spec, err := sweep.Parse(tuneGrid)
	if err != nil {
		return nil, err
	}
	grid, err := spec.Grid()
	if err != nil {
		return nil, err
	}
	points := make([]params.Set, len(grid))
	for i, p := range grid {
		if points[i], err = params.Parse(p.String()); err != nil {
			return nil, fmt.Errorf("--tune's grid %q: %w", tuneGrid, err)
		}
	}
	return points, nil
}

// pretrainSettings are the settings of row's pretraining: the table's budget and the row's
// variant, with the learning rate --tune chose.
func (s *seedRun) pretrainSettings(row tableRow) (params.Set, error) {
	base := s.budget.pretrain.Then(s.d.pretrain).Then(row.Pretrain)
	if !s.c.Tune {
		return base, nil
	}
	what := "pretraining " + row.what()
	chosen, err := s.tuned(what, "pretrain-"+row.pretrainKey(), base, func(candidate params.Set) (float64, error) {
		dir, _, err := s.pretrain(row, base.Then(candidate), 0)
		if err != nil {
			return math.NaN(), err
		}
		// The frozen probe of every task that runs, on its validation part.
		probe := tableRow{Key: "tune-" + row.Key, Label: row.Label + " (tuning its pretraining)", Method: row.Method, Freeze: true}
		var scores []float64
		for _, task := range s.d.tasks {
			if !s.c.runsTask(task) {
				continue
			}
			f, err := s.cell(probe, task, dir, "", s.budget.probe.With(train.ParamSeed, 0))
			if err != nil {
				return math.NaN(), err
			}
			scores = append(scores, f.validationScore())
		}
		m, _ := meanStd(scores)
		return m, nil
	})
	return base.Then(chosen), err
}

// finetuneSettings are the settings of row's cell on task: base with the learning rate --tune
// chose for that row and task (the bag-of-IDs chooses its own L2 on validation).
func (s *seedRun) finetuneSettings(row tableRow, task, initDir, like string, base params.Set) (params.Set, error) {
	if !s.c.Tune || row.Bag {
		return base, nil
	}
	// The choice is keyed by the settings without the seed: every seed uses seed 0's.
	seedless := base.Without(train.ParamSeed)
	chosen, err := s.tuned(fmt.Sprintf("%s on %s", row.Label, task), "finetune-"+row.Key+"-"+task, seedless, func(candidate params.Set) (float64, error) {
		f, err := s.cell(row, task, initDir, like, base.Then(candidate))
		return f.validationScore(), err
	})
	return base.Then(chosen), err
}

// tuned returns the candidate that scores best on validation, searching with seed 0 (score runs
// base with a candidate) or reading back the choice an earlier seed or run made for base.
func (s *seedRun) tuned(what, name string, base params.Set, score func(candidate params.Set) (float64, error)) (params.Set, error) {
	path := filepath.Join(s.out, "tune", s.d.name, fmt.Sprintf("%s-%08x.json", strings.NewReplacer("|", "_", "/", "_", " ", "_").Replace(name), crc32.ChecksumIEEE([]byte(base.Canonical()))))
	var choice tuneChoice
	if b, err := os.ReadFile(path); err == nil && json.Unmarshal(b, &choice) == nil && choice.Chosen != "" {
		chosen, err := params.Parse(choice.Chosen)
		if err != nil {
			return params.Set{}, fmt.Errorf("--tune: the choice for %s in %s: %w", what, path, err)
		}
		s.tunes.add(s.d.name, what, choice.Chosen)
		return chosen, nil
	}
	if s.seed != 0 {
		return params.Set{}, fmt.Errorf("--tune: no choice for %s in %s: the search runs with seed 0, which must run first", what, path)
	}
	points, err := tunePoints()
	if err != nil {
		return params.Set{}, err
	}
	choice = tuneChoice{What: what}
	var scores []float64
	for _, p := range points {
		s.c.logf("[%s] %s: tuning %s, candidate %s", s.spec.name, s.d.name, what, p)
		v, err := score(p)
		if err != nil {
			return params.Set{}, err
		}
		choice.Candidates = append(choice.Candidates, p.String())
		scores = append(scores, v)
	}
	choice.Scores = formatScores(scores)
	best := sweep.Best(scores, sweep.Max)
	if best < 0 {
		return params.Set{}, fmt.Errorf("--tune: no candidate of %s has a validation score (%v): no validation part?", what, choice.Scores)
	}
	choice.Chosen = choice.Candidates[best]
	s.c.logf("[%s] %s: %s tuned: %s (validation scores of %v: %v)", s.spec.name, s.d.name, what, choice.Chosen, choice.Candidates, choice.Scores)
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return params.Set{}, err
	}
	b, _ := json.MarshalIndent(choice, "", "  ")
	if err := writeAtomic(path, b); err != nil {
		return params.Set{}, err
	}
	s.tunes.add(s.d.name, what, choice.Chosen)
	return points[best], nil
}

// formatScores renders scores for the choice's file (JSON has no NaN).
func formatScores(v []float64) []string {
	out := make([]string, len(v))
	for i, x := range v {
		out[i] = fmt.Sprintf("%.6f", x)
	}
	return out
}

// validationScore is the validation score a cell's epoch was chosen on; NaN without one.
func (f cellFile) validationScore() float64 {
	if !f.Validated {
		return math.NaN()
	}
	return f.ValBest
}
