package ingest

import (
	"fmt"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/byb-dev/byb/byb/data"
)

func TestImportCSV(t *testing.T) {
	for _, name := range []string{"events.csv", "events.csv.gz"} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			in := writeFile(t, dir, name, eventsCSV(dateTime))
			o := csvOpts(in, filepath.Join(dir, "ds"))
			o.Tasks = []string{"active-5d=active:5", "top-cat=most_frequent:cat:5"}
			res, d := mustImport(t, o)
			m := d.Meta
			if m.Users != 4 || m.Events != 20+20+5+1 {
				t.Fatalf("users %d events %d", m.Users, m.Events)
			}
			if got := fieldNames(m); !reflect.DeepEqual(got, []string{"item", "cat"}) {
				t.Fatalf("fields %v", got)
			}
			if res.TimeFormat != TimeDateTime || !res.TimePicked {
				t.Errorf("time format %s picked %v", res.TimeFormat, res.TimePicked)
			}
			// Data 05-01..05-20 (end 05-21), horizon 5: test obs ends 05-16, finetune 05-11;
			// finetune has all history before its end (10 days), test as many days.
			test, _ := m.Split(data.Test)
			ft, _ := m.Split(data.Finetune)
			if test.Obs.String() != "2013-05-06..2013-05-16" || ft.Obs.String() != "2013-05-01..2013-05-11" {
				t.Fatalf("windows: finetune %s test %s", ft.Obs, test.Obs)
			}
			s, err := d.Samples(data.Test)
			if err != nil {
				t.Fatal(err)
			}
			// u3 (days 1-5) and u4 (day 20) have no behavior in 05-06..05-16: reported as
			// empty, not samples.
			if s.Len() != 2 || m.EmptyUsers[data.Test] != 2 {
				t.Fatalf("test samples %d empty %d", s.Len(), m.EmptyUsers[data.Test])
			}
			// active-5d: u1, u2 active after 05-16.
			labels := map[string]int32{}
			for i, u := range s.Users {
				labels[d.Users[u]] = s.Labels[0][i]
			}
			if !reflect.DeepEqual(labels, map[string]int32{"u1": 1, "u2": 1}) {
				t.Fatalf("active-5d labels %v", labels)
			}
			// finetune (05-01..05-11, labels 05-11..05-16): u3 is inactive there.
			fs, err := d.Samples(data.Finetune)
			if err != nil || fs.Len() != 3 {
				t.Fatalf("finetune samples: %v, %v", fs, err)
			}
			if !strings.Contains(res.Summary(), "4 users") || !strings.Contains(res.Summary(), "active-5d") {
				t.Errorf("summary: %s", res.Summary())
			}
		})
	}
}

func TestImportCSVDefaultColumnsAndDelimiter(t *testing.T) {
	dir := t.TempDir()
	content := strings.NewReplacer("user,ts", "user_id;timestamp", ",", ";").Replace(eventsCSV(func(d, h int) string {
		return fmt.Sprint(utc(dateTime(d, h)))
	}))
	in := writeFile(t, dir, "semi.csv", content)
	res, d := mustImport(t, Options{Format: FormatCSV, In: in, Out: filepath.Join(dir, "ds"), Delimiter: ';'})
	// Without --id-cols every other column is a field.
	if got := fieldNames(d.Meta); !reflect.DeepEqual(got, []string{"item", "cat"}) {
		t.Fatalf("fields %v", got)
	}
	if res.TimeFormat != TimeUnix {
		t.Fatalf("time format %s", res.TimeFormat)
	}
	if d.Meta.First != utc("2013-05-01 10:00:00") {
		t.Fatalf("first %d", d.Meta.First)
	}
}

func TestImportCSVBadInput(t *testing.T) {
	good := eventsCSV(dateTime)
	lines := strings.Split(good, "\n")
	replaceLine := func(n int, s string) string { // n is the 1-based line number
		l := append([]string(nil), lines...)
		l[n-1] = s
		return strings.Join(l, "\n")
	}
	cases := []struct {
		name, content string
		edit          func(o *Options)
		want          []string
	}{
		{"short row", replaceLine(17, "u1,2013-05-09 10:00:00,i1"), nil,
			[]string{"bad.csv:17:", "row has 3 columns, the header has 4 (user, ts, item, cat)", "--skip-bad-rows"}},
		{"bad time", replaceLine(17, "u1,2013-13-45,i1,c1"), nil,
			[]string{"bad.csv:17:", `time "2013-13-45" is not a time in format YYYY-MM-DD[ HH:MM:SS]`, "--time-format", "--skip-bad-rows"}},
		{"empty user", replaceLine(5, ",2013-05-02 10:00:00,i1,c1"), nil,
			[]string{"bad.csv:5:", "empty user id in column user"}},
		{"user NA", replaceLine(5, "NA,2013-05-02 10:00:00,i1,c1"), nil,
			[]string{"bad.csv:5:", `user id "NA" in column user reads as a missing value`, "--skip-bad-rows"}},
		{"bare quote", replaceLine(9, `u1,2013-05-02 10:00:00,i"1,c1`), nil,
			[]string{"bad.csv:9:", "quote"}},
		{"missing column", good, func(o *Options) { o.TimeCol = "time" },
			[]string{`no column "time" (columns: user, ts, item, cat)`, "--time-col"}},
		{"missing id column", good, func(o *Options) { o.IDCols = []string{"item", "brand"} },
			[]string{`no column "brand" (columns: user, ts, item, cat)`, "--id-cols"}},
		{"empty file", "", nil, []string{"bad.csv: the file is empty"}},
		{"header only", "user,ts,item,cat\n", nil, []string{"bad.csv: no rows after the header"}},
		{"wrong time format flag", good, func(o *Options) { o.TimeFormat = TimeUnix },
			[]string{"bad.csv:2:", `time "2013-05-01 10:00:00" is not a time in format unix seconds`}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			for _, gz := range []string{"", ".gz"} {
				in := writeFile(t, dir, "bad.csv"+gz, c.content)
				o := csvOpts(in, filepath.Join(dir, "out"+gz))
				if c.edit != nil {
					c.edit(&o)
				}
				want := append([]string(nil), c.want...)
				for i := range want {
					want[i] = strings.ReplaceAll(want[i], "bad.csv", "bad.csv"+gz)
				}
				importErr(t, o, want...)
			}
		})
	}
}

func TestImportCSVSkipBadRows(t *testing.T) {
	lines := strings.Split(eventsCSV(dateTime), "\n")
	lines[4] = "u1,2013-05-02 10:00:00"       // short
	lines[6] = "u2,2013-05-99 10:00:00,i1,c1" // bad time
	lines[8] = ",2013-05-02 10:00:00,i1,c1"   // empty user
	dir := t.TempDir()
	in := writeFile(t, dir, "bad.csv.gz", strings.Join(lines, "\n"))
	o := csvOpts(in, filepath.Join(dir, "ds"))
	o.SkipBadRows = true
	res, d := mustImport(t, o)
	if res.Skipped != 3 || d.Meta.SkippedRows != 3 || len(d.Meta.SkipExamples) != 3 {
		t.Fatalf("skipped %d, meta %d %v", res.Skipped, d.Meta.SkippedRows, d.Meta.SkipExamples)
	}
	if d.Meta.Events != 46-3 || res.Rows != 46 {
		t.Fatalf("events %d rows %d", d.Meta.Events, res.Rows)
	}
	if !strings.HasPrefix(d.Meta.SkipExamples[0], in+":5: row has 2 columns") {
		t.Fatalf("example %q", d.Meta.SkipExamples[0])
	}
	if !strings.Contains(res.Summary(), "Skipped 3 bad rows") {
		t.Fatalf("summary %s", res.Summary())
	}
}

// A failing import must leave no output directory and no temporary directory — including
// a failure after the events were read (here: an unknown task field at build time).
func TestImportAtomicFailure(t *testing.T) {
	dir := t.TempDir()
	in := writeFile(t, dir, "events.csv", eventsCSV(dateTime))
	o := csvOpts(in, filepath.Join(dir, "ds"))
	o.Tasks = []string{"x=most_frequent:brand:5"}
	importErr(t, o, `no ID field "brand"`)

	// A failed re-import keeps the earlier dataset intact.
	o.Tasks = nil
	mustImport(t, o)
	o.Tasks, o.Force = []string{"x=most_frequent:brand:5"}, true
	if _, err := Import(o); err == nil {
		t.Fatal("want an error")
	}
	if _, err := data.Load(o.Out); err != nil {
		t.Fatalf("earlier dataset damaged: %v", err)
	}
}

func TestImportVocabularyCaps(t *testing.T) {
	// item counts in the pretraining span (all 20 days): many distinct values, skewed.
	var b strings.Builder
	b.WriteString("user,ts,item\n")
	n := 0
	for v := 0; v < 6; v++ {
		for k := 0; k <= v; k++ { // item v appears v+1 times
			fmt.Fprintf(&b, "u%d,%s,item%d\n", n%3, dateTime(1+n%20, 10), v)
			n++
		}
	}
	dir := t.TempDir()
	in := writeFile(t, dir, "v.csv", b.String())
	o := Options{Format: FormatCSV, In: in, Out: filepath.Join(dir, "min"), UserCol: "user", TimeCol: "ts", MinCount: 3}
	_, d := mustImport(t, o)
	f := d.Meta.Fields[0]
	if f.VocabSize != 4+2 || f.RawValues != 6 || d.Meta.MinCount != 3 {
		t.Fatalf("min-count 3: %+v", f)
	}
	// coverage: items 2..5 have 3+4+5+6 = 18 of 21 occurrences.
	if f.Coverage < 18.0/21-1e-9 || f.Coverage > 18.0/21+1e-9 {
		t.Fatalf("coverage %v", f.Coverage)
	}
	oov := 0
	for _, id := range d.IDs {
		if id == data.OOV {
			oov++
		}
	}
	if oov != 3 {
		t.Fatalf("%d OOV IDs, want 3 (item0 once, item1 twice)", oov)
	}
	o.Out, o.MinCount, o.MaxVocab = filepath.Join(dir, "max"), 0, 2
	_, d = mustImport(t, o)
	v, err := data.LoadVocab(o.Out, "item")
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(v.Values, []string{"item5", "item4"}) || d.Meta.MaxVocab != 2 {
		t.Fatalf("max-vocab 2: %v", v.Values)
	}
}

func TestImportExplicitWindows(t *testing.T) {
	dir := t.TempDir()
	in := writeFile(t, dir, "events.csv", eventsCSV(dateTime))
	o := csvOpts(in, filepath.Join(dir, "ds"))
	o.Pretrain, o.Finetune, o.Test = "2013-05-01..2013-05-11", "2013-05-01..2013-05-06", "2013-05-06..2013-05-11"
	o.Tasks = []string{"a=active:5"}
	res, d := mustImport(t, o)
	test, _ := d.Meta.Split(data.Test)
	if test.Obs.String() != "2013-05-06..2013-05-11" || len(res.Notes) != 1 { // only the auto time-format note
		t.Fatalf("test %s notes %v", test.Obs, res.Notes)
	}
	// --test-users splits explicit windows by user too. Its test half holds u4 alone, active
	// on 05-20 only: a test window without it would leave test without samples (an error).
	o.TestUsers, o.Out, o.Test = 0.5, filepath.Join(dir, "ds-users"), "2013-05-16..2013-05-21"
	_, d = mustImport(t, o)
	if ft, _ := d.Meta.Split(data.Finetune); ft.UserTo != 0.5 || ft.Obs.String() != "2013-05-01..2013-05-06" {
		t.Fatalf("finetune %+v", ft)
	}
	o.Test, o.Out = "", filepath.Join(dir, "bad")
	importErr(t, o, "need all of --pretrain, --finetune and --test")
	o.Test = "2013-05-11..2013-05-06"
	importErr(t, o, "--test: window")
}

// An import over its memory budget (--max-memory) spills and writes the same dataset as one
// without a cap, with the same notes and warnings.
func TestImportWithinAMemoryBudget(t *testing.T) {
	dir := t.TempDir()
	in := writeFile(t, dir, "events.csv", eventsCSV(dateTime))
	free := csvOpts(in, filepath.Join(dir, "free"))
	free.MaxMemory = -1
	capped := csvOpts(in, filepath.Join(dir, "capped"))
	capped.MaxMemory = 5 * 2 * (16 + 4*2) // five behaviors in memory
	resFree, dFree := mustImport(t, free)
	resCapped, dCapped := mustImport(t, capped)
	if !slices.Equal(dFree.Times, dCapped.Times) || !slices.Equal(dFree.IDs, dCapped.IDs) || !slices.Equal(dFree.Users, dCapped.Users) {
		t.Errorf("the capped import's dataset differs from the uncapped one")
	}
	if !slices.Equal(resFree.Warnings, resCapped.Warnings) || dFree.Meta.Events != dCapped.Meta.Events {
		t.Errorf("warnings %q vs %q, events %d vs %d", resFree.Warnings, resCapped.Warnings, dFree.Meta.Events, dCapped.Meta.Events)
	}
}
