package data

import (
	"fmt"
	"os"
	"sort"
	"strconv"
	"strings"
)

// Task rules: how a label is computed from a user's behaviors in the label window, which
// starts where the split's observation window ends and lasts the task's Days.
const (
	// RuleMostFrequent: the value of Field the user interacts with most in the next Days
	// days (the paper's Tmall tasks). Multi-class over the field's vocabulary; users with no
	// in-vocabulary behavior in the window have no label. Ties go to the smaller vocabulary
	// index, i.e. the globally more frequent value.
	RuleMostFrequent = "most_frequent"
	// RuleActive: 1 if the user has any behavior in the next Days days (Active-30d).
	RuleActive = "active"
	// RuleInactive: 1 if the user has no behavior in the next Days days (churn).
	RuleInactive = "inactive"
	// RuleAnyOf: 1 if any behavior in the next Days days has a Field value in Values
	// (Login-90d, Unbind-30d).
	RuleAnyOf = "any_of"
	// RuleNoneOf: 1 if no behavior in the next Days days has a Field value in Values
	// (churn counted on purchases only, ignoring cancellations or page views).
	RuleNoneOf = "none_of"
	// RuleExternal: labels read from a user_id,label file; no time window.
	RuleExternal = "external"
	// RuleColumn: labels from a column of a per-user attribute table (demographics, segments),
	// optionally binned when numeric (Bins); no time window.
	RuleColumn = "column"
)

// Task kinds.
const (
	Binary     = "binary"
	Multiclass = "multiclass"
)

// Task is one downstream task of a dataset.
type Task struct {
	Name    string   `json:"name"`
	Rule    string   `json:"rule"`
	Kind    string   `json:"kind"`
	Field   string   `json:"field,omitempty"`
	Values  []string `json:"values,omitempty"` // raw values, for any_of and none_of
	Days    int      `json:"days,omitempty"`
	Path    string   `json:"path,omitempty"`   // external labels file, or the attribute table of a column task
	Column  string   `json:"column,omitempty"` // the attribute table's label column (column tasks)
	Bins    string   `json:"bins,omitempty"`   // a column task's binning: edges "25|45|65" or "q4" (quartiles)
	Classes []string `json:"classes"`          // class names; len = number of classes
}

// FromFile reports whether the task's labels are read from a file (external, column) rather
// than computed from behaviors after the observation window: such labels have no time.
func (t Task) FromFile() bool { return t.Rule == RuleExternal || t.Rule == RuleColumn }

// NumClasses is the number of classes of the task.
func (t Task) NumClasses() int { return len(t.Classes) }

// ParseTask parses a task specification of the command line:
//
//	NAME=most_frequent:FIELD:DAYS    e.g. 5-day=most_frequent:category:5
//	NAME=active:DAYS                 e.g. active-30d=active:30
//	NAME=inactive:DAYS               e.g. churn=inactive:90
//	NAME=any_of:FIELD:V1|V2...:DAYS  e.g. login-90d=any_of:page:login:90
//	NAME=none_of:FIELD:V1|V2...:DAYS e.g. churn=none_of:action:purchase:100
//	NAME=external:PATH[:COLUMN]      a user_id,label CSV file (COLUMN: the label's column)
//	NAME=column:PATH:COLUMN[:bins=B] a column of a per-user table, e.g.
//	                                 age=column:users.csv:age:bins=25|45 (edges) or bins=q4
//
// Classes are filled in later by Resolve, when vocabularies are known.
func ParseTask(spec string) (Task, error) {
	name, rest, ok := strings.Cut(spec, "=")
	if !ok || name == "" {
		return Task{}, fmt.Errorf("task %q: want NAME=RULE:ARGS, e.g. 5-day=most_frequent:category:5", spec)
	}
	parts := strings.Split(rest, ":")
	t := Task{Name: name, Rule: parts[0]}
	days := func(s string) (int, error) {
		d, err := strconv.Atoi(s)
		if err != nil || d <= 0 {
			return 0, fmt.Errorf("task %q: horizon %q is not a positive number of days", spec, s)
		}
		return d, nil
	}
	var err error
	switch t.Rule {
	case RuleMostFrequent:
		if len(parts) != 3 {
			return Task{}, fmt.Errorf("task %q: want NAME=most_frequent:FIELD:DAYS", spec)
		}
		t.Kind, t.Field = Multiclass, parts[1]
		t.Days, err = days(parts[2])
	case RuleActive, RuleInactive:
		if len(parts) != 2 {
			return Task{}, fmt.Errorf("task %q: want NAME=%s:DAYS", spec, t.Rule)
		}
		t.Kind = Binary
		t.Days, err = days(parts[1])
	case RuleAnyOf, RuleNoneOf:
		if len(parts) != 4 || parts[2] == "" {
			return Task{}, fmt.Errorf("task %q: want NAME=%s:FIELD:V1|V2|...:DAYS", spec, t.Rule)
		}
		t.Kind, t.Field, t.Values = Binary, parts[1], strings.Split(parts[2], "|")
		t.Days, err = days(parts[3])
	case RuleExternal:
		if len(parts) < 2 || parts[1] == "" {
			return Task{}, fmt.Errorf("task %q: want NAME=external:PATH or NAME=external:PATH:COLUMN", spec)
		}
		t.Path = strings.Join(parts[1:], ":")
		// PATH:COLUMN names the label column, unless the whole is a file's name.
		if n := len(parts); n > 2 && parts[n-1] != "" {
			if _, err := os.Stat(t.Path); err != nil {
				t.Path, t.Column = strings.Join(parts[1:n-1], ":"), parts[n-1]
			}
		}
	case RuleColumn:
		if n := len(parts); n > 3 && strings.HasPrefix(parts[n-1], "bins=") {
			t.Bins, parts = strings.TrimPrefix(parts[n-1], "bins="), parts[:n-1]
			if err := checkBins(t.Bins); err != nil {
				return Task{}, fmt.Errorf("task %q: %v", spec, err)
			}
		}
		if len(parts) < 3 || parts[1] == "" || parts[len(parts)-1] == "" {
			return Task{}, fmt.Errorf("task %q: want NAME=column:PATH:COLUMN or NAME=column:PATH:COLUMN:bins=EDGE1|EDGE2 (or bins=qN)", spec)
		}
		t.Path, t.Column = strings.Join(parts[1:len(parts)-1], ":"), parts[len(parts)-1]
	default:
		return Task{}, fmt.Errorf("task %q: unknown rule %q (most_frequent, active, inactive, any_of, none_of, external, column)", spec, t.Rule)
	}
	if t.Kind == Binary {
		t.Classes = []string{"0", "1"}
	}
	return t, err
}

// Horizon is the largest label window of the tasks, in days.
func Horizon(tasks []Task) int {
	h := 0
	for _, t := range tasks {
		h = max(h, t.Days)
	}
	return h
}

// labeler computes one task's label from a user's time-sorted behaviors.
type labeler struct {
	task     Task
	field    int            // ID slot, for most_frequent, any_of and none_of
	idSet    map[int32]bool // vocabulary indices, for any_of and none_of
	external map[string]int32
}

// newLabeler resolves a task against the dataset's fields and vocabularies. For most_frequent
// tasks it fills Classes with the field's vocabulary values.
func newLabeler(t *Task, fields []Field, vocabs []*Vocab, external map[string]int32) (*labeler, error) {
	l := &labeler{task: *t, field: -1, external: external}
	if t.Field != "" {
		for i, f := range fields {
			if f.Name == t.Field {
				l.field = i
			}
		}
		if l.field < 0 {
			names := make([]string, len(fields))
			for i, f := range fields {
				names[i] = f.Name
			}
			return nil, fmt.Errorf("task %s: no ID field %q (fields: %v)", t.Name, t.Field, names)
		}
	}
	switch t.Rule {
	case RuleMostFrequent:
		t.Classes = append([]string(nil), vocabs[l.field].Values...)
		if len(t.Classes) < 2 {
			return nil, fmt.Errorf("task %s: field %q has %d in-vocabulary values, a classification needs at least 2", t.Name, t.Field, len(t.Classes))
		}
	case RuleAnyOf, RuleNoneOf:
		l.idSet = map[int32]bool{}
		var unknown []string
		for _, v := range t.Values {
			id := vocabs[l.field].Lookup(v)
			if id < FirstValue {
				unknown = append(unknown, v)
				continue
			}
			l.idSet[id] = true
		}
		if len(l.idSet) == 0 {
			return nil, fmt.Errorf("task %s: none of the values %v of field %q is in its vocabulary", t.Name, unknown, t.Field)
		}
	}
	l.task = *t
	return l, nil
}

// label returns the class index of the user, or -1 when the task has no label for them.
// times and ids are the user's whole time-sorted history; obsEnd is where the label window
// starts.
func (l *labeler) label(rawUser string, times []int64, ids []int32, m int, obsEnd int64) int32 {
	if l.task.FromFile() {
		if v, ok := l.external[rawUser]; ok {
			return v
		}
		return -1
	}
	end := obsEnd + int64(l.task.Days)*Day
	lo := sort.Search(len(times), func(i int) bool { return times[i] >= obsEnd })
	hi := sort.Search(len(times), func(i int) bool { return times[i] >= end })
	switch l.task.Rule {
	case RuleActive:
		return boolLabel(hi > lo)
	case RuleInactive:
		return boolLabel(hi == lo)
	case RuleAnyOf, RuleNoneOf:
		any := false
		for i := lo; i < hi && !any; i++ {
			any = l.idSet[ids[i*m+l.field]]
		}
		return boolLabel(any == (l.task.Rule == RuleAnyOf))
	case RuleMostFrequent:
		counts := map[int32]int{}
		best, bestN := int32(-1), 0
		for i := lo; i < hi; i++ {
			id := ids[i*m+l.field]
			if id < FirstValue {
				continue
			}
			counts[id]++
			if n := counts[id]; n > bestN || (n == bestN && id < best) {
				best, bestN = id, n
			}
		}
		if best < 0 {
			return -1
		}
		return best - FirstValue
	}
	return -1
}

func boolLabel(b bool) int32 {
	if b {
		return 1
	}
	return 0
}

// checkBins validates a column task's binning: increasing numeric edges "E1|E2|..." or "qN"
// (N ≥ 2 quantile bins).
func checkBins(bins string) error {
	if n, ok := strings.CutPrefix(bins, "q"); ok {
		if k, err := strconv.Atoi(n); err != nil || k < 2 {
			return fmt.Errorf("bins=%s: want qN with N ≥ 2 quantile bins, or edges E1|E2", bins)
		}
		return nil
	}
	_, err := BinEdges(bins)
	return err
}

// BinEdges parses increasing numeric bin edges "E1|E2|...".
func BinEdges(bins string) ([]float64, error) {
	var edges []float64
	for _, s := range strings.Split(bins, "|") {
		v, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
		if err != nil {
			return nil, fmt.Errorf("bins=%s: edge %q is not a number (want E1|E2|... or qN)", bins, s)
		}
		if len(edges) > 0 && v <= edges[len(edges)-1] {
			return nil, fmt.Errorf("bins=%s: edges must increase", bins)
		}
		edges = append(edges, v)
	}
	return edges, nil
}
