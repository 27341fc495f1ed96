package ingest

import (
	"fmt"
	"io"
	"math"
	"sort"
	"strconv"
	"strings"

	"github.com/byb-dev/byb/byb/data"
)

// ReadColumnLabels reads a column task's labels (data.RuleColumn) from a per-user attribute
// table with a header: the user column is userCol, else user_id, user or userid. Without
// bins every distinct value is a class (sorted as ReadLabels sorts); with bins the values
// must be numbers and fall into the bins, in bin order: edges "25|45" give <25, [25,45),
// >=45; "qN" puts the edges at the values' N-quantiles. An empty value leaves the user
// unlabelled; a label for a user without behaviors, a non-number under bins or a user given
// twice with different values is bad input (file:line, or counted with skipBad).
func ReadColumnLabels(t data.Task, userCol string, known func(string) bool, skipBad bool) (*Labels, error) {
	src, err := openTable(t.Path)
	if err != nil {
		return nil, fmt.Errorf("task %s: %v", t.Name, err)
	}
	defer src.Close()
	header := src.Header()
	user := -1
	for _, name := range []string{userCol, "user_id", "user", "userid"} {
		if name == "" {
			continue
		}
		if i, err := findColumn(header, name, "", t.Path); err == nil {
			user = i
			break
		}
	}
	if user < 0 {
		return nil, fmt.Errorf("task %s: %s has no user column (columns: %s): name it user_id or as --user-col", t.Name, t.Path, strings.Join(header, ", "))
	}
	col, err := findColumn(header, t.Column, "--task NAME=column:FILE:COLUMN", t.Path)
	if err != nil {
		return nil, fmt.Errorf("task %s: %v", t.Name, err)
	}
	bad := badRows{skip: skipBad}
	raw := map[string]string{}
	nums := map[string]float64{}
	for {
		rec, line, err := src.Next()
		if err == io.EOF {
			break
		}
		if err == nil {
			err = columnRow(t, rec, header, user, col, line, src.RowPositions(), known, raw, nums)
		}
		if err := bad.add(err); err != nil {
			return nil, err
		}
	}
	if len(raw) == 0 {
		return nil, fmt.Errorf("task %s: %s has no value in column %s for any user of the data", t.Name, t.Path, t.Column)
	}
	l := &Labels{Path: t.Path, Skipped: bad.count, Examples: bad.examples}
	if t.Bins == "" {
		l.Classes, l.ByUser = classesOf(raw)
		if err := singletonClasses(t, l, raw); err != nil {
			return nil, err
		}
	} else {
		l.ByUser = make(map[string]int32, len(nums))
		edges, err := binEdges(t.Bins, nums)
		if err != nil {
			return nil, fmt.Errorf("task %s: %v", t.Name, err)
		}
		l.Classes = binNames(edges)
		for u, v := range nums {
			l.ByUser[u] = int32(sort.Search(len(edges), func(i int) bool { return edges[i] > v }))
		}
		if k, ok := strings.CutPrefix(t.Bins, "q"); ok && len(l.Classes) < atoiOr(k, 0) {
			l.Warning = fmt.Sprintf("bins=%s gave %d bins, not %s: %d labelled users with %d distinct values of %s (ties share a bin)",
				t.Bins, len(l.Classes), k, len(nums), distinct(nums), t.Column)
		}
		if err := singletonClasses(t, l, raw); err != nil {
			return nil, err
		}
	}
	if len(l.Classes) < 2 {
		return nil, fmt.Errorf("task %s: every label is %q: a classification task needs at least 2 classes", t.Name, l.Classes[0])
	}
	return l, nil
}

// singletonClasses refuses a task without bins where most labelled users are alone in their
// class: a continuous column (an income, a score) read as categories gives one class per
// user, which nothing can learn or test.
func singletonClasses(t data.Task, l *Labels, raw map[string]string) error {
	size := make([]int, len(l.Classes))
	for _, c := range l.ByUser {
		size[c]++
	}
	single := 0
	for _, n := range size {
		if n == 1 {
			single++
		}
	}
	if len(l.Classes) <= 2 || 2*single <= len(raw) {
		return nil
	}
	numeric := true
	for _, v := range raw {
		if _, err := strconv.ParseFloat(v, 64); err != nil {
			numeric = false
			break
		}
	}
	fix := "group its values into fewer classes in the table"
	switch {
	case t.Bins != "":
		fix = "ask for fewer bins, e.g. bins=q4"
	case numeric:
		fix = fmt.Sprintf("bin it: column:%s:%s:bins=q4 (quartiles) or bins=E1|E2 (edges)", t.Path, t.Column)
	}
	return fmt.Errorf("task %s: column %s gives %d classes among %d labelled users, %d of them with one user only: a class of one user cannot be learned or tested; %s",
		t.Name, t.Column, len(l.Classes), len(raw), single, fix)
}

// distinct counts the distinct values of nums.
func distinct(nums map[string]float64) int {
	seen := map[float64]bool{}
	for _, v := range nums {
		seen[v] = true
	}
	return len(seen)
}

func atoiOr(s string, fallback int) int {
	if n, err := strconv.Atoi(s); err == nil {
		return n
	}
	return fallback
}

func columnRow(t data.Task, rec, header []string, user, col, line int, rowPos bool, known func(string) bool,
	raw map[string]string, nums map[string]float64) error {
	rowErr := func(msg, hint string) error {
		return &RowError{File: t.Path, Line: line, Row: rowPos, Msg: msg, Hint: hint}
	}
	if len(rec) != len(header) {
		return rowErr(fmt.Sprintf("row has %d columns, the header has %d", len(rec), len(header)), hintSkip)
	}
	u, v := strings.TrimSpace(rec[user]), strings.TrimSpace(rec[col])
	if u == "" {
		return rowErr("empty user id", hintSkip)
	}
	if missingValue(v) {
		return nil // no value (empty, NA, NaN, ...): the user has no label
	}
	if msg := invalidUTF8(t.Column, v); msg != "" { // values become class names in meta.json
		return rowErr(msg, hintUTF8)
	}
	if known != nil && !known(u) {
		return rowErr(fmt.Sprintf("label for user %q, who has no behavior in the data", u),
			"check that the table belongs to this log and uses the same user ids, or pass --skip-bad-rows to skip such rows")
	}
	if old, ok := raw[u]; ok && old != v {
		return rowErr(fmt.Sprintf("user %q has %s %q here and %q before", u, t.Column, v, old), hintSkip)
	}
	if t.Bins != "" {
		x, err := strconv.ParseFloat(v, 64)
		if err != nil || math.IsNaN(x) {
			return rowErr(fmt.Sprintf("%s %q is not a number, and bins=%s needs one", t.Column, v, t.Bins), hintSkip)
		}
		nums[u] = x
	}
	raw[u] = v
	return nil
}

// binEdges are the bin edges of bins: given, or at the N-quantiles of the values (distinct
// edges only, so ties can merge bins).
func binEdges(bins string, nums map[string]float64) ([]float64, error) {
	n, quantiles := strings.CutPrefix(bins, "q")
	if !quantiles {
		return data.BinEdges(bins)
	}
	k, _ := strconv.Atoi(n)
	vals := make([]float64, 0, len(nums))
	for _, v := range nums {
		vals = append(vals, v)
	}
	sort.Float64s(vals)
	var edges []float64
	for i := 1; i < k; i++ {
		e := vals[min(len(vals)-1, i*len(vals)/k)]
		if (len(edges) == 0 || e > edges[len(edges)-1]) && e > vals[0] {
			edges = append(edges, e)
		}
	}
	if len(edges) == 0 {
		return nil, fmt.Errorf("bins=%s: every value is %v, nothing to bin", bins, vals[0])
	}
	return edges, nil
}

// binNames names the len(edges)+1 bins: <E1, [E1,E2), ..., >=Ek.
func binNames(edges []float64) []string {
	f := func(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }
	names := []string{"<" + f(edges[0])}
	for i := 1; i < len(edges); i++ {
		names = append(names, "["+f(edges[i-1])+","+f(edges[i])+")")
	}
	return append(names, ">="+f(edges[len(edges)-1]))
}
