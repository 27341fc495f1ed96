package ingest

import (
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/format"
)

// parquetSource reads a Parquet file row by row, turning each leaf column's value into a
// string so that the importer treats it like a CSV row: integers and floats in decimal (no
// exponent), strings as is, nulls as "". TIMESTAMP and DATE columns become unix seconds; a
// FLOAT or DOUBLE time column reads as unix seconds (or milliseconds) by its magnitude.
type parquetSource struct {
	path    string
	f       *os.File
	r       *parquet.Reader
	header  []string
	scale   []int64 // per column: >0 = nanoseconds per TIMESTAMP unit; -1 = DATE (days); 0 = as is
	buf     []parquet.Row
	n, i    int
	row     int
	rec     []string
	numRows int64
	lists   []int // columns that hold lists (repeated fields)
}

func openParquet(path string) (*parquetSource, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	pf, err := parquet.OpenFile(f, st.Size())
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("%s: not a readable Parquet file (%v): check --format", path, err)
	}
	s := &parquetSource{path: path, f: f, numRows: pf.NumRows()}
	schema := pf.Schema()
	for _, p := range schema.Columns() {
		s.header = append(s.header, strings.Join(p, "."))
		sc := int64(0)
		if leaf, ok := schema.Lookup(p...); ok {
			sc = timeScale(leaf.Node.Type().LogicalType())
			if leaf.MaxRepetitionLevel > 0 {
				s.lists = append(s.lists, len(s.header)-1)
			}
		}
		s.scale = append(s.scale, sc)
	}
	if len(s.header) == 0 {
		f.Close()
		return nil, fmt.Errorf("%s: the Parquet file has no columns", path)
	}
	if s.numRows == 0 {
		f.Close()
		return nil, fmt.Errorf("%s: the file is empty (no rows): want one row per behavior", path)
	}
	s.r = parquet.NewReader(pf)
	s.buf = make([]parquet.Row, 1024)
	s.rec = make([]string, len(s.header))
	return s, nil
}

// timeScale says how to turn a column's integers into unix seconds: for TIMESTAMP the
// nanoseconds per unit (valueString divides by 1e9/scale), -1 for DATE (days), 0 for anything
// else (left as is).
func timeScale(lt *format.LogicalType) int64 {
	if lt == nil {
		return 0
	}
	switch v := lt.Value.(type) {
	case *format.TimestampType:
		if u := v.Unit.Value; u != nil {
			return int64(u.Duration().Nanoseconds())
		}
	case *format.DateType:
		return -1
	}
	return 0
}

func (s *parquetSource) Header() []string   { return s.header }
func (s *parquetSource) listColumns() []int { return s.lists }
func (s *parquetSource) RowPositions() bool { return true }

func (s *parquetSource) Next() ([]string, int, error) {
	if s.i == s.n {
		n, err := s.r.ReadRows(s.buf)
		if n == 0 {
			if err == nil || err == io.EOF {
				return nil, 0, io.EOF
			}
			return nil, 0, fmt.Errorf("%s: %v", s.path, err)
		}
		s.n, s.i = n, 0
	}
	row := s.buf[s.i]
	s.i++
	s.row++
	for j := range s.rec {
		s.rec[j] = ""
	}
	for _, v := range row {
		c := v.Column()
		if c < 0 || c >= len(s.rec) || v.IsNull() || s.rec[c] != "" {
			continue // a list column the import does not read (checkLists refuses the others)
		}
		s.rec[c] = valueString(v, s.scale[c])
	}
	return s.rec, s.row, nil
}

func valueString(v parquet.Value, scale int64) string {
	switch v.Kind() {
	case parquet.Int32, parquet.Int64:
		n := v.Int64()
		if v.Kind() == parquet.Int32 {
			n = int64(v.Int32())
		}
		switch {
		case scale > 0: // nanoseconds per unit: ms, µs or ns, all divisors of a second
			n = floorDiv(n, 1e9/scale)
		case scale < 0:
			n *= 86400
		}
		return strconv.FormatInt(n, 10)
	case parquet.ByteArray, parquet.FixedLenByteArray:
		return string(v.ByteArray())
	case parquet.Float:
		return formatFloat(float64(v.Float()), 32)
	case parquet.Double:
		return formatFloat(v.Double(), 64)
	}
	return v.String()
}

func (s *parquetSource) Close() error {
	if s.r != nil {
		s.r.Close()
	}
	return s.f.Close()
}

// formatFloat prints a FLOAT or DOUBLE without an exponent, so that a column of unix seconds as
// floats (what pandas writes for times with a fraction) reads as a time: 1367402400.5, not
// v.String()'s 1.3674024005e+09. NaN and ±Inf stay words the time parser names.
func formatFloat(f float64, bits int) string { return strconv.FormatFloat(f, 'f', -1, bits) }
