package ingest

import (
	"bufio"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/byb-dev/byb/byb/data"
)

// Labels are the labels of an external task, read from a user_id,label file.
type Labels struct {
	Path    string
	Classes []string         // sorted class names (numerically when all are numbers)
	ByUser  map[string]int32 // raw user id → index into Classes
	Skipped int              // bad rows skipped with skipBad
	// Examples describe the first few skipped rows.
	Examples []string
	// Warning says what is questionable about the labels (a binning that gave fewer bins
	// than asked); "" when nothing is.
	Warning string
}

// Kind is data.Binary for two classes, else data.Multiclass.
func (l *Labels) Kind() string {
	if len(l.Classes) == 2 {
		return data.Binary
	}
	return data.Multiclass
}

// ReadLabels reads an external labels file: CSV lines user_id,label, with an optional header
// (recognised by a first column named user_id, user or userid, or a column named label).
// With a header, the label is the column named column (external:FILE:COLUMN), else the one
// named label, else the second of two; a file of more columns that names none of them is
// refused rather than guessed. The user is the column named user_id, user or userid, else
// the first.
// known reports whether a user exists in the data (nil accepts everyone): a label for an
// unknown user is bad input, like a short row, an empty value or a user labelled twice with
// different labels. Bad rows fail with file:line unless skipBad, which counts them instead.
func ReadLabels(path, column string, known func(user string) bool, skipBad bool) (*Labels, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("labels file: %v", err)
	}
	defer f.Close()
	r := csv.NewReader(bufio.NewReader(f))
	r.FieldsPerRecord = -1
	r.TrimLeadingSpace = true
	bad := badRows{skip: skipBad}
	raw := map[string]string{}
	first := true
	userCol, labelCol := 0, 1
	for {
		rec, err := r.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			var pe *csv.ParseError
			if !errors.As(err, &pe) {
				return nil, fmt.Errorf("%s: %v", path, err)
			}
			if err := bad.add(&RowError{File: path, Line: pe.StartLine, Msg: pe.Err.Error(), Hint: hintSkip}); err != nil {
				return nil, err
			}
			continue
		}
		line, _ := r.FieldPos(0) // only after a successful Read: it panics otherwise
		if first {
			first = false
			header := len(rec) > 0 && (isLabelsHeader(rec) || column != "")
			if header {
				if userCol, labelCol, err = labelColumns(path, rec, column); err != nil {
					return nil, err
				}
				continue
			}
			if len(rec) > 2 {
				return nil, fmt.Errorf("%s: rows of %d columns and no header: which one is the label? Add a header line (user_id,...,label) or keep two columns, user_id,label", path, len(rec))
			}
		}
		if err := bad.add(labelRow(path, line, rec, userCol, labelCol, known, raw)); err != nil {
			return nil, err
		}
	}
	if len(raw) == 0 {
		return nil, fmt.Errorf("%s: no labels: want CSV lines user_id,label (a header line is optional)", path)
	}
	l := &Labels{Path: path, Skipped: bad.count, Examples: bad.examples}
	l.Classes, l.ByUser = classesOf(raw)
	if len(l.Classes) < 2 {
		return nil, fmt.Errorf("%s: every label is %q: a classification task needs at least 2 classes", path, l.Classes[0])
	}
	return l, nil
}

// classesOf turns raw string labels into sorted classes (sortClasses) and each user's index.
func classesOf(raw map[string]string) ([]string, map[string]int32) {
	var classes []string
	seen := map[string]bool{}
	for _, v := range raw {
		if !seen[v] {
			seen[v] = true
			classes = append(classes, v)
		}
	}
	sortClasses(classes)
	index := map[string]int32{}
	for i, c := range classes {
		index[c] = int32(i)
	}
	byUser := make(map[string]int32, len(raw))
	for u, v := range raw {
		byUser[u] = index[v]
	}
	return classes, byUser
}

func isLabelsHeader(rec []string) bool {
	return isUserColumn(rec[0]) || slices.ContainsFunc(rec, func(h string) bool { return strings.EqualFold(strings.TrimSpace(h), "label") })
}

func isUserColumn(h string) bool {
	switch strings.ToLower(strings.TrimSpace(h)) {
	case "user_id", "user", "userid":
		return true
	}
	return false
}

// labelColumns finds the user and label columns of a labels file's header (see ReadLabels).
func labelColumns(path string, header []string, column string) (user, label int, err error) {
	user = max(0, slices.IndexFunc(header, isUserColumn))
	if column != "" {
		label, err = findColumn(header, column, "external:FILE:COLUMN", path)
		return user, label, err
	}
	if label = slices.IndexFunc(header, func(h string) bool { return strings.EqualFold(strings.TrimSpace(h), "label") }); label >= 0 {
		return user, label, nil
	}
	if len(header) == 2 {
		return user, 1 - user, nil
	}
	return 0, 0, fmt.Errorf("%s: columns %s and none named label: name the label column, --task NAME=external:%s:COLUMN",
		path, strings.Join(header, ", "), path)
}

// labelRow validates one row and records it in raw; the error is a *RowError.
func labelRow(path string, line int, rec []string, userCol, labelCol int, known func(string) bool, raw map[string]string) error {
	rowErr := func(msg, hint string) error { return &RowError{File: path, Line: line, Msg: msg, Hint: hint} }
	if len(rec) <= max(userCol, labelCol) {
		want := "user_id,label"
		if userCol != 0 || labelCol != 1 {
			want = fmt.Sprintf("%d, as the header", max(userCol, labelCol)+1)
		}
		return rowErr(fmt.Sprintf("row %q has %d column(s), want %s", strings.Join(rec, ","), len(rec), want), hintSkip)
	}
	u, v := strings.TrimSpace(rec[userCol]), strings.TrimSpace(rec[labelCol])
	if u != "" && v != "" && missingValue(v) {
		return nil // NA, NaN, ...: the user has no label
	}
	if u == "" || v == "" {
		return rowErr(fmt.Sprintf("row %q has an empty user id or label", strings.Join(rec, ",")), hintSkip)
	}
	if msg := invalidUTF8("label", v); msg != "" { // labels become class names in meta.json
		return rowErr(msg, hintUTF8)
	}
	if known != nil && !known(u) {
		return rowErr(fmt.Sprintf("label for user %q, who has no behavior in the data", u),
			"check that the labels file belongs to this log and uses the same user ids, or pass --skip-bad-rows to skip such labels")
	}
	if old, ok := raw[u]; ok && old != v {
		return rowErr(fmt.Sprintf("user %q labelled %q here and %q before", u, v, old), hintSkip)
	}
	raw[u] = v
	return nil
}

// sortClasses sorts numerically when every class is a number (so 2 < 10), else as text.
func sortClasses(c []string) {
	nums := make(map[string]float64, len(c))
	for _, s := range c {
		v, err := strconv.ParseFloat(s, 64)
		if err != nil {
			sort.Strings(c)
			return
		}
		nums[s] = v
	}
	sort.Slice(c, func(i, j int) bool {
		if nums[c[i]] != nums[c[j]] {
			return nums[c[i]] < nums[c[j]]
		}
		return c[i] < c[j]
	})
}
