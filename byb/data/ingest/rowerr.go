package ingest

import (
	"errors"
	"fmt"
	"unicode/utf8"
)

// RowError is bad input at one row of one file. Its message names the file, the line (or
// the row, for Parquet), what is wrong with which value, and what to do about it.
type RowError struct {
	File string
	Line int  // 1-based line of a text file, or row of a Parquet file
	Row  bool // Line counts rows, not text lines
	Msg  string
	Hint string
}

// hintSkip is the advice for a malformed row; hintTime for an unparseable time; hintUTF8 for
// bytes that are not UTF-8 (a Latin-1 or Windows-1252 export).
const (
	hintSkip = "fix the row, or pass --skip-bad-rows to skip it"
	hintTime = "fix the row, pass --time-format, or --skip-bad-rows to skip it"
	hintUTF8 = "re-encode the file as UTF-8 (e.g. iconv -f latin1 -t utf-8), or pass --skip-bad-rows to skip the row"
)

// position names a row of a file the way errors and warnings show it: file:line for text,
// "file: row N" for Parquet.
func position(file string, line int, row bool) string {
	if row {
		return fmt.Sprintf("%s: row %d", file, line)
	}
	return fmt.Sprintf("%s:%d", file, line)
}

// invalidUTF8 describes a value (what names it) that is not valid UTF-8, or returns "". Such
// bytes must not reach users.txt, the vocabularies or meta.json: they are UTF-8 text, and JSON
// would silently turn the bytes into U+FFFD.
func invalidUTF8(what, v string) string {
	if utf8.ValidString(v) {
		return ""
	}
	return fmt.Sprintf("%s %q is not valid UTF-8", what, v)
}

func (e *RowError) Error() string {
	where := position(e.File, e.Line, e.Row)
	if e.Hint == "" {
		return where + ": " + e.Msg
	}
	return where + ": " + e.Msg + ": " + e.Hint
}

// maxSkipExamples is how many skipped rows are described in meta.json and the summary.
const maxSkipExamples = 5

// badRows decides what happens to a bad row: an error, or (with --skip-bad-rows) a count.
type badRows struct {
	skip     bool
	count    int
	examples []string
}

// add returns err unless rows are skipped; err must be a *RowError for skipping to apply.
// Other errors (I/O) always stop the import.
func (b *badRows) add(err error) error {
	if err == nil { // the common case, before errors.As makes re escape to the heap
		return nil
	}
	var re *RowError
	if !b.skip || !errors.As(err, &re) {
		return err
	}
	b.count++
	if len(b.examples) < maxSkipExamples {
		short := *re
		short.Hint = ""
		b.examples = append(b.examples, short.Error())
	}
	return nil
}
