package ingest

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// A directory of shards (as Spark writes them: part files, one gzipped, and a _SUCCESS
// marker) imports in one command as the same dataset as the log in one file; a bad row
// names its shard and line; a shard with other columns is refused.
func TestImportShardedCSVDirectory(t *testing.T) {
	dir := t.TempDir()
	whole := eventsCSV(dateTime)
	single := writeFile(t, dir, "events.csv", whole)
	lines := strings.SplitAfter(strings.TrimSuffix(whole, "\n"), "\n")
	header, rows := lines[0], lines[1:]
	shards := filepath.Join(dir, "export")
	if err := os.Mkdir(shards, 0o755); err != nil {
		t.Fatal(err)
	}
	third := len(rows) / 3
	writeFile(t, shards, "part-00000.csv", header+strings.Join(rows[:third], ""))
	writeFile(t, shards, "part-00001.csv.gz", header+strings.Join(rows[third:2*third], ""))
	writeFile(t, shards, "part-00002.csv", header+strings.Join(rows[2*third:], "")+"\n")
	writeFile(t, shards, "_SUCCESS", "")

	_, want := mustImport(t, csvOpts(single, filepath.Join(dir, "one")))
	res, got := mustImport(t, csvOpts(shards, filepath.Join(dir, "sharded")))
	if res.Rows != len(rows) || !slices.Equal(got.Users, want.Users) || !slices.Equal(got.Times, want.Times) || !slices.Equal(got.IDs, want.IDs) {
		t.Fatalf("sharded import: %d rows (want %d), users %v (want %v), or its behaviors differ", res.Rows, len(rows), got.Users, want.Users)
	}
	if got.Meta.Name != "export" {
		t.Errorf("dataset name %q, want the directory's, export", got.Meta.Name)
	}

	writeFile(t, shards, "part-00002.csv", header+"u9,not-a-time,i1,c1\n")
	_, err := Import(csvOpts(shards, filepath.Join(dir, "bad")))
	if err == nil || !strings.Contains(err.Error(), filepath.Join(shards, "part-00002.csv")+":2: time") {
		t.Errorf("bad row in the third shard: %v, want it named with its line", err)
	}

	writeFile(t, shards, "part-00002.csv", "user,ts,item\nu9,2013-05-01 10:00:00,i1\n")
	_, err = Import(csvOpts(shards, filepath.Join(dir, "other")))
	if err == nil || !strings.Contains(err.Error(), "part-00002.csv: header") || !strings.Contains(err.Error(), "must have the same columns") {
		t.Errorf("shard with other columns: %v", err)
	}

	empty := filepath.Join(dir, "empty")
	os.Mkdir(empty, 0o755)
	writeFile(t, empty, "_SUCCESS", "")
	if _, err := Import(csvOpts(empty, filepath.Join(dir, "none"))); err == nil || !strings.Contains(err.Error(), "a directory with no data files") {
		t.Errorf("directory without shards: %v", err)
	}
}

// Parquet shards read the same way.
func TestImportShardedParquetDirectory(t *testing.T) {
	dir := t.TempDir()
	rows := pqEvents()
	single := filepath.Join(dir, "events.parquet")
	writeParquet(t, single, rows)
	shards := filepath.Join(dir, "export")
	os.Mkdir(shards, 0o755)
	writeParquet(t, filepath.Join(shards, "part-0.parquet"), rows[:15])
	writeParquet(t, filepath.Join(shards, "part-1.parquet"), rows[15:])
	opts := func(in, out string) Options {
		return Options{Format: FormatParquet, In: in, Out: filepath.Join(dir, out), UserCol: "user", TimeCol: "ts", IDCols: []string{"item", "cat"}, Tasks: []string{"a=active:3"}}
	}
	_, want := mustImport(t, opts(single, "one"))
	_, got := mustImport(t, opts(shards, "sharded"))
	if !slices.Equal(got.Times, want.Times) || !slices.Equal(got.IDs, want.IDs) || got.Meta.Events != 40 {
		t.Fatalf("sharded Parquet: %d behaviors, or they differ from the single file's", got.Meta.Events)
	}
}

// Spark writes a 0-byte part file for every empty partition: the import skips it with a note
// (it used to panic on the nil source it left behind), in first or later position. A file
// that is no shard (a README.txt sorted first) is named in the error, not blamed on
// --user-col of the directory.
func TestImportShardsSkipsEmptyPartsAndNamesStrayFiles(t *testing.T) {
	dir := t.TempDir()
	whole := eventsCSV(dateTime)
	lines := strings.SplitAfter(strings.TrimSuffix(whole, "\n"), "\n")
	header, rows := lines[0], lines[1:]
	shards := filepath.Join(dir, "export")
	if err := os.Mkdir(shards, 0o755); err != nil {
		t.Fatal(err)
	}
	writeFile(t, shards, "part-00000.csv", "")
	writeFile(t, shards, "part-00001.csv", header+strings.Join(rows[:len(rows)/2], ""))
	writeFile(t, shards, "part-00002.csv", "")
	writeFile(t, shards, "part-00003.csv", header+strings.Join(rows[len(rows)/2:], ""))
	writeFile(t, shards, "part-00004.csv", "")
	res, got := mustImport(t, csvOpts(shards, filepath.Join(dir, "out")))
	if res.Rows != len(rows) || len(got.Users) == 0 {
		t.Fatalf("%d rows imported, want %d", res.Rows, len(rows))
	}
	note := strings.Join(res.Notes, "\n")
	if !strings.Contains(note, "3 empty shards") || !strings.Contains(note, "part-00000.csv") {
		t.Errorf("notes do not say that 3 empty shards were skipped:\n%s", note)
	}

	writeFile(t, shards, "README.txt", "This export was made by the nightly job.\nAsk the data team.\n")
	_, err := Import(csvOpts(shards, filepath.Join(dir, "stray")))
	if err == nil || !strings.Contains(err.Error(), "README.txt") {
		t.Errorf("a stray README.txt among the shards: %v, want an error naming it", err)
	}
}
