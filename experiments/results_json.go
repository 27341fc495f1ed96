package experiments

import (
	"strings"

	"github.com/byb-dev/byb/tracking"
)

// A table's Markdown is for people. Beside it, runTable writes the same table typed, as JSON
// (tracking.ResultTable), and records it as the reproduction's results artifact: what `byb
// tui` shows in the reproduction's detail, cell by cell, with the run behind each cell.

// resultsPath is the JSON file beside a table's Markdown file (NAME.md → NAME.results.json,
// NAME.partial.md → NAME.partial.results.json).
func resultsPath(mdPath string) string {
	return strings.TrimSuffix(mdPath, ".md") + ".results.json"
}

// writeResults writes the table's results beside mdPath, records the file as the run's
// results artifact and adds it to the report's files. dataDirs is each data set's directory
// per seed: what the runs behind its cells record as their "data" param.
func writeResults(tr *tracker, rep *Report, mdPath string, spec *tableSpec, c Config, sets []tableData,
	dataDirs map[string][]string, res map[string]map[string]map[string]*cellResult) error {
	path := resultsPath(mdPath)
	if err := tracking.WriteResultTable(path, resultTable(spec, c, sets, dataDirs, res)); err != nil {
		return err
	}
	rep.Files["results"] = path
	tr.artifact(path, tracking.ArtifactResults)
	return nil
}

// resultTable is the typed table that tableMarkdown prints: per data set, every row's cell on
// every task (its values over seeds, or why it has none), the best frozen pretrained row per
// task, and the claims.
func resultTable(spec *tableSpec, c Config, sets []tableData, dataDirs map[string][]string, res map[string]map[string]map[string]*cellResult) *tracking.ResultTable {
	t := &tracking.ResultTable{Experiment: spec.name, Title: spec.title, Scale: c.Scale, Metric: tracking.HeadlineMetric, Seeds: c.Seeds,
		Legend: "bold: the best frozen pretrained model per task; " + markUndertrained + ": its pretraining was still learning fast when its budget ended; " +
			markStillImproving + ": its finetuning was still improving on validation when it ended; †: a reference row of byb's own, not in the paper."}
	for _, d := range sets {
		cells := res[d.name]
		best := bestFrozen(spec.rows, cells, d.tasks)
		ds := tracking.ResultDataset{Name: d.name, DataDirs: dataDirs[d.name], Tasks: d.tasks}
		for _, row := range spec.rows {
			r := tracking.ResultRow{Key: row.Key, Label: row.Label, Reference: row.OursRef}
			for _, task := range d.tasks {
				var cell tracking.ResultCell
				if cr := cells[row.Key][task]; cr != nil {
					cell = tracking.ResultCell{Values: cr.values, Skipped: cr.skipped, Marks: cr.marks(), Best: len(cr.values) > 0 && best[task] == row.Key}
				}
				if v, ok := row.Paper[task]; ok && d.preset {
					cell.Paper = &v
				}
				r.Cells = append(r.Cells, cell)
			}
			ds.Rows = append(ds.Rows, r)
		}
		for _, line := range strings.Split(spec.claims(d.name, cells, d.tasks), "\n") {
			if line = strings.TrimSpace(line); line != "" {
				ds.Claims = append(ds.Claims, line)
			}
		}
		t.Datasets = append(t.Datasets, ds)
	}
	return t
}
