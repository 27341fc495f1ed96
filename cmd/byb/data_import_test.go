package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// smallLog writes a CSV log of 3 users over 10 days of May 2013, with one duplicated line.
func smallLog(t *testing.T, dir string) string {
	t.Helper()
	var b strings.Builder
	b.WriteString("user_id,timestamp,item\n")
	for d := 1; d <= 10; d++ {
		for u := 1; u <= 3; u++ {
			fmt.Fprintf(&b, "u%d,2013-05-%02d 10:00:00,i%d\n", u, d, (d+u)%4)
		}
	}
	b.WriteString("u1,2013-05-01 10:00:00,i2\n") // u1's first behavior again
	path := filepath.Join(dir, "log.csv")
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// capture runs f with os.Stdout and os.Stderr sent to files, and returns what it printed.
func capture(t *testing.T, f func() error) (stdout, stderr string, err error) {
	t.Helper()
	dir := t.TempDir()
	out, _ := os.Create(filepath.Join(dir, "stdout"))
	errf, _ := os.Create(filepath.Join(dir, "stderr"))
	oldOut, oldErr := os.Stdout, os.Stderr
	os.Stdout, os.Stderr = out, errf
	err = f()
	os.Stdout, os.Stderr = oldOut, oldErr
	read := func(f *os.File) string {
		f.Seek(0, 0)
		b, _ := io.ReadAll(f)
		f.Close()
		return string(b)
	}
	return read(out), read(errf), err
}

func importArgs(in, out string, more ...string) []string {
	return append([]string{"--format", "csv", "--in", in, "--out", out, "--tracking", "off", "--task", "a=active:2"}, more...)
}

// --max-vocab 0 given on the command line is an error; left out, the default cap applies.
func TestDataImportExplicitMaxVocabZero(t *testing.T) {
	dir := t.TempDir()
	in := smallLog(t, dir)
	_, _, err := capture(t, func() error { return runDataImport(importArgs(in, filepath.Join(dir, "ds"), "--max-vocab", "0")) })
	if err == nil || !strings.Contains(err.Error(), "--max-vocab 0 would keep no value; use -1 for no cap or leave it out for the default 1,000,000") {
		t.Fatalf("--max-vocab 0: %v", err)
	}
	if _, _, err := capture(t, func() error { return runDataImport(importArgs(in, filepath.Join(dir, "ds"))) }); err != nil {
		t.Fatal(err)
	}
}

// A second import into the same --out is refused unless --force, which --help documents.
func TestDataImportForce(t *testing.T) {
	dir := t.TempDir()
	in, out := smallLog(t, dir), filepath.Join(dir, "ds")
	run := func(more ...string) error {
		_, _, err := capture(t, func() error { return runDataImport(importArgs(in, out, more...)) })
		return err
	}
	if err := run(); err != nil {
		t.Fatal(err)
	}
	if err := run(); err == nil || !strings.Contains(err.Error(), "--force") {
		t.Fatalf("second import: %v", err)
	}
	if err := run("--force"); err != nil {
		t.Fatalf("--force: %v", err)
	}
	_, help, _ := capture(t, func() error { return runDataImport([]string{"--help"}) })
	for _, s := range []string{"-force", "warning: ", "--max-vocab 0"} {
		if !strings.Contains(help, s) {
			t.Errorf("--help lacks %q", s)
		}
	}
}

// The import's warnings are printed as "warning: " lines, and `byb data stats` repeats them
// from meta.json, in its text and in its JSON.
func TestDataStatsRepeatsImportWarnings(t *testing.T) {
	dir := t.TempDir()
	in, out := smallLog(t, dir), filepath.Join(dir, "ds")
	_, stderr, err := capture(t, func() error { return runDataImport(importArgs(in, out)) })
	if err != nil {
		t.Fatal(err)
	}
	const dup = "1 duplicate behaviors"
	if !strings.Contains(stderr, "warning: "+dup) {
		t.Fatalf("import printed no duplicate warning:\n%s", stderr)
	}
	stdout, _, err := capture(t, func() error { return runDataStats([]string{out}) })
	if err != nil || !strings.Contains(stdout, "warning: "+dup) {
		t.Fatalf("data stats (%v):\n%s", err, stdout)
	}
	// The default windows end pretraining where the finetune labels start: BYB's targets are
	// counted as pretraining will read them, from a span cut one day short.
	if want := "so that they end where the finetune labels start"; !strings.Contains(stdout, want) {
		t.Errorf("data stats does not say the pretraining span is cut (%q):\n%s", want, stdout)
	}
	stdout, _, err = capture(t, func() error { return runDataStats([]string{out, "--json"}) })
	if err != nil || !strings.Contains(stdout, `"warnings": [`) || !strings.Contains(stdout, dup) {
		t.Fatalf("data stats --json (%v):\n%s", err, stdout)
	}
}

// --max-memory takes a size (or none); anything else is an error that names the flag.
func TestDataImportMaxMemory(t *testing.T) {
	dir := t.TempDir()
	in := smallLog(t, dir)
	_, _, err := capture(t, func() error { return runDataImport(importArgs(in, filepath.Join(dir, "bad"), "--max-memory", "lots")) })
	if err == nil || !strings.Contains(err.Error(), `--max-memory "lots": want a size such as 512MiB`) {
		t.Fatalf("--max-memory lots: %v", err)
	}
	for i, size := range []string{"1KiB", "none"} {
		out := filepath.Join(dir, fmt.Sprintf("ds%d", i))
		if _, _, err := capture(t, func() error { return runDataImport(importArgs(in, out, "--max-memory", size)) }); err != nil {
			t.Fatalf("--max-memory %s: %v", size, err)
		}
	}
}
