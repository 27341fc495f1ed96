package experiments

import (
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/byb-dev/byb/byb/data/synth"
	"github.com/byb-dev/byb/tracking"
)

// The results file holds the table the Markdown prints, typed: every row's cell on every task
// with its values per seed, the best frozen pretrained row marked, empty cells with their
// reason, the paper's numbers on a preset, and the claims; it reads back as it was written.
func TestResultsFileIsTheTableTyped(t *testing.T) {
	tasks := table2Tasks[synth.TmallLike]
	res := map[string]map[string]*cellResult{
		"byb-freeze":    {},
		"msdp":          {},
		"random-freeze": {},
		"nbp":           {},
	}
	for i, task := range tasks {
		res["byb-freeze"][task] = &cellResult{values: []float64{0.70 + 0.01*float64(i), 0.72 + 0.01*float64(i)}}
		res["msdp"][task] = &cellResult{values: []float64{0.69, 0.69}}
		res["random-freeze"][task] = &cellResult{values: []float64{0.60, 0.61}}
		res["nbp"][task] = &cellResult{skipped: "not run"}
	}
	res["msdp"]["30-day"] = &cellResult{values: []float64{0.90, 0.92}} // MSDP is best on one task
	sets := []tableData{{name: synth.TmallLike, tasks: tasks, preset: true}}
	dirs := map[string][]string{synth.TmallLike: {"out/data/tmall-like-ci-seed1", "out/data/tmall-like-ci-seed1"}}
	c := Config{Scale: "ci", Seeds: 2}
	all := map[string]map[string]map[string]*cellResult{synth.TmallLike: res}

	path := resultsPath(filepath.Join(t.TempDir(), "table2.md"))
	if !strings.HasSuffix(path, "table2.results.json") {
		t.Fatalf("results path %s", path)
	}
	if err := tracking.WriteResultTable(path, resultTable(table2Spec, c, sets, dirs, all)); err != nil {
		t.Fatal(err)
	}
	got, err := tracking.ReadResultTable(path)
	if err != nil {
		t.Fatal(err)
	}
	if got.Experiment != "table2" || got.Seeds != 2 || got.Metric != tracking.HeadlineMetric || len(got.Datasets) != 1 {
		t.Fatalf("header %+v", got)
	}
	d := got.Datasets[0]
	if !reflect.DeepEqual(d.Tasks, tasks) || !reflect.DeepEqual(d.DataDirs, dirs[synth.TmallLike]) || len(d.Rows) != len(table2Rows) {
		t.Fatalf("data set %s: tasks %v, dirs %v, %d rows", d.Name, d.Tasks, d.DataDirs, len(d.Rows))
	}
	rows := map[string]tracking.ResultRow{}
	for i, r := range d.Rows {
		if r.Key != table2Rows[i].Key || r.Label != table2Rows[i].Label {
			t.Errorf("row %d is %s %q, want the table's order (%s)", i, r.Key, r.Label, table2Rows[i].Key)
		}
		rows[r.Key] = r
	}
	byb := rows["byb-freeze"].Cells
	if !reflect.DeepEqual(byb[0].Values, []float64{0.70, 0.72}) || !byb[0].Best || byb[3].Best || byb[0].Paper == nil || *byb[0].Paper != 0.5779 {
		t.Errorf("BYB(freeze) cells %+v", byb)
	}
	if m, s := byb[0].MeanStd(); m < 0.70999 || m > 0.71001 || s < 0.01413 || s > 0.01415 {
		t.Errorf("mean ± std %v ± %v, want 0.71 ± 0.0141", m, s)
	}
	if !rows["msdp"].Cells[3].Best {
		t.Error("MSDP is the best frozen pretrained row on 30-day")
	}
	if c := rows["nbp"].Cells[0]; c.Skipped != "not run" || len(c.Values) != 0 || c.Best {
		t.Errorf("a row not run: %+v", c)
	}
	if c := rows["supervised"].Cells[0]; len(c.Values) != 0 || c.Skipped != "" || c.Paper == nil {
		t.Errorf("a row with no result: %+v (no value, no reason, the paper's number)", c)
	}
	if !rows["random-freeze"].Reference || rows["byb-freeze"].Reference {
		t.Error("the reference rows are marked, and only they")
	}
	if len(d.Claims) < 2 || !strings.HasPrefix(d.Claims[0], "Claims") || !strings.HasPrefix(d.Claims[1], "- 1. BYB(freeze) is the best frozen pretrained model") {
		t.Errorf("claims %q", d.Claims)
	}
}
