package ingest

import (
	"fmt"
	"strings"
)

// mapping says how one input row becomes a behavior of a data.Builder.
type mapping struct {
	fields []string // ID field names, one per value
	user   int      // column of the user id
	time   int      // column of the time
	need   int      // number of columns a row must have
	// values fills one raw value per field from a row; its error is a message without
	// position (the importer adds file and line).
	values func(rec []string, out []string) error
	// skip, when set, leaves rows out by design (not bad input), e.g. Online Retail lines
	// without a customer; skipWhy says so in the summary.
	skip    func(rec []string) bool
	skipWhy string
	// columns are the columns the mapping reads (user, time and IDs), where known.
	columns []int
}

// findColumn returns the index of a column by exact name, else case-insensitively; the
// error lists the columns that exist and names the flag that chooses one.
func findColumn(header []string, name, flag, file string) (int, error) {
	for i, h := range header {
		if h == name {
			return i, nil
		}
	}
	for i, h := range header {
		if strings.EqualFold(h, name) {
			return i, nil
		}
	}
	return -1, fmt.Errorf("%s: no column %q (columns: %s): pass %s with one of them", file, name, strings.Join(header, ", "), flag)
}

// fieldName turns a column name into a field name usable as a file name (vocab/FIELD.tsv).
func fieldName(col string) string {
	b := []byte(col)
	for i, c := range b {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-' || c == '.') {
			b[i] = '_'
		}
	}
	if len(b) == 0 || b[0] == '.' {
		b = append([]byte("f"), b...)
	}
	return string(b)
}

// columnsSpec names the columns of a row-per-behavior file; empty entries take defaults.
type columnsSpec struct {
	user, time string
	ids        []string
	names      []string // field names for ids (default: the column names)
}

// bindColumns resolves a columnsSpec against a header: every value is copied verbatim.
// Without ID columns, every column but the user and the time is an ID field.
func bindColumns(header []string, c columnsSpec, file string) (*mapping, error) {
	m := &mapping{}
	var err error
	if m.user, err = findColumn(header, c.user, "--user-col", file); err != nil {
		return nil, err
	}
	if m.time, err = findColumn(header, c.time, "--time-col", file); err != nil {
		return nil, err
	}
	names := c.names
	ids := c.ids
	if len(ids) == 0 {
		names = nil
		for i, h := range header {
			if i != m.user && i != m.time {
				ids = append(ids, h)
			}
		}
		if len(ids) == 0 {
			return nil, fmt.Errorf("%s: no ID columns: the file has only the user and time columns (%s); a behavior needs at least one ID", file, strings.Join(header, ", "))
		}
	}
	cols := make([]int, len(ids))
	seen := map[string]bool{}
	for j, name := range ids {
		if cols[j], err = findColumn(header, name, "--id-cols", file); err != nil {
			return nil, err
		}
		f := fieldName(header[cols[j]])
		if names != nil {
			f = names[j]
		}
		if seen[f] {
			return nil, fmt.Errorf("%s: ID column %q given twice in --id-cols", file, f)
		}
		seen[f] = true
		m.fields = append(m.fields, f)
	}
	m.need = max(m.user, m.time) + 1
	for _, c := range cols {
		m.need = max(m.need, c+1)
	}
	m.columns = append([]int{m.user, m.time}, cols...)
	m.values = func(rec, out []string) error {
		for j, c := range cols {
			out[j] = rec[c]
		}
		return nil
	}
	return m, nil
}
