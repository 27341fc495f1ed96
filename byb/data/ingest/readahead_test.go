package ingest

import (
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/iotest"
)

func TestReadahead(t *testing.T) {
	want := bytes.Repeat([]byte("0123456789abcdef"), 300_000) // several blocks, not a multiple
	ra := newReadahead(iotest.HalfReader(bytes.NewReader(want)))
	got, err := io.ReadAll(ra)
	ra.Close()
	if err != nil || !bytes.Equal(got, want) {
		t.Fatalf("read %d bytes, err %v", len(got), err)
	}
	boom := errors.New("boom")
	ra = newReadahead(io.MultiReader(bytes.NewReader(want[:100]), iotest.ErrReader(boom)))
	if _, err := io.ReadAll(ra); err != boom {
		t.Fatalf("err %v, want boom", err)
	}
	ra.Close()
	// Closing before the end stops the goroutine.
	ra = newReadahead(bytes.NewReader(want))
	ra.Read(make([]byte, 10))
	ra.Close()
}

// A gzip file cut short (an interrupted download) fails, even with --skip-bad-rows, and says
// that the file is truncated after which line, not "unexpected EOF".
func TestImportTruncatedGzip(t *testing.T) {
	dir := t.TempDir()
	full := writeFile(t, dir, "full.csv.gz", strings.Repeat(eventsCSV(dateTime), 50))
	b, _ := os.ReadFile(full)
	in := filepath.Join(dir, "cut.csv.gz")
	os.WriteFile(in, b[:len(b)/2], 0o644)
	// The complete lines in what the first half decompresses to.
	zr, err := gzip.NewReader(bytes.NewReader(b[:len(b)/2]))
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(zr)
	if err != io.ErrUnexpectedEOF {
		t.Fatalf("reading half a gzip file: %v", err)
	}
	o := csvOpts(in, filepath.Join(dir, "ds"))
	o.SkipBadRows = true // an I/O error is never skipped
	importErr(t, o, in+": the gzip file is truncated", fmt.Sprintf("after line %d", bytes.Count(got, []byte("\n"))), "download or copy it again")
}
