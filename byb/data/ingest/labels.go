package ingest

import (
	"bufio"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
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
}

// Kind is data.Binary for two classes, else data.Multiclass.
func (l *Labels) Kind() string {
	if len(l.Classes) == 2 {
		return data.Binary
	}
	return data.Multiclass
}

// ReadLabels reads an external labels file: CSV lines user_id,label, with an optional header
// (recognised by a first column named user_id, user or userid, or a second named label).
// known reports whether a user exists in the data (nil accepts everyone): a label for an
// unknown user is bad input, like a short row, an empty value or a user labelled twice with
// different labels. Bad rows fail with file:line unless skipBad, which counts them instead.
func ReadLabels(path string, known func(user string) bool, skipBad bool) (*Labels, error) {
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
			if len(rec) > 0 && isLabelsHeader(rec) {
				continue
			}
		}
		if err := bad.add(labelRow(path, line, rec, known, raw)); err != nil {
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
	switch strings.ToLower(strings.TrimSpace(rec[0])) {
	case "user_id", "user", "userid":
		return true
	}
	return len(rec) > 1 && strings.EqualFold(strings.TrimSpace(rec[1]), "label")
}

// labelRow validates one row and records it in raw; the error is a *RowError.
func labelRow(path string, line int, rec []string, known func(string) bool, raw map[string]string) error {
	rowErr := func(msg, hint string) error { return &RowError{File: path, Line: line, Msg: msg, Hint: hint} }
	if len(rec) < 2 {
		return rowErr(fmt.Sprintf("row %q has %d column(s), want user_id,label", strings.Join(rec, ","), len(rec)), hintSkip)
	}
	u, v := strings.TrimSpace(rec[0]), strings.TrimSpace(rec[1])
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
