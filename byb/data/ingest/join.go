package ingest

import (
	"bufio"
	"compress/gzip"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// Join is an attribute table joined onto every behavior by one of its ID fields, before the
// vocabularies are built: `--join products.csv:PRODUCT_ID` gives each behavior the other
// columns of its product's row (department, commodity, brand, ...) as more ID fields, so a
// user does not write the join.
type Join struct {
	Path string
	Key  string   // a column of the table and an ID field of the behaviors
	Cols []string // the table's columns to add (default: every column but the key)
}

// ParseJoin reads FILE:KEY or FILE:KEY:COL1,COL2 (the path cannot contain ':').
func ParseJoin(s string) (Join, error) {
	parts := strings.Split(s, ":")
	if len(parts) < 2 || len(parts) > 3 || parts[0] == "" || parts[1] == "" {
		return Join{}, fmt.Errorf("--join %q: want FILE:KEY or FILE:KEY:COL1,COL2 (KEY: the column the table and the behaviors share)", s)
	}
	j := Join{Path: parts[0], Key: parts[1]}
	if len(parts) == 3 {
		for _, c := range strings.Split(parts[2], ",") {
			if c = strings.TrimSpace(c); c != "" {
				j.Cols = append(j.Cols, c)
			}
		}
	}
	return j, nil
}

// noMatch is the error of a join whose table matched no behavior's key: the fields it adds
// would all be empty, which is a wrong key column or differently written ids, not data.
func (a *attributes) noMatch() error {
	var table []string
	for k := range a.rows {
		if table = append(table, k); len(table) == 3 {
			break
		}
	}
	slices.Sort(table)
	return fmt.Errorf("--join %s:%s matched no behavior: the log's %s values look like %q, the table's like %q; check that both write the same ids (leading zeros, a prefix, 12 against 12.0) and that %s is the right column",
		a.join.Path, a.join.Key, a.join.Key, a.unmatched, table, a.join.Key)
}

// moveJoinIDCols lets --id-cols name a column that only a --join table has (what a user
// types first): such a name leaves --id-cols and becomes one of that table's columns to add.
// A name neither the log nor any table has stays, for bind's error.
func moveJoinIDCols(o *Options, logHeader []string) error {
	if len(o.Joins) == 0 || len(o.IDCols) == 0 {
		return nil
	}
	o.Joins = slices.Clone(o.Joins) // the caller's stay as given
	headers := make([][]string, len(o.Joins))
	for i, j := range o.Joins {
		src, err := openTable(j.Path)
		if err != nil {
			return fmt.Errorf("--join %s: %v", j.Path, err)
		}
		headers[i] = src.Header()
		src.Close()
	}
	var keep []string
	for _, name := range o.IDCols {
		if _, err := findColumn(logHeader, name, "", ""); err == nil {
			keep = append(keep, name)
			continue
		}
		moved := false
		for i := range o.Joins {
			if _, err := findColumn(headers[i], name, "", ""); err == nil && !strings.EqualFold(name, o.Joins[i].Key) {
				o.Joins[i].Cols = append(o.Joins[i].Cols, name)
				moved = true
				break
			}
		}
		if !moved {
			keep = append(keep, name)
		}
	}
	o.IDCols = keep
	return nil
}

// attributes is a read attribute table: for every key value, the values of the added columns.
type attributes struct {
	join  Join
	names []string            // the added fields' names
	rows  map[string][]string // key value → one value per added field
	// unmatched are the first few key values of the log that the table lacks, for the
	// message of a join that matches nothing.
	unmatched []string
}

// readAttributes reads an attribute table (CSV or TSV, plain or gzip, or Parquet) with a
// header. A key given twice with different attributes is bad input (file:line), failing or,
// with skipBad, counted and the first row kept.
func readAttributes(j Join, skipBad bool) (*attributes, int, error) {
	src, err := openTable(j.Path)
	if err != nil {
		return nil, 0, fmt.Errorf("--join %s: %v", j.Path, err)
	}
	defer src.Close()
	header := src.Header()
	key, err := findColumn(header, j.Key, "--join FILE:KEY", j.Path)
	if err != nil {
		return nil, 0, err
	}
	var cols []int
	if len(j.Cols) == 0 {
		for i := range header {
			if i != key && !rowNamesColumn(header, i) {
				cols = append(cols, i)
			}
		}
	}
	for _, c := range j.Cols {
		i, err := findColumn(header, c, "--join FILE:KEY:COLS", j.Path)
		if err != nil {
			return nil, 0, err
		}
		cols = append(cols, i)
	}
	if len(cols) == 0 {
		return nil, 0, fmt.Errorf("--join %s: the table has no column besides %s to add", j.Path, j.Key)
	}
	a := &attributes{join: j, rows: map[string][]string{}}
	for _, c := range cols {
		a.names = append(a.names, fieldName(header[c]))
	}
	bad := badRows{skip: skipBad}
	for {
		rec, line, err := src.Next()
		if err == io.EOF {
			break
		}
		if err == nil && len(rec) != len(header) {
			err = &RowError{File: j.Path, Line: line, Row: src.RowPositions(), Hint: hintSkip,
				Msg: fmt.Sprintf("row has %d columns, the header has %d", len(rec), len(header))}
		}
		if err == nil {
			err = a.add(rec, key, cols, line, src.RowPositions())
		}
		if err := bad.add(err); err != nil {
			return nil, 0, err
		}
	}
	return a, bad.count, nil
}

func (a *attributes) add(rec []string, key int, cols []int, line int, rowPos bool) error {
	k := strings.TrimSpace(rec[key])
	if k == "" {
		return &RowError{File: a.join.Path, Line: line, Row: rowPos, Hint: hintSkip, Msg: "empty " + a.join.Key}
	}
	if msg := invalidUTF8(a.join.Key, k); msg != "" {
		return &RowError{File: a.join.Path, Line: line, Row: rowPos, Hint: hintUTF8, Msg: msg}
	}
	vals := make([]string, len(cols))
	for i, c := range cols {
		if vals[i] = strings.TrimSpace(rec[c]); missingValue(vals[i]) {
			vals[i] = "" // no ID, as for a key the table lacks
		}
		if msg := invalidUTF8(a.names[i], vals[i]); msg != "" {
			return &RowError{File: a.join.Path, Line: line, Row: rowPos, Hint: hintUTF8, Msg: msg}
		}
	}
	if old, ok := a.rows[k]; ok {
		for i := range vals {
			if vals[i] != old[i] {
				return &RowError{File: a.join.Path, Line: line, Row: rowPos, Hint: hintSkip,
					Msg: fmt.Sprintf("%s %q given twice with different attributes (%s %q, then %q)", a.join.Key, k, a.names[i], old[i], vals[i])}
			}
		}
		return nil
	}
	a.rows[strings.Clone(k)] = vals
	return nil
}

// openTable opens a side table with a header: Parquet by its extension, else delimited text
// (plain or gzip) with a sniffed separator.
func openTable(path string) (source, error) {
	if strings.EqualFold(filepath.Ext(path), ".parquet") {
		return openParquet(path)
	}
	delim, err := sniffDelimiter(path)
	if err != nil {
		return nil, err
	}
	return openCSV(path, delim)
}

// sniffDelimiter picks a text table's separator: tab for .tsv, else whichever of , ; | tab
// its header line holds most of (comma when none).
func sniffDelimiter(path string) (rune, error) {
	if strings.EqualFold(filepath.Ext(strings.TrimSuffix(path, ".gz")), ".tsv") {
		return '\t', nil
	}
	line, err := firstLine(path)
	if err != nil {
		return 0, err
	}
	if d, n := likelyDelimiter(line); n > 0 {
		return d, nil
	}
	return ',', nil
}

// firstLine is the first line of a text file, plain or gzip.
func firstLine(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	br := bufio.NewReader(f)
	var r io.Reader = br
	if magic, _ := br.Peek(2); len(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b {
		gz, err := gzip.NewReader(br)
		if err != nil {
			return "", fmt.Errorf("%s: %v", path, err)
		}
		defer gz.Close()
		r = gz
	}
	line, err := bufio.NewReader(r).ReadString('\n')
	if err != nil && err != io.EOF {
		return "", fmt.Errorf("%s: %v", path, err)
	}
	return line, nil
}

// likelyDelimiter returns whichever of , tab ; | a header line holds most of outside double
// quotes (R's write.csv and pandas' QUOTE_ALL quote every name), and how many times (0: none).
func likelyDelimiter(line string) (rune, int) {
	var unquoted strings.Builder
	in := false
	for _, r := range line {
		if r == '"' {
			in = !in
			continue
		}
		if !in {
			unquoted.WriteRune(r)
		}
	}
	best, n := ',', 0
	for _, d := range []rune{',', '\t', ';', '|'} {
		if c := strings.Count(unquoted.String(), string(d)); c > n {
			best, n = d, c
		}
	}
	return best, n
}

// missingValue reports whether a side table's value means "no value": empty, or the missing
// markers R (NA), pandas (NaN, <NA>), Spark and databases (NULL, null) write.
func missingValue(v string) bool {
	switch v {
	case "", "NA", "NaN", "nan", "<NA>", "NULL", "null", "N/A":
		return true
	}
	return false
}

// rowNamesColumn reports whether header's column i is the unnamed row-name (R) or index
// (pandas) column that write.csv and to_csv put first: it is no attribute.
func rowNamesColumn(header []string, i int) bool {
	return i == 0 && strings.TrimSpace(header[0]) == "" && len(header) > 1
}

// joinAttributes extends m: after its own ID fields, every table's added fields, filled from
// the row of the behavior's key value. A key value the table lacks leaves them empty (no ID);
// missing counts such behaviors per table, for the import's notes.
func joinAttributes(m *mapping, tables []*attributes, file string) (missing []int, err error) {
	base := len(m.fields)
	keys := make([]int, len(tables))
	for t, a := range tables {
		keys[t] = -1
		for i, f := range m.fields[:base] {
			if f == fieldName(a.join.Key) || strings.EqualFold(f, a.join.Key) {
				keys[t] = i
			}
		}
		if keys[t] < 0 {
			return nil, fmt.Errorf("--join %s:%s: %s has no ID field %s (fields: %s): pass the shared column in --id-cols",
				a.join.Path, a.join.Key, file, a.join.Key, strings.Join(m.fields[:base], ", "))
		}
		for _, name := range a.names {
			for _, f := range m.fields {
				if f == name {
					name = fieldName(strings.TrimSuffix(filepath.Base(a.join.Path), filepath.Ext(a.join.Path))) + "_" + name
				}
			}
			m.fields = append(m.fields, name)
		}
	}
	missing = make([]int, len(tables))
	inner := m.values
	m.values = func(rec []string, out []string) error {
		if err := inner(rec, out[:base]); err != nil {
			return err
		}
		at := base
		for t, a := range tables {
			key := out[keys[t]]
			row, ok := a.rows[key]
			if !ok && key != "" {
				missing[t]++
				if len(a.unmatched) < 3 && !slices.Contains(a.unmatched, key) {
					a.unmatched = append(a.unmatched, strings.Clone(key))
				}
			}
			for i := range a.names {
				out[at+i] = ""
				if ok {
					out[at+i] = row[i]
				}
			}
			at += len(a.names)
		}
		return nil
	}
	return missing, nil
}
