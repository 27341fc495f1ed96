package experiments

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/byb-dev/byb/byb/params"
)

// The ETA times pretrainings and cells apart: after one 100 s pretraining and one 10 s cell,
// with one pretraining and three cells left, it is 3×10 s + 100 s, not the whole elapsed
// time per cell (which would say 4 × 110 s).
func TestCellProgressETASeparatesPretraining(t *testing.T) {
	var log bytes.Buffer
	p := &cellProgress{c: Config{Log: &log}, name: "t", start: time.Now().Add(-110 * time.Second), total: 4, pretrainings: 2}
	p.pretrainDone(100*time.Second, false)
	p.pretrainDone(0, true) // a reused one neither costs nor counts as trained
	p.pretrainings = 3
	p.done("a cell")
	m := regexp.MustCompile(`cell 1/4, ETA (\S+):`).FindStringSubmatch(log.String())
	if m == nil {
		t.Fatalf("no ETA in %q", log.String())
	}
	eta, err := time.ParseDuration(m[1])
	if err != nil {
		t.Fatal(err)
	}
	if want := 130 * time.Second; eta < want-2*time.Second || eta > want+2*time.Second {
		t.Errorf("ETA %v, want about %v (3 cells of 10 s and one pretraining of 100 s)", eta, want)
	}
}

// A table is never overwritten with less: a run whose table holds fewer values than the one
// on disk (a few rows beside the whole table) writes NAME.partial.md and .csv instead.
func TestTablePathsKeepTheFullerTable(t *testing.T) {
	out := t.TempDir()
	three := "header\na\nb\nc\n"
	md, csv, kept := tablePaths(out, "table2", three)
	if kept != "" || filepath.Base(md) != "table2.md" || filepath.Base(csv) != "table2.csv" {
		t.Fatalf("no table yet: %s %s %q", md, csv, kept)
	}
	if err := os.WriteFile(csv, []byte(three), 0o644); err != nil {
		t.Fatal(err)
	}
	md, csv, kept = tablePaths(out, "table2", "header\na\n")
	if filepath.Base(md) != "table2.partial.md" || filepath.Base(csv) != "table2.partial.csv" || !strings.Contains(kept, "holds 3 values and this run 1") {
		t.Fatalf("a smaller table: %s %s %q", md, csv, kept)
	}
	if md, _, kept = tablePaths(out, "table2", three+"d\n"); kept != "" || filepath.Base(md) != "table2.md" {
		t.Fatalf("a fuller table replaces it: %s %q", md, kept)
	}
}

// A pretraining's directory is named by its configuration, not by how its settings are spelt:
// the same values in another order or notation share it, another value does not.
func TestPretrainDirIsKeyedByConfiguration(t *testing.T) {
	a := pretrainDir("runs", "data/x", "byb", params.MustParse("max_len=128;batch_size=32;steps=1000;seed=0"), 0)
	for _, same := range []string{"batch_size=32;max_len=128;steps=1000;seed=0", "max_len=128;batch_size=32;steps=1000;seed=0;learning_rate=1e-3", "steps=300;max_len=128;batch_size=32;steps=1000"} {
		if b := pretrainDir("runs", "data/x", "byb", params.MustParse(same), 0); b != a {
			t.Errorf("%q → %s; want %s, the same configuration's", same, b, a)
		}
	}
	if b := pretrainDir("runs", "data/x", "byb", params.MustParse("max_len=128;batch_size=32;steps=1001;seed=0"), 0); b == a {
		t.Error("another number of steps must be another directory")
	}
}
