package ingest

import (
	"errors"
	"fmt"
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

// hintSkip is the advice for a malformed row; hintTime for an unparseable time.
const (
	hintSkip = "fix the row, or pass --skip-bad-rows to skip it"
	hintTime = "fix the row, pass --time-format, or --skip-bad-rows to skip it"
)

func (e *RowError) Error() string {
	where := fmt.Sprintf("%s:%d", e.File, e.Line)
	if e.Row {
		where = fmt.Sprintf("%s: row %d", e.File, e.Line)
	}
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
