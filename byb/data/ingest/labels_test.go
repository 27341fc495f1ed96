package ingest

import (
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/byb-dev/byb/byb/data"
)

func known(users ...string) func(string) bool {
	set := map[string]bool{}
	for _, u := range users {
		set[u] = true
	}
	return func(u string) bool { return set[u] }
}

func TestReadLabels(t *testing.T) {
	dir := t.TempDir()
	path := writeFile(t, dir, "labels.csv", "user_id,label\nu1,10\nu2,2\nu3,2\nu1,10\n")
	l, err := ReadLabels(path, "", known("u1", "u2", "u3"), false)
	if err != nil {
		t.Fatal(err)
	}
	// Numeric classes sort as numbers: 2 before 10.
	if !reflect.DeepEqual(l.Classes, []string{"2", "10"}) || l.Kind() != data.Binary ||
		!reflect.DeepEqual(l.ByUser, map[string]int32{"u1": 1, "u2": 0, "u3": 0}) {
		t.Fatalf("labels %+v", l)
	}
	// Text classes sort as text; 3 classes make a multiclass task; no header.
	path = writeFile(t, dir, "text.csv", "u1,gold\nu2,bronze\nu3,silver\n")
	l, err = ReadLabels(path, "", nil, false)
	if err != nil || !reflect.DeepEqual(l.Classes, []string{"bronze", "gold", "silver"}) || l.Kind() != data.Multiclass {
		t.Fatalf("labels %+v %v", l, err)
	}

	bad := []struct{ content, want string }{
		{"user_id,label\nu1,1\nu9,0\n", `labels.csv:3: label for user "u9", who has no behavior in the data`},
		{"user_id,label\nu1,1\nu2\n", `labels.csv:3: row "u2" has 1 column(s), want user_id,label`},
		{"user_id,label\nu1,1\nu2,\n", `labels.csv:3: row "u2," has an empty user id or label`},
		{"user_id,label\nu1,1\nu1,0\n", `labels.csv:3: user "u1" labelled "0" here and "1" before`},
		{"user_id,label\n", "no labels"},
		{"", "no labels"},
		{"u1,1\nu2,1\n", `every label is "1"`},
		{"u1,\"1\nu2,0\n", `labels.csv:1: extraneous or missing " in quoted-field`},
		{"u1,1\nu\"2,0\n", `labels.csv:2: bare " in non-quoted-field`},
	}
	for _, c := range bad {
		path := writeFile(t, dir, "labels.csv", c.content)
		_, err := ReadLabels(path, "", known("u1", "u2"), false)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: error %v, want %q", c.content, err, c.want)
		}
	}
	path = writeFile(t, dir, "labels.csv", "user_id,label\nu1,1\nu9,0\nu2\nu2,0\n")
	l, err = ReadLabels(path, "", known("u1", "u2"), true)
	if err != nil || l.Skipped != 2 || len(l.ByUser) != 2 || !strings.Contains(l.Examples[0], "labels.csv:3:") {
		t.Fatalf("skip: %+v %v", l, err)
	}
}

func TestImportExternalTask(t *testing.T) {
	dir := t.TempDir()
	in := writeFile(t, dir, "events.csv", eventsCSV(dateTime))
	labels := writeFile(t, dir, "vip.csv", "user_id,label\nu1,yes\nu2,no\nu3,yes\n")
	o := csvOpts(in, filepath.Join(dir, "ds"))
	o.Tasks = []string{"vip=external:" + labels}
	res, d := mustImport(t, o)
	_, task, err := d.Meta.Task("vip")
	if err != nil || task.Kind != data.Binary || !reflect.DeepEqual(task.Classes, []string{"no", "yes"}) {
		t.Fatalf("task %+v %v", task, err)
	}
	// External labels have no time: finetune and test split users, and the import says so.
	ft, _ := d.Meta.Split(data.Finetune)
	if ft.UserTo != 0.7 || !strings.Contains(strings.Join(res.Notes, "\n"), "disjoint users") {
		t.Fatalf("finetune %+v notes %v", ft, res.Notes)
	}
	got := map[string]int32{}
	for _, split := range []string{data.Finetune, data.Test} {
		s, _ := d.Samples(split)
		for i, u := range s.Users {
			got[d.Users[u]] = s.Labels[0][i]
		}
	}
	// u4 has no label: -1 (counted in missing_labels).
	if !reflect.DeepEqual(got, map[string]int32{"u1": 1, "u2": 0, "u3": 1, "u4": -1}) {
		t.Fatalf("labels %v", got)
	}

	// A label for a user unknown to the data fails the import (nothing left behind), or is
	// skipped and counted with --skip-bad-rows.
	bad := writeFile(t, dir, "bad.csv", "user_id,label\nu1,yes\nzz,no\nu2,no\n")
	o.Tasks, o.Out = []string{"vip=external:" + bad}, filepath.Join(dir, "ds2")
	importErr(t, o, "task vip:", `bad.csv:3: label for user "zz"`, "--skip-bad-rows")
	o.SkipBadRows = true
	res, d = mustImport(t, o)
	if res.Skipped != 1 || d.Meta.SkippedRows != 1 || !strings.Contains(d.Meta.SkipExamples[0], `bad.csv:3: label for user "zz"`) {
		t.Fatalf("skipped %d meta %v", res.Skipped, d.Meta.SkipExamples)
	}
}

// A labels file is read by its header: the column named label, or the one named in
// external:FILE:COLUMN; a file of three or more columns that names none is refused rather
// than read from its second column (a header user_id,segment,label used to give segment).
func TestReadLabelsByHeader(t *testing.T) {
	dir := t.TempDir()
	path := writeFile(t, dir, "labels.csv", "user_id,segment,label\nu1,gold,1\nu2,gold,0\nu3,silver,1\n")
	l, err := ReadLabels(path, "", nil, false)
	if err != nil || !slices.Equal(l.Classes, []string{"0", "1"}) || l.ByUser["u2"] != 0 || l.ByUser["u3"] != 1 {
		t.Fatalf("the label column: %+v, %v", l, err)
	}
	l, err = ReadLabels(path, "segment", nil, false)
	if err != nil || !slices.Equal(l.Classes, []string{"gold", "silver"}) || l.ByUser["u3"] != 1 {
		t.Fatalf("external:FILE:segment: %+v, %v", l, err)
	}
	// The user column found by name, wherever it is.
	l, err = ReadLabels(writeFile(t, dir, "swapped.csv", "label,user_id\n1,u1\n0,u2\n"), "", nil, false)
	if err != nil || l.ByUser["u1"] != 1 || l.ByUser["u2"] != 0 {
		t.Fatalf("label,user_id: %+v, %v", l, err)
	}
	amb := writeFile(t, dir, "ambiguous.csv", "user_id,segment,score\nu1,gold,1\nu2,silver,0\n")
	if _, err := ReadLabels(amb, "", nil, false); err == nil || !strings.Contains(err.Error(), "none named label") || !strings.Contains(err.Error(), "external:"+amb+":COLUMN") {
		t.Errorf("a header naming no label column: %v", err)
	}
	if _, err := ReadLabels(amb, "age", nil, false); err == nil || !strings.Contains(err.Error(), `no column "age"`) {
		t.Errorf("a label column the file lacks: %v", err)
	}
	if _, err := ReadLabels(writeFile(t, dir, "wide.csv", "u1,gold,1\nu2,silver,0\n"), "", nil, false); err == nil || !strings.Contains(err.Error(), "no header") {
		t.Errorf("three columns and no header: %v", err)
	}

	// The task spec: external:FILE:COLUMN, unless FILE:COLUMN is itself a file.
	task, err := data.ParseTask("seg=external:" + path + ":segment")
	if err != nil || task.Path != path || task.Column != "segment" {
		t.Errorf("ParseTask external:FILE:COLUMN: %+v, %v", task, err)
	}
	task, err = data.ParseTask("seg=external:" + path)
	if err != nil || task.Path != path || task.Column != "" {
		t.Errorf("ParseTask external:FILE: %+v, %v", task, err)
	}
}

// A label written as R's NA or pandas' NaN is no label, not a class "NA".
func TestMissingLabelsAreNoLabel(t *testing.T) {
	dir := t.TempDir()
	l, err := ReadLabels(writeFile(t, dir, "l.csv", "user_id,label\nu1,1\nu2,NA\nu3,0\nu4,NaN\n"), "", nil, false)
	if err != nil || !slices.Equal(l.Classes, []string{"0", "1"}) || len(l.ByUser) != 2 {
		t.Fatalf("labels with NA and NaN: %+v, %v", l, err)
	}
	users := writeFile(t, dir, "users.csv", "\"\",\"user\",\"segment\"\n\"1\",\"u1\",\"a\"\n\"2\",\"u2\",NA\n\"3\",\"u3\",\"b\"\n")
	l, err = ReadColumnLabels(data.Task{Name: "seg", Rule: data.RuleColumn, Path: users, Column: "segment"}, "", nil, false)
	if err != nil || !slices.Equal(l.Classes, []string{"a", "b"}) || len(l.ByUser) != 2 {
		t.Fatalf("a column task from R's write.csv with NA: %+v, %v", l, err)
	}
}
