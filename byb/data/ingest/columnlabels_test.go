package ingest

import (
	"fmt"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/byb-dev/byb/byb/data"
)

// Labels from a demographics table: a string column as classes, a numeric one binned by given
// edges and by quantiles; users without a value have no label.
func TestImportColumnTasks(t *testing.T) {
	dir := t.TempDir()
	in := writeFile(t, dir, "events.csv", eventsCSV(dateTime))
	users := writeFile(t, dir, "households.csv", "user,income,age\n"+
		"u1,high,23\n"+
		"u2,low,47\n"+
		"u3,low,\n"+ // no age: unlabelled for the age tasks
		"u4,mid,65\n")
	o := csvOpts(in, filepath.Join(dir, "ds"))
	o.Tasks = []string{"income=column:" + users + ":income", "age=column:" + users + ":age:bins=25|45", "age2=column:" + users + ":age:bins=q2"}
	res, d := mustImport(t, o)
	classes := map[string][]string{}
	for _, task := range d.Meta.Tasks {
		classes[task.Name] = task.Classes
	}
	want := map[string][]string{"income": {"high", "low", "mid"}, "age": {"<25", "[25,45)", ">=45"}, "age2": {"<47", ">=47"}}
	if !reflect.DeepEqual(classes, want) {
		t.Fatalf("classes %v, want %v", classes, want)
	}
	// Column labels have no time: finetune and test get disjoint users.
	if !strings.Contains(strings.Join(res.Notes, "\n"), "task income has labels from a file") {
		t.Errorf("notes %v", res.Notes)
	}
	got := map[string][]int32{}
	for _, split := range []string{data.Finetune, data.Test} {
		s, err := d.Samples(split)
		if err != nil {
			t.Fatal(err)
		}
		for i, u := range s.Users {
			got[d.Users[u]] = []int32{s.Labels[0][i], s.Labels[1][i], s.Labels[2][i]}
		}
	}
	wantLabels := map[string][]int32{"u1": {0, 0, 0}, "u2": {1, 2, 1}, "u3": {1, -1, -1}, "u4": {2, 2, 1}}
	for u, labels := range got {
		if !reflect.DeepEqual(labels, wantLabels[u]) {
			t.Errorf("user %s: labels %v, want %v", u, labels, wantLabels[u])
		}
	}
	if len(got) == 0 {
		t.Fatal("no finetune or test sample")
	}
}

func TestColumnTaskBadInput(t *testing.T) {
	dir := t.TempDir()
	in := writeFile(t, dir, "events.csv", eventsCSV(dateTime))
	for name, c := range map[string]struct{ table, task, want string }{
		"not a number":  {"user,age\nu1,23\nu2,old\n", "age:bins=30", `households.csv:3: age "old" is not a number`},
		"unknown user":  {"user,age\nu1,23\nu9,40\n", "age", `label for user "u9", who has no behavior`},
		"no user col":   {"id,age\nu1,23\n", "age", "has no user column (columns: id, age)"},
		"no such col":   {"user,age\nu1,23\n", "income", `no column "income"`},
		"one class":     {"user,age\nu1,23\nu2,23\n", "age", "needs at least 2 classes"},
		"conflict":      {"user,age\nu1,23\nu1,24\n", "age", `user "u1" has age "24" here and "23" before`},
		"all one value": {"user,age\nu1,23\nu2,23\n", "age:bins=q4", "nothing to bin"},
	} {
		t.Run(name, func(t *testing.T) {
			path := writeFile(t, t.TempDir(), "households.csv", c.table)
			o := csvOpts(in, filepath.Join(t.TempDir(), "ds"))
			o.Tasks = []string{"t=column:" + path + ":" + c.task}
			if _, err := Import(o); err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("err = %v, want one containing %q", err, c.want)
			}
		})
	}
	for _, spec := range []string{"t=column:users.csv", "t=column:users.csv:age:bins=30|20", "t=column:users.csv:age:bins=q1", "t=column:users.csv:age:bins=x"} {
		if _, err := data.ParseTask(spec); err == nil {
			t.Errorf("ParseTask(%q) accepted", spec)
		}
	}
}

// A continuous column read without bins gives a class per user: refused, saying how to bin.
// A quantile binning that ties merge into fewer bins than asked is kept with a warning.
func TestColumnTaskSingletonsAndShortBinnings(t *testing.T) {
	dir := t.TempDir()
	var events, table strings.Builder
	events.WriteString("user,ts,item,cat\n")
	table.WriteString("user,income,visits\n")
	for u := 0; u < 60; u++ {
		for d := 1; d <= 20; d += 1 + u%3 {
			fmt.Fprintf(&events, "u%d,%s,i%d,c%d\n", u, dateTime(d, 10), (u+d)%5, d%2)
		}
		fmt.Fprintf(&table, "u%d,%d.%02d,%d\n", u, 20000+997*u, u, u%3) // incomes all distinct; visits 0, 1 or 2
	}
	in := writeFile(t, dir, "events.csv", events.String())
	users := writeFile(t, dir, "users.csv", table.String())

	o := csvOpts(in, filepath.Join(dir, "ds"))
	o.Tasks = []string{"income=column:" + users + ":income"}
	_, err := Import(o)
	if err == nil || !strings.Contains(err.Error(), "60 classes among 60 labelled users") || !strings.Contains(err.Error(), ":income:bins=q4") {
		t.Fatalf("a continuous column without bins: %v", err)
	}

	o = csvOpts(in, filepath.Join(dir, "ds2"))
	o.Tasks = []string{"visits=column:" + users + ":visits:bins=q10"}
	_, d, warnings := importWarnings(t, o)
	wantWarning(t, warnings, "task visits: bins=q10 gave 3 bins, not 10", "3 distinct values")
	if got := d.Meta.Tasks[0].Classes; len(got) != 3 {
		t.Errorf("classes %v, want 3 bins", got)
	}
}

// A quantile binning finer than the users (bins=q1000 on 60 distinct values) leaves a class
// per user: refused like a column without bins.
func TestColumnTaskBinsFinerThanTheUsers(t *testing.T) {
	dir := t.TempDir()
	var table strings.Builder
	table.WriteString("user,income\n")
	for u := 1; u <= 4; u++ {
		fmt.Fprintf(&table, "u%d,%d\n", u, 1000*u)
	}
	users := writeFile(t, dir, "users.csv", table.String())
	o := csvOpts(writeFile(t, dir, "events.csv", eventsCSV(dateTime)), filepath.Join(dir, "ds"))
	o.Tasks = []string{"income=column:" + users + ":income:bins=q1000"}
	if _, err := Import(o); err == nil || !strings.Contains(err.Error(), "4 classes among 4 labelled users") || !strings.Contains(err.Error(), "fewer bins") {
		t.Fatalf("bins=q1000 on 4 users: %v", err)
	}
}
