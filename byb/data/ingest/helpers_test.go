package ingest

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/byb-dev/byb/byb/data"
)

// writeFile writes content to dir/name, gzip-compressed when the name ends in .gz.
func writeFile(t *testing.T, dir, name, content string) string {
	t.Helper()
	path := filepath.Join(dir, name)
	b := []byte(content)
	if strings.HasSuffix(name, ".gz") {
		var buf bytes.Buffer
		zw := gzip.NewWriter(&buf)
		zw.Write(b)
		zw.Close()
		b = buf.Bytes()
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// eventsCSV is a small log: 4 users over 20 days of May 2013, header
// user,ts,item,cat. u1 and u2 are active every day, u3 only in the first 5 days, u4 only
// on day 20.
func eventsCSV(timeOf func(day, hour int) string) string {
	var b strings.Builder
	b.WriteString("user,ts,item,cat\n")
	for d := 1; d <= 20; d++ {
		fmt.Fprintf(&b, "u1,%s,i%d,c%d\n", timeOf(d, 10), d%3, d%2)
		fmt.Fprintf(&b, "u2,%s,i%d,c1\n", timeOf(d, 11), d%4)
		if d <= 5 {
			fmt.Fprintf(&b, "u3,%s,i9,c2\n", timeOf(d, 12))
		}
	}
	fmt.Fprintf(&b, "u4,%s,i1,c0\n", timeOf(20, 9))
	return b.String()
}

func dateTime(day, hour int) string { return fmt.Sprintf("2013-05-%02d %02d:00:00", day, hour) }

// csvOpts are the options of an import of eventsCSV.
func csvOpts(in, out string) Options {
	return Options{Format: FormatCSV, In: in, Out: out, UserCol: "user", TimeCol: "ts", IDCols: []string{"item", "cat"}}
}

func mustImport(t *testing.T, o Options) (*Result, *data.Dataset) {
	t.Helper()
	res, err := Import(o)
	if err != nil {
		t.Fatalf("import: %v", err)
	}
	d, err := data.Load(o.Out)
	if err != nil {
		t.Fatalf("load: %v", err)
	}
	return res, d
}

// importErr runs an import that must fail, checks that the message contains every want,
// and that nothing is left in the output's parent directory but the inputs.
func importErr(t *testing.T, o Options, want ...string) error {
	t.Helper()
	_, err := Import(o)
	if err == nil {
		t.Fatalf("import succeeded, want an error containing %q", want)
	}
	for _, w := range want {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("error %q does not contain %q", err, w)
		}
	}
	assertNoOutput(t, o.Out)
	return err
}

// assertNoOutput checks that a failed import left neither dir nor a temporary directory
// beside it.
func assertNoOutput(t *testing.T, dir string) {
	t.Helper()
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("failed import left %s behind", dir)
	}
	entries, _ := os.ReadDir(filepath.Dir(dir))
	for _, e := range entries {
		if strings.Contains(e.Name(), ".tmp-") {
			t.Errorf("failed import left temporary %s", e.Name())
		}
	}
}

func fieldNames(m *data.Meta) []string {
	var out []string
	for _, f := range m.Fields {
		out = append(out, f.Name)
	}
	return out
}
