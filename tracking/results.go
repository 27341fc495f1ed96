package tracking

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
)

// ArtifactResults is the kind of the artifact holding a run's ResultTable as JSON: the table a
// reproduction measured, which `byb tui` shows in the run's detail. The Markdown beside it is
// for people; this file is for programs, so that no reader parses Markdown.
const ArtifactResults = "results"

// ResultTable is an experiment's table of results: for each data set, rows × tasks of a
// metric over seeds, the best cell per task, the cells left empty and why, and the claims
// judged on them.
type ResultTable struct {
	Experiment string          `json:"experiment"`
	Title      string          `json:"title"`
	Scale      string          `json:"scale,omitempty"`
	Metric     string          `json:"metric"` // what the values are, e.g. "test AUROC"
	Seeds      int             `json:"seeds"`
	Datasets   []ResultDataset `json:"datasets"`
	// Legend explains the marks and the best cell, as the Markdown's legend does.
	Legend string `json:"legend,omitempty"`
}

// ResultDataset is the table of one data set.
type ResultDataset struct {
	Name string `json:"name"`
	// DataDirs is, per seed, the data set directory that the runs behind the cells record as
	// their "data" param (a synthetic data set may be generated anew for each seed).
	DataDirs []string    `json:"data_dirs,omitempty"`
	Tasks    []string    `json:"tasks"`
	Rows     []ResultRow `json:"rows"`
	// Claims are the claims judged on this data set's cells, one Markdown line each.
	Claims []string `json:"claims,omitempty"`
}

// ResultRow is one row of a data set's table.
type ResultRow struct {
	// Key names the row; the runs behind its cells record it as their "method" param.
	Key   string `json:"key"`
	Label string `json:"label"`
	// Reference marks a row of byb's own, not in the paper (shown with †).
	Reference bool `json:"reference,omitempty"`
	// Cells has one cell per task, in the data set's Tasks order.
	Cells []ResultCell `json:"cells"`
}

// ResultCell is one row's result on one task.
type ResultCell struct {
	Values []float64 `json:"values,omitempty"` // one per seed, in seed order
	// Best marks the best cell of its task (bold in the Markdown).
	Best bool `json:"best,omitempty"`
	// Marks are the cell's warnings, as the legend explains them (a model still learning).
	Marks string `json:"marks,omitempty"`
	// Paper is the paper's value for this cell, when it has one.
	Paper *float64 `json:"paper,omitempty"`
	// Skipped says why the cell has no value ("not run", "not implemented").
	Skipped string `json:"skipped,omitempty"`
}

// MeanStd is the mean of the cell's values and their sample standard deviation (0 for one
// value, NaN for none).
func (c ResultCell) MeanStd() (mean, std float64) {
	if len(c.Values) == 0 {
		return math.NaN(), math.NaN()
	}
	for _, v := range c.Values {
		mean += v
	}
	mean /= float64(len(c.Values))
	if len(c.Values) < 2 {
		return mean, 0
	}
	for _, v := range c.Values {
		std += (v - mean) * (v - mean)
	}
	return mean, math.Sqrt(std / float64(len(c.Values)-1))
}

// WriteResultTable writes t to path as indented JSON.
func WriteResultTable(path string, t *ResultTable) error {
	b, err := json.MarshalIndent(t, "", "  ")
	if err != nil {
		return fmt.Errorf("results %s: %w", path, err)
	}
	return os.WriteFile(path, append(b, '\n'), 0o644)
}

// ReadResultTable reads a ResultTable written by WriteResultTable.
func ReadResultTable(path string) (*ResultTable, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("results: %w", err)
	}
	var t ResultTable
	if err := json.Unmarshal(b, &t); err != nil {
		return nil, fmt.Errorf("results %s is not a byb results file: %w", path, err)
	}
	for _, d := range t.Datasets {
		for _, r := range d.Rows {
			if len(r.Cells) != len(d.Tasks) {
				return nil, fmt.Errorf("results %s: row %q of %s has %d cells for %d tasks", path, r.Key, d.Name, len(r.Cells), len(d.Tasks))
			}
		}
	}
	return &t, nil
}
