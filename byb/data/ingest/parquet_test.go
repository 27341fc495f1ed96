package ingest

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/byb-dev/byb/byb/data"
	"github.com/parquet-go/parquet-go"
)

type pqEvent struct {
	User  string `parquet:"user"`
	TS    int64  `parquet:"ts"`                          // unix seconds
	WhenM int64  `parquet:"when,timestamp(millisecond)"` // the same time as a TIMESTAMP column
	Item  int32  `parquet:"item"`
	Cat   string `parquet:"cat,optional"`
}

func writeParquet(t *testing.T, path string, rows []pqEvent) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	w := parquet.NewGenericWriter[pqEvent](f)
	if _, err := w.Write(rows); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	f.Close()
}

func pqEvents() []pqEvent {
	var rows []pqEvent
	for d := 1; d <= 20; d++ {
		for u, name := range []string{"alice", "bob"} {
			ts := utc(dateTime(d, 10+u))
			cat := "c1"
			if d%5 == 0 {
				cat = "" // null
			}
			rows = append(rows, pqEvent{User: name, TS: ts, WhenM: ts * 1000, Item: int32(d % 4), Cat: cat})
		}
	}
	return rows
}

func TestImportParquet(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "events.parquet")
	writeParquet(t, in, pqEvents())
	o := Options{Format: FormatParquet, In: in, Out: filepath.Join(dir, "ds"), UserCol: "user", TimeCol: "ts", IDCols: []string{"item", "cat"},
		Tasks: []string{"a=active:3"}}
	res, d := mustImport(t, o)
	if d.Meta.Users != 2 || d.Meta.Events != 40 || res.TimeFormat != TimeUnix || d.Meta.First != utc(dateTime(1, 10)) {
		t.Fatalf("users %d events %d time %s first %d", d.Meta.Users, d.Meta.Events, res.TimeFormat, d.Meta.First)
	}
	if got := fieldNames(d.Meta); !reflect.DeepEqual(got, []string{"item", "cat"}) {
		t.Fatalf("fields %v", got)
	}
	noCat := 0
	for e := 0; e < 40; e++ {
		if d.IDs[e*2+1] == data.NoID {
			noCat++
		}
	}
	if noCat != 8 {
		t.Fatalf("%d null categories, want 8", noCat)
	}

	// A TIMESTAMP(millisecond) column reads as unix seconds.
	o.TimeCol, o.Out = "when", filepath.Join(dir, "ds2")
	_, d2 := mustImport(t, o)
	if !reflect.DeepEqual(d2.Times, d.Times) {
		t.Fatal("TIMESTAMP column: times differ from the unix-seconds column")
	}

	o.TimeCol, o.Out = "time", filepath.Join(dir, "ds3")
	importErr(t, o, `no column "time" (columns: user, ts, when, item, cat)`, "--time-col")
	o.TimeCol, o.TimeFormat = "ts", TimeDateTime
	importErr(t, o, "events.parquet: row 1:", `time "1367402400" is not a time in format YYYY-MM-DD`, "--time-format")

	o.TimeFormat = ""
	empty := filepath.Join(dir, "empty.parquet")
	writeParquet(t, empty, nil)
	o.In = empty
	importErr(t, o, "empty.parquet: the file is empty")
	notPq := writeFile(t, dir, "x.parquet", "user,ts\n")
	o.In = notPq
	importErr(t, o, "not a readable Parquet file", "--format")
}

func TestImportParquetSkipBadRows(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "events.parquet")
	rows := pqEvents()
	rows[3].User = ""
	writeParquet(t, in, rows)
	o := Options{Format: FormatParquet, In: in, Out: filepath.Join(dir, "ds"), UserCol: "user", TimeCol: "ts"}
	importErr(t, o, "events.parquet: row 4: empty user id in column user")
	o.SkipBadRows = true
	res, d := mustImport(t, o)
	if res.Skipped != 1 || d.Meta.Events != 39 || d.Meta.SkipExamples[0] != in+": row 4: empty user id in column user" {
		t.Fatalf("skipped %d events %d examples %v", res.Skipped, d.Meta.Events, d.Meta.SkipExamples)
	}
	// Without --id-cols every other column is a field, the TIMESTAMP copy included.
	if got := fieldNames(d.Meta); !reflect.DeepEqual(got, []string{"when", "item", "cat"}) {
		t.Fatalf("fields %v", got)
	}
}

type pqListEvent struct {
	User string   `parquet:"user"`
	TS   int64    `parquet:"ts"`
	Item int32    `parquet:"item"`
	Tags []string `parquet:"tags,list"`
}

// A Parquet list column among the columns read is refused, saying how to explode it (its
// first element used to be kept and the rest dropped, silently); one left out of --id-cols
// does not stop the import.
func TestImportParquetListColumns(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "lists.parquet")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	w := parquet.NewGenericWriter[pqListEvent](f)
	var rows []pqListEvent
	for d := 1; d <= 20; d++ {
		rows = append(rows, pqListEvent{User: "alice", TS: utc(dateTime(d, 10)), Item: int32(d % 3), Tags: []string{"a", "b"}})
	}
	if _, err := w.Write(rows); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	f.Close()
	o := Options{Format: FormatParquet, In: path, Out: filepath.Join(dir, "ds"), UserCol: "user", TimeCol: "ts", Tasks: []string{}}
	if _, err := Import(o); err == nil || !strings.Contains(err.Error(), "holds lists") || !strings.Contains(err.Error(), "explode") {
		t.Fatalf("every column read, a list among them: %v", err)
	}
	o.Out, o.IDCols = filepath.Join(dir, "ds2"), []string{"item"}
	if _, err := Import(o); err != nil {
		t.Fatalf("the list column left out of --id-cols: %v", err)
	}
}
