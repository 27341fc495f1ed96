package ingest

import (
	"bytes"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/byb-dev/byb/byb/data"
	"github.com/parquet-go/parquet-go"
)

// Issue 11, section 3: an import never drops data silently. Every questionable input gets a
// "warning: " line with counts (kept in meta.json), or an error when the dataset would be
// unusable.

// importWarnings runs an import that must succeed and returns its warnings, after checking
// that each was printed on Progress as a "warning: " line and kept in meta.json.
func importWarnings(t *testing.T, o Options) (*Result, *data.Dataset, []string) {
	t.Helper()
	var progress bytes.Buffer
	o.Progress = &progress
	res, d := mustImport(t, o)
	for _, w := range res.Warnings {
		if !strings.Contains(progress.String(), "warning: "+w+"\n") {
			t.Errorf("warning %q not printed on Progress:\n%s", w, progress.String())
		}
	}
	t.Logf("warnings:\n%s", strings.Join(res.Warnings, "\n"))
	if !reflect.DeepEqual(d.Meta.Warnings, res.Warnings) {
		t.Errorf("meta.json warnings %q, want the import's %q", d.Meta.Warnings, res.Warnings)
	}
	return res, d, res.Warnings
}

// wantWarning checks that one warning contains every want.
func wantWarning(t *testing.T, warnings []string, want ...string) {
	t.Helper()
	for _, w := range warnings {
		ok := true
		for _, s := range want {
			ok = ok && strings.Contains(w, s)
		}
		if ok {
			return
		}
	}
	t.Errorf("no warning contains all of %q; warnings:\n%s", want, strings.Join(warnings, "\n"))
}

// noWarning checks that no warning contains s.
func noWarning(t *testing.T, warnings []string, s string) {
	t.Helper()
	for _, w := range warnings {
		if strings.Contains(w, s) {
			t.Errorf("unexpected warning %q", w)
		}
	}
}

// windows sets explicit pretraining, finetune and test windows (2013-05-DD..2013-05-DD).
func windows(o *Options, pretrain, finetune, test [2]int) {
	span := func(w [2]int) string { return fmt.Sprintf("2013-05-%02d..2013-05-%02d", w[0], w[1]) }
	o.Pretrain, o.Finetune, o.Test = span(pretrain), span(finetune), span(test)
}

// A log without anything questionable imports without a warning (and Summary says none).
func TestImportCleanHasNoWarnings(t *testing.T) {
	dir := t.TempDir()
	// u3 is seen in the test observation window (05-06..05-16) and inactive after it, so
	// that the test labels take two classes.
	o := csvOpts(writeFile(t, dir, "events.csv", eventsCSV(dateTime)+"u3,2013-05-07 12:00:00,i9,c2\n"), filepath.Join(dir, "ds"))
	o.Tasks = []string{"active-5d=active:5"}
	_, _, warnings := importWarnings(t, o)
	if len(warnings) > 0 {
		t.Fatalf("warnings on a clean log: %q", warnings)
	}
}

func TestWarnBehaviorsOutsideEveryWindow(t *testing.T) {
	dir := t.TempDir()
	o := csvOpts(writeFile(t, dir, "events.csv", eventsCSV(dateTime)), filepath.Join(dir, "ds"))
	// Windows from 05-05 to 05-12 (the test label window: 05-10 + 2 days). Before: days
	// 1-4 of u1, u2, u3 (12); from 05-12: days 12-20 of u1 and u2, and u4's one (19).
	windows(&o, [2]int{5, 10}, [2]int{6, 8}, [2]int{8, 10})
	o.Tasks = []string{"a=active:2"}
	res, d, warnings := importWarnings(t, o)
	wantWarning(t, warnings, "31 of 46 behaviors (67.4%) lie outside every window", "12 before 2013-05-05", "19 on or after 2013-05-12")
	if d.Meta.Events != 46 {
		t.Fatalf("%d events kept, want all 46", d.Meta.Events)
	}
	if !strings.Contains(res.Summary(), "warning") {
		t.Errorf("summary does not mention the warnings: %s", res.Summary())
	}
}

func TestWarnImplausibleTimes(t *testing.T) {
	dir := t.TempDir()
	content := eventsCSV(dateTime) + "u1,2200-01-01 00:00:00,i1,c1\n" + "u2,1969-07-20 20:17:00,i1,c1\n" + "u3,2201-01-01 00:00:00,i1,c1\n"
	in := writeFile(t, dir, "ev.csv", content)
	o := csvOpts(in, filepath.Join(dir, "ds"))
	windows(&o, [2]int{1, 11}, [2]int{1, 6}, [2]int{6, 11})
	o.Tasks = []string{"a=active:5"}
	_, d, warnings := importWarnings(t, o)
	// Lines 48-50 (header, then 46 behaviors); the first is the example.
	wantWarning(t, warnings, "3 behaviors have implausible times", "1 before 1970", "2 more than a year after today",
		in+`:48: time "2200-01-01 00:00:00"`, "--time-format")
	if d.Meta.Events != 49 {
		t.Fatalf("%d events, want 49 (implausible times are kept)", d.Meta.Events)
	}
}

func TestWarnWindowsWithoutBehaviors(t *testing.T) {
	dir := t.TempDir()
	o := csvOpts(writeFile(t, dir, "events.csv", eventsCSV(dateTime)), filepath.Join(dir, "ds"))
	// The data end on 05-20; the test label window 05-21..05-24 is empty.
	windows(&o, [2]int{1, 16}, [2]int{6, 11}, [2]int{16, 21})
	o.Tasks = []string{"a=active:3", "top=most_frequent:cat:3"}
	_, _, warnings := importWarnings(t, o)
	wantWarning(t, warnings, "the test label window 2013-05-21..2013-05-24 holds no behaviors")
	noWarning(t, warnings, "finetune label window")
	// Its consequences, named per task: one class for active, no label at all for top.
	wantWarning(t, warnings, "task a:", "test", `class "0"`)
	wantWarning(t, warnings, "task top:", "no test sample has a label")
}

func TestImportSplitWithoutSamplesFails(t *testing.T) {
	dir := t.TempDir()
	in := writeFile(t, dir, "events.csv", eventsCSV(dateTime))
	o := csvOpts(in, filepath.Join(dir, "ds"))
	o.Pretrain, o.Finetune, o.Test = "2014-01-01..2014-02-01", "2013-05-01..2013-05-06", "2013-05-06..2013-05-11"
	importErr(t, o, "split pretrain has 0 samples", "no behavior lies in its window 2014-01-01..2014-02-01", "2013-05-01..2013-05-20", "--pretrain")

	// Windows placed at the end of the data, which a far-future time moves to 2199.
	o = csvOpts(writeFile(t, dir, "future.csv", eventsCSV(dateTime)+"u1,2200-01-01 00:00:00,i1,c1\n"), filepath.Join(dir, "ds"))
	o.PretrainDays, o.ObsDays, o.Tasks = 5, 5, []string{"a=active:2"}
	importErr(t, o, "split pretrain has 0 samples", "no behavior lies in its window 2199-12-24..2199-12-29", "pass a longer --pretrain-days")

	// A test share of users that holds none of the four users.
	top := 0.0
	for _, u := range []string{"u1", "u2", "u3", "u4"} {
		top = math.Max(top, data.UserBucket(u))
	}
	o = csvOpts(in, filepath.Join(dir, "ds2"))
	o.TestUsers = (1 - top) / 2
	importErr(t, o, "split test has 0 samples", "none of its users", "--test-users")
}

func TestImportMinCountThatEmptiesAVocabularyFails(t *testing.T) {
	dir := t.TempDir()
	o := csvOpts(writeFile(t, dir, "events.csv", eventsCSV(dateTime)), filepath.Join(dir, "ds"))
	o.Tasks = []string{}
	o.MinCount = 100
	// item: i0 ×11, i1 ×13, i2 ×12, i3 ×5, i9 ×5 in the pretraining span (all the data).
	importErr(t, o, "field item", "--min-count 100", "5 distinct values", "seen 13 times", "--min-count 13")
	o.MinCount = 13
	_, d := mustImport(t, o)
	if d.Meta.Fields[0].VocabSize != 1+int(data.FirstValue) {
		t.Fatalf("--min-count 13: item vocabulary %d, want i1 alone", d.Meta.Fields[0].VocabSize)
	}
}

func TestImportExplicitMaxVocabZeroFails(t *testing.T) {
	dir := t.TempDir()
	o := csvOpts(writeFile(t, dir, "events.csv", eventsCSV(dateTime)), filepath.Join(dir, "ds"))
	o.MaxVocab, o.MaxVocabSet = 0, true
	importErr(t, o, "--max-vocab 0 would keep no value; use -1 for no cap or leave it out for the default 1,000,000")
	// Unset, 0 is the default cap.
	o.MaxVocabSet = false
	if _, d := mustImport(t, o); d.Meta.MaxVocab != DefaultMaxVocab {
		t.Fatalf("max vocab %d", d.Meta.MaxVocab)
	}
}

func TestImportNegativeDaysFail(t *testing.T) {
	dir := t.TempDir()
	in := writeFile(t, dir, "events.csv", eventsCSV(dateTime))
	for _, c := range []struct {
		edit func(*Options)
		want []string
	}{
		{func(o *Options) { o.PretrainDays = -3 }, []string{"--pretrain-days -3", "positive number of days", "0 for the format's default"}},
		{func(o *Options) { o.ObsDays = -1 }, []string{"--obs-days -1", "positive number of days"}},
		{func(o *Options) { o.Tasks = []string{"a=active:-2"} }, []string{`task "a=active:-2"`, `horizon "-2" is not a positive number of days`}},
	} {
		o := csvOpts(in, filepath.Join(dir, "ds"))
		c.edit(&o)
		importErr(t, o, c.want...)
	}
}

func TestWarnDuplicateBehaviors(t *testing.T) {
	dir := t.TempDir()
	content := eventsCSV(dateTime) +
		"u1,2013-05-03 10:00:00,i0,c1\n" + // u1's day-3 behavior, twice more
		"u1,2013-05-03 10:00:00,i0,c1\n" +
		"u2,2013-05-04 11:00:00,i0,c1\n" + // u2's day-4 behavior once more
		"u2,2013-05-04 11:00:00,i1,c1\n" // same user and time, another item: not a duplicate
	o := csvOpts(writeFile(t, dir, "events.csv", content), filepath.Join(dir, "ds"))
	o.Tasks = []string{"active-5d=active:5"}
	_, d, warnings := importWarnings(t, o)
	wantWarning(t, warnings, "3 duplicate behaviors (6.0%)", "same user, time and IDs", "kept")
	if d.Meta.Events != 50 {
		t.Fatalf("%d events, want 50 (duplicates are kept)", d.Meta.Events)
	}
}

func TestWarnObservationWindowsOfDifferentLengths(t *testing.T) {
	dir := t.TempDir()
	in := writeFile(t, dir, "events.csv", eventsCSV(dateTime))
	o := csvOpts(in, filepath.Join(dir, "ds"))
	windows(&o, [2]int{1, 6}, [2]int{1, 6}, [2]int{6, 16})
	o.Tasks = []string{"a=active:3"}
	_, _, warnings := importWarnings(t, o)
	wantWarning(t, warnings, "the finetune observation window 2013-05-01..2013-05-06 is 5 days long, the test one 2013-05-06..2013-05-16 10 days",
		"byb finetune refuses windows of two lengths")

	// --obs-days that the data cannot give the finetune window: both windows are cut to the
	// 14 days it has, and a note says so.
	o = csvOpts(in, filepath.Join(dir, "ds2"))
	o.ObsDays, o.Tasks = 15, []string{"a=active:3"}
	res, d, warnings := importWarnings(t, o)
	noWarning(t, warnings, "observation window")
	if !strings.Contains(strings.Join(res.Notes, "\n"), "windows are 14 days long, not 15") {
		t.Errorf("notes do not say the windows were cut to 14 days: %q", res.Notes)
	}
	sameLengths(t, d)

	// The default "all history" windows: the finetune window has all history before its
	// end, the test window as many days (they used to differ, and finetune refused them).
	o = csvOpts(in, filepath.Join(dir, "ds3"))
	o.Tasks = []string{"a=active:3"}
	_, d, warnings = importWarnings(t, o)
	noWarning(t, warnings, "observation window")
	sameLengths(t, d)
}

// sameLengths fails unless the dataset's finetune and test observation windows have one
// length, as byb finetune needs.
func sameLengths(t *testing.T, d *data.Dataset) {
	t.Helper()
	ft, _ := d.Meta.Split(data.Finetune)
	test, _ := d.Meta.Split(data.Test)
	if ft.Obs.Days() != test.Obs.Days() {
		t.Errorf("finetune window %s (%d days), test %s (%d days): want one length", ft.Obs, ft.Obs.Days(), test.Obs, test.Obs.Days())
	}
}

func TestWarnOneClassLabels(t *testing.T) {
	dir := t.TempDir()
	in := writeFile(t, dir, "events.csv", eventsCSV(dateTime))
	o := csvOpts(in, filepath.Join(dir, "ds"))
	// Finetune: u1, u2 active after 05-06, u3 not. Test: u1 and u2, both active after 05-11.
	windows(&o, [2]int{1, 6}, [2]int{1, 6}, [2]int{6, 11})
	o.Tasks = []string{"a=active:3"}
	_, _, warnings := importWarnings(t, o)
	wantWarning(t, warnings, `task a: every labelled test sample (2) is class "1"`, "AUROC")
	noWarning(t, warnings, "finetune sample")

	o = csvOpts(in, filepath.Join(dir, "ds2"))
	windows(&o, [2]int{1, 6}, [2]int{6, 11}, [2]int{1, 6})
	o.Tasks = []string{"a=active:3"}
	_, _, warnings = importWarnings(t, o)
	wantWarning(t, warnings, `task a: every labelled finetune sample (2) is class "1"`)
	noWarning(t, warnings, "test sample")
}

type pqFloatEvent struct {
	User string  `parquet:"user"`
	TS   float64 `parquet:"ts"` // unix seconds as a DOUBLE, as pandas writes them
	Item int32   `parquet:"item"`
}

func TestImportParquetFloatTimes(t *testing.T) {
	dir := t.TempDir()
	var rows []pqFloatEvent
	for d := 1; d <= 10; d++ {
		for u, name := range []string{"alice", "bob"} {
			rows = append(rows, pqFloatEvent{User: name, TS: float64(utc(dateTime(d, 10+u))) + 0.5, Item: int32(d % 3)})
		}
	}
	in := filepath.Join(dir, "events.parquet")
	writeGenericParquet(t, in, rows)
	o := Options{Format: FormatParquet, In: in, Out: filepath.Join(dir, "ds"), UserCol: "user", TimeCol: "ts", Tasks: []string{}}
	res, d := mustImport(t, o)
	if res.TimeFormat != TimeUnix || d.Meta.First != utc(dateTime(1, 10)) || d.Meta.Events != 20 {
		t.Fatalf("time format %s first %d events %d", res.TimeFormat, d.Meta.First, d.Meta.Events)
	}
	rows[4].TS = math.NaN()
	writeGenericParquet(t, in, rows)
	o.Out = filepath.Join(dir, "ds2")
	importErr(t, o, "events.parquet: row 5:", "time is NaN")
}

func writeGenericParquet[T any](t *testing.T, path string, rows []T) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	w := parquet.NewGenericWriter[T](f)
	if _, err := w.Write(rows); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	f.Close()
}

func TestImportRecBoleNotTabSeparated(t *testing.T) {
	dir := t.TempDir()
	in := writeFile(t, dir, "ml.inter", "user_id:token,item_id:token,timestamp:float\n1,2,978300760\n")
	importErr(t, Options{Format: FormatRecBole, In: in, Out: filepath.Join(dir, "ds")},
		"ml.inter: the header has no tab", "separated by ','", "RecBole atomic files are tab-separated", "--delimiter ,")
	// With --delimiter the file reads.
	_, d := mustImport(t, Options{Format: FormatRecBole, In: in, Out: filepath.Join(dir, "ds"), Delimiter: ',', Tasks: []string{}})
	if d.Meta.Events != 1 {
		t.Fatalf("%d events", d.Meta.Events)
	}
}

func TestImportTmallLeapDayNeedsLeapBaseYear(t *testing.T) {
	dir := t.TempDir()
	lines := strings.Split(tmallLog(), "\n")
	lines[3] = "2,105,1,7,3,0229,0"
	in := writeFile(t, dir, "log.csv", strings.Join(lines, "\n"))
	importErr(t, Options{Format: FormatTmall, In: in, Out: filepath.Join(dir, "ds")},
		"log.csv:4:", `time "0229" is February 29, which 2014 does not have`, "--base-year 2016")
	_, d := mustImport(t, Options{Format: FormatTmall, In: in, Out: filepath.Join(dir, "ds"), BaseYear: 2016})
	if d.Meta.First != utc("2016-02-29 00:00:00") {
		t.Fatalf("first %d", d.Meta.First)
	}
}

func TestImportRejectsInvalidUTF8(t *testing.T) {
	lines := strings.Split(eventsCSV(dateTime), "\n")
	lines[4] = "u\xff1,2013-05-02 10:00:00,i1,c1"
	lines[6] = "u2,2013-05-03 11:00:00,i\xfe,c1"
	dir := t.TempDir()
	in := writeFile(t, dir, "bad.csv", strings.Join(lines, "\n"))
	o := csvOpts(in, filepath.Join(dir, "ds"))
	importErr(t, o, "bad.csv:5:", `user id "u\xff1" in column user is not valid UTF-8`, "iconv", "--skip-bad-rows")
	lines[4] = "u1,2013-05-02 10:00:00,i1,c1"
	in2 := writeFile(t, dir, "bad2.csv", strings.Join(lines, "\n"))
	importErr(t, csvOpts(in2, o.Out), "bad2.csv:7:", `item "i\xfe" is not valid UTF-8`)

	// Skipped and counted, never written raw.
	o.SkipBadRows = true
	lines[4] = "u\xff1,2013-05-02 10:00:00,i1,c1"
	o.In = writeFile(t, dir, "bad3.csv", strings.Join(lines, "\n"))
	res, _ := mustImport(t, o)
	if res.Skipped != 2 {
		t.Fatalf("skipped %d, want 2", res.Skipped)
	}
	for _, f := range []string{"users.txt", "vocab/item.tsv", "vocab/cat.tsv", "meta.json"} {
		b, err := os.ReadFile(filepath.Join(o.Out, f))
		if err != nil || !utf8.Valid(b) {
			t.Errorf("%s: not valid UTF-8 (%v)", f, err)
		}
	}

	// An attribute table's values become IDs too.
	ev := writeFile(t, dir, "ev.csv", "user,ts,item\nu1,2013-05-01 10:00:00,i1\nu2,2013-05-02 10:00:00,i2\n")
	products := writeFile(t, dir, "products.csv", "item,brand\ni1,b1\ni2,b\xe92\n")
	importErr(t, Options{Format: FormatCSV, In: ev, Out: filepath.Join(dir, "ds-join"), UserCol: "user", TimeCol: "ts",
		IDCols: []string{"item"}, Tasks: []string{}, Joins: []Join{{Path: products, Key: "item"}}},
		"products.csv:3:", `brand "b\xe92" is not valid UTF-8`)
}

func TestImportRefusesAnExistingDatasetWithoutForce(t *testing.T) {
	dir := t.TempDir()
	in := writeFile(t, dir, "events.csv", eventsCSV(dateTime))
	o := csvOpts(in, filepath.Join(dir, "ds"))
	o.Name = "first"
	mustImport(t, o)
	o.Name = "second"
	_, err := Import(o)
	if err == nil || !strings.Contains(err.Error(), o.Out+" already holds a dataset (first") || !strings.Contains(err.Error(), "--force") {
		t.Fatalf("re-import without --force: %v", err)
	}
	if d, err := data.Load(o.Out); err != nil || d.Meta.Name != "first" {
		t.Fatalf("the earlier dataset was touched: %v", err)
	}
	o.Force = true
	if _, d := mustImport(t, o); d.Meta.Name != "second" {
		t.Fatalf("--force: name %q, want the new dataset", d.Meta.Name)
	}
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if strings.Contains(e.Name(), ".tmp-") {
			t.Errorf("--force left %s", e.Name())
		}
	}
	// --force never replaces a folder that is not a dataset.
	other := filepath.Join(dir, "notes")
	os.MkdirAll(other, 0o755)
	writeFile(t, other, "todo.txt", "keep me")
	o.Out = other
	if _, err := Import(o); err == nil || !strings.Contains(err.Error(), "not a byb dataset") {
		t.Fatalf("--force onto a foreign folder: %v", err)
	}
	if _, err := os.Stat(filepath.Join(other, "todo.txt")); err != nil {
		t.Fatal(err)
	}
}

// A field without any value in the pretraining span has an empty vocabulary: every one of its
// IDs is out of vocabulary, the same outcome as a too high --min-count, by another cause.
func TestWarnFieldWithoutPretrainingValues(t *testing.T) {
	var b strings.Builder
	b.WriteString("user,ts,item,promo\n")
	for d := 1; d <= 20; d++ {
		promo := ""
		if d > 10 {
			promo = "p1" // promotions start after the pretraining span
		}
		fmt.Fprintf(&b, "u1,%s,i%d,%s\nu2,%s,i%d,%s\n", dateTime(d, 10), d%3, promo, dateTime(d, 11), d%2, promo)
	}
	dir := t.TempDir()
	o := Options{Format: FormatCSV, In: writeFile(t, dir, "ev.csv", b.String()), Out: filepath.Join(dir, "ds"),
		UserCol: "user", TimeCol: "ts", Tasks: []string{"a=active:3"}}
	windows(&o, [2]int{1, 11}, [2]int{1, 11}, [2]int{6, 16})
	_, _, warnings := importWarnings(t, o)
	wantWarning(t, warnings, "field promo has no value in the pretraining span 2013-05-01..2013-05-11", "out of vocabulary")
	noWarning(t, warnings, "field item")
}
