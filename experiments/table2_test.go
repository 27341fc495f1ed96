package experiments

import (
	"strings"
	"testing"

	"github.com/byb-dev/byb/byb/data/synth"
)

// The table's verdicts are computed from the numbers, never written by hand: check them on
// made-up results.
func TestTable2ClaimsAndMarkdown(t *testing.T) {
	tasks := table2Tasks[synth.MobileLike]
	res := map[string]map[string]*table2Result{}
	set := func(key string, v ...float64) {
		res[key] = map[string]*table2Result{}
		for i, task := range tasks {
			res[key][task] = &table2Result{values: []float64{v[i], v[i] + 0.02}}
		}
	}
	set("supervised", 0.80, 0.80, 0.80, 0.80)
	set("byb-freeze", 0.70, 0.70, 0.90, 0.70)
	set("byb-unfreeze", 0.85, 0.85, 0.85, 0.79)
	set("random-freeze", 0.60, 0.75, 0.60, 0.60)
	res["nbp"] = map[string]*table2Result{}
	for _, task := range tasks {
		res["nbp"][task] = &table2Result{skipped: "not implemented"}
	}
	got := claims(synth.MobileLike, res, tasks)
	for _, want := range []string{
		"BYB(freeze) beats the random-initialised encoder (pretraining helps): does not hold on every task (3 of 4 tasks)",
		"BYB(unfreeze) beats Supervised (paper: on every task): does not hold on every task (3 of 4 tasks)",
		"BYB(unfreeze) beats BYB(freeze) (paper: on every task): does not hold on every task (3 of 4 tasks)",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("claims lack %q:\n%s", want, got)
		}
	}
	if strings.Contains(got, "beats nbp") {
		t.Errorf("a method without results must not be judged:\n%s", got)
	}
	best := bestFrozen(res, tasks)
	if best["Active-30d"] != "byb-freeze" {
		t.Errorf("best frozen %v", best)
	}
	row := table2Rows[len(table2Rows)-2] // BYB(unfreeze)
	if cell := formatCell(res["byb-unfreeze"]["Active-30d"], row, "Active-30d", ""); cell != "0.8600 ± 0.0141 [0.9238]" {
		t.Errorf("cell %q", cell)
	}
	one := &table2Result{values: []float64{0.5}}
	if cell := formatCell(one, row, "Active-30d", row.Key); cell != "**0.5000** [0.9238]" {
		t.Errorf("one seed, best: %q", cell)
	}
	if cell := formatCell(res["nbp"]["Active-30d"], table2Rows[3], "Active-30d", ""); cell != "not implemented [0.8447]" {
		t.Errorf("skipped cell %q", cell)
	}
}

// --rows and --tasks select cells; a name no row or task has is an error naming the known.
func TestTable2Filters(t *testing.T) {
	c := Config{Rows: []string{"frozen"}, Tasks: []string{"5-day", "Active-30d"}}
	for key, want := range map[string]bool{"byb-freeze": true, "random-freeze": true, "nbp": true, "byb-unfreeze": false, "supervised": false} {
		frozen := key != "byb-unfreeze" && key != "supervised"
		if got := c.runsRow(key, frozen); got != want {
			t.Errorf("rows=frozen: runsRow(%s) = %v, want %v", key, got, want)
		}
	}
	if !c.runsTask("5-day") || c.runsTask("10-day") {
		t.Errorf("tasks=5-day,Active-30d: runsTask(5-day)=%v runsTask(10-day)=%v", c.runsTask("5-day"), c.runsTask("10-day"))
	}
	if all := (Config{}); !all.runsRow("supervised", false) || !all.runsTask("Unbind-90d") {
		t.Error("no filter must run every row and task")
	}
	presets := []string{synth.TmallLike, synth.MobileLike}
	if err := checkTable2Filters(c, presets); err != nil {
		t.Errorf("valid filters rejected: %v", err)
	}
	if err := checkTable2Filters(Config{Tasks: []string{"7-day"}}, presets); err == nil || !strings.Contains(err.Error(), "5-day") {
		t.Errorf("unknown task: err = %v, want one listing the known tasks", err)
	}
	if err := checkTable2Filters(Config{Rows: []string{"bybfreeze"}}, presets); err == nil || !strings.Contains(err.Error(), "byb-freeze") {
		t.Errorf("unknown row: err = %v, want one listing the known rows", err)
	}
}
