package data

import (
	"encoding/json"
	"math"
	"path/filepath"
	"strings"
	"testing"
)

// A hand-made tiny dataset whose statistics are computed by hand below.
func tinyStatsDataset(t *testing.T) *Dataset {
	t.Helper()
	const t0 = int64(1577836800) // 2020-01-01
	at := func(days float64) int64 { return t0 + int64(days*float64(Day)) }
	va := BuildVocab(map[string]int64{"x": 3, "y": 2, "z": 1}, 1, 0)
	vb := BuildVocab(map[string]int64{"p": 3, "q": 2}, 1, 0)
	x, y, z := va.Lookup("x"), va.Lookup("y"), va.Lookup("z")
	p, q := vb.Lookup("p"), vb.Lookup("q")
	var tasks []Task
	for _, spec := range []string{"act=active:2", "mf=most_frequent:a:2"} {
		tk, err := ParseTask(spec)
		if err != nil {
			t.Fatal(err)
		}
		tasks = append(tasks, tk)
	}
	meta := &Meta{Name: "tiny", Source: "hand-made", Fields: []Field{{Name: "a"}, {Name: "b"}}, Tasks: tasks,
		Splits: []Split{
			{Name: Pretrain, Obs: Span{at(0), at(4)}},
			{Name: Finetune, Obs: Span{at(1), at(3)}},
			{Name: Test, Obs: Span{at(3), at(5)}},
		}}
	dir := filepath.Join(t.TempDir(), "tiny")
	w, err := Create(dir, meta, []*Vocab{va, vb}, nil)
	if err != nil {
		t.Fatal(err)
	}
	users := []struct {
		id    string
		times []int64
		ids   []int32
	}{
		{"u1", []int64{at(0.5), at(1.5), at(2.5), at(3.5), at(5.5)}, []int32{x, p, y, q, x, NoID, z, p, x, p}},
		{"u2", []int64{at(3.2)}, []int32{y, p}},
		{"u3", nil, nil},
		{"u4", []int64{at(1.1), at(1.2)}, []int32{x, p, x, q}},
	}
	for _, u := range users {
		if err := w.Add(u.id, u.times, u.ids); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	d, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func TestComputeStats(t *testing.T) {
	st, err := ComputeStats(tinyStatsDataset(t))
	if err != nil {
		t.Fatal(err)
	}
	if st.Users != 4 || st.Events != 8 || st.First != "2020-01-01" || st.Last != "2020-01-06" {
		t.Errorf("header: %d users, %d events, %s..%s", st.Users, st.Events, st.First, st.Last)
	}
	type row struct {
		samples, empty, ids, max, min int
		avg                           float64
		days                          int
		window, label                 string
	}
	want := map[string]row{
		Pretrain: {3, 1, 5, 4, 1, 7.0 / 3, 4, "2020-01-01..2020-01-05", ""},
		Finetune: {2, 2, 4, 2, 2, 2, 2, "2020-01-02..2020-01-04", "2020-01-04..2020-01-06"},
		Test:     {2, 2, 3, 1, 1, 1, 2, "2020-01-04..2020-01-06", "2020-01-06..2020-01-08"},
	}
	for _, s := range st.Splits {
		w := want[s.Name]
		got := row{s.Samples, s.EmptyUsers, s.BehaviorIDs, s.MaxLen, s.MinLen, s.AvgLen, s.Days, s.Window, s.LabelWindow}
		if math.Abs(got.avg-w.avg) < 1e-9 {
			got.avg = w.avg
		}
		if got != w {
			t.Errorf("%s: got %+v, want %+v", s.Name, got, w)
		}
	}
	if byField := st.Splits[1].BehaviorIDsByField; byField["a"] != 2 || byField["b"] != 2 {
		t.Errorf("finetune IDs by field: %v, want a:2 b:2", byField)
	}
	if n := len(st.Splits[0].Tasks); n != 0 {
		t.Errorf("pretrain has %d task balances, want none", n)
	}
	// Finetune: u1 is active in [day 3, day 5) with z; u4 is not (no most-frequent label).
	ft := st.Splits[1].Tasks
	if b := ft[0]; b.Labeled != 2 || b.Missing != 0 || b.Positives != 1 || b.PositiveRate != 0.5 ||
		b.ClassesPresent != 2 || b.TopShare != 0.5 || b.TopClass != "0" || b.EntropyBits != 1 || b.NormEntropy != 1 {
		t.Errorf("finetune act: %+v", b)
	}
	if b := ft[1]; b.Labeled != 1 || b.Missing != 1 || b.Classes != 3 || b.ClassesPresent != 1 || b.TopClass != "z" ||
		b.TopShare != 1 || b.EntropyBits != 0 {
		t.Errorf("finetune mf: %+v", b)
	}
	// Test: u1 is active in [day 5, day 7) with x, u2 is not.
	te := st.Splits[2].Tasks
	if b := te[0]; b.Positives != 1 || b.PositiveRate != 0.5 || b.Labeled != 2 {
		t.Errorf("test act: %+v", b)
	}
	if b := te[1]; b.TopClass != "x" || b.Missing != 1 {
		t.Errorf("test mf: %+v", b)
	}
	var sb strings.Builder
	if err := st.WriteText(&sb); err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"# samples", "pretrain", "2020-01-02..2020-01-04", "finetune labels:", "0.5000", "1/3"} {
		if !strings.Contains(sb.String(), s) {
			t.Errorf("text output lacks %q:\n%s", s, sb.String())
		}
	}
}

func TestBalance(t *testing.T) {
	tk := Task{Name: "b", Kind: Binary, Classes: []string{"0", "1"}}
	b := Balance(tk, []int32{1, 0, 0, 0, -1})
	if b.Labeled != 4 || b.Missing != 1 || b.Positives != 1 || b.PositiveRate != 0.25 || b.TopClass != "0" || b.TopShare != 0.75 {
		t.Errorf("%+v", b)
	}
	if want := round6(-(0.25*math.Log2(0.25) + 0.75*math.Log2(0.75))); b.EntropyBits != want {
		t.Errorf("entropy %v, want %v", b.EntropyBits, want)
	}
	if b := Balance(tk, []int32{-1, -1}); b.Labeled != 0 || b.Missing != 2 || b.ClassesPresent != 0 {
		t.Errorf("all missing: %+v", b)
	}
	// String classes from a file: the positive class is the second in sorted order, and said.
	named := Task{Name: "churn", Kind: Binary, Classes: []string{"no", "yes"}}
	if b := Balance(named, []int32{1, 0}); b.PositiveClass != "yes" || b.Positives != 1 {
		t.Errorf("named classes: positive class %q, positives %d", b.PositiveClass, b.Positives)
	}
}

// The import's warnings, kept in meta.json, are part of the statistics: as "warning: "
// lines in the text and as "warnings" in the JSON.
func TestStatsRepeatTheImportWarnings(t *testing.T) {
	d := tinyStatsDataset(t)
	d.Meta.Warnings = []string{"3 duplicate behaviors (0.1%) kept", "task act: every labelled test sample (2) is class \"1\""}
	st, err := ComputeStats(d)
	if err != nil {
		t.Fatal(err)
	}
	var sb strings.Builder
	if err := st.WriteText(&sb); err != nil {
		t.Fatal(err)
	}
	for _, w := range d.Meta.Warnings {
		if !strings.Contains(sb.String(), "warning: "+w+"\n") {
			t.Errorf("text output lacks %q:\n%s", "warning: "+w, sb.String())
		}
	}
	b, err := json.Marshal(st)
	if err != nil || !strings.Contains(string(b), `"warnings":["3 duplicate behaviors (0.1%) kept"`) {
		t.Errorf("JSON lacks the warnings: %s %v", b, err)
	}
	d.Meta.Warnings = nil
	st, _ = ComputeStats(d)
	sb.Reset()
	st.WriteText(&sb)
	if strings.Contains(sb.String(), "warning:") {
		t.Errorf("warnings printed for a dataset without: %s", sb.String())
	}
}
