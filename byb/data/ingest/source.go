package ingest

import (
	"bufio"
	"compress/gzip"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
)

// source yields the rows of one input file after its header. Rows may be reused by the
// next call (csv.Reader.ReuseRecord): callers copy what they keep (data.Builder does).
type source interface {
	Header() []string
	// Next returns the next row and its position; io.EOF at the end. A malformed row is a
	// *RowError and the source stays usable.
	Next() ([]string, int, error)
	// RowPositions reports whether positions are rows (Parquet) rather than text lines.
	RowPositions() bool
	Close() error
}

// csvSource reads a delimited text file, plain or gzip (recognised by its magic bytes, so
// the name does not matter).
type csvSource struct {
	path   string
	f      *os.File
	gz     *gzip.Reader
	ra     *readahead
	r      *csv.Reader
	header []string
	line   int // line of the last row read, for the message of a truncated file
}

func openCSV(path string, delim rune) (*csvSource, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	s := &csvSource{path: path, f: f}
	br := bufio.NewReaderSize(f, 1<<20)
	var in io.Reader = br
	if magic, _ := br.Peek(2); len(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b {
		if s.gz, err = gzip.NewReader(br); err != nil {
			f.Close()
			return nil, fmt.Errorf("%s: %v", path, err)
		}
		s.ra = newReadahead(s.gz)
		in = bufio.NewReaderSize(s.ra, 1<<16)
	}
	s.r = csv.NewReader(in)
	s.r.Comma = delim
	s.r.FieldsPerRecord = -1 // row lengths are checked by the importer, with a better message
	s.r.ReuseRecord = true
	if delim == '\t' {
		s.r.LazyQuotes = true // tab-separated files (RecBole) do not quote
	}
	h, err := s.r.Read()
	if err == io.EOF {
		s.Close()
		return nil, fmt.Errorf("%s: the file is empty: want a header line naming the columns, then one row per behavior", path)
	}
	if err != nil {
		s.Close()
		if s.truncated(err) {
			return nil, s.readError(err)
		}
		return nil, fmt.Errorf("%s: header: %v", path, err)
	}
	s.header = append([]string(nil), h...)
	if len(s.header) > 0 { // a UTF-8 byte-order mark would become part of the first name
		s.header[0] = trimBOM(s.header[0])
	}
	return s, nil
}

func trimBOM(s string) string {
	if len(s) >= 3 && s[0] == 0xef && s[1] == 0xbb && s[2] == 0xbf {
		return s[3:]
	}
	return s
}

func (s *csvSource) Header() []string   { return s.header }
func (s *csvSource) RowPositions() bool { return false }

func (s *csvSource) Next() ([]string, int, error) {
	rec, err := s.r.Read()
	if err != nil {
		var pe *csv.ParseError
		if errors.As(err, &pe) {
			return nil, pe.StartLine, &RowError{File: s.path, Line: pe.StartLine, Msg: pe.Err.Error(), Hint: hintSkip}
		}
		if err != io.EOF {
			err = s.readError(err)
		}
		return nil, 0, err
	}
	s.line, _ = s.r.FieldPos(0)
	return rec, s.line, nil
}

// truncated reports whether err is a gzip stream that ends early: an interrupted download or
// copy, which gzip reports as a bare "unexpected EOF".
func (s *csvSource) truncated(err error) bool {
	return s.gz != nil && errors.Is(err, io.ErrUnexpectedEOF)
}

// readError names the file in an I/O error, and says what a truncated gzip file is.
func (s *csvSource) readError(err error) error {
	if !s.truncated(err) {
		return fmt.Errorf("%s: %v", s.path, err)
	}
	where := fmt.Sprintf("after line %d, the last complete one read", s.line)
	if s.line == 0 {
		where = "within the header"
	}
	return fmt.Errorf("%s: the gzip file is truncated: it ends %s: download or copy it again", s.path, where)
}

func (s *csvSource) Close() error {
	if s.ra != nil {
		s.ra.Close()
	}
	if s.gz != nil {
		s.gz.Close()
	}
	return s.f.Close()
}
