package ingest

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/byb-dev/byb/byb/data"
)

// Result is what an import did: the dataset's meta and the numbers of the summary.
type Result struct {
	Meta       *data.Meta `json:"-"`
	Format     string     `json:"format"`
	In         string     `json:"in"`
	Out        string     `json:"out"`
	TimeFormat string     `json:"time_format"` // the format used (picked, with auto)
	TimePicked bool       `json:"time_picked"` // chosen by auto-detection
	Rows       int        `json:"rows"`        // data rows read, bad and skipped ones included
	Skipped    int        `json:"skipped"`     // bad rows skipped by SkipBadRows
	// Rows left out by design (Online Retail lines without a CustomerID) and why.
	SkippedByDesign int            `json:"skipped_by_design,omitempty"`
	ByDesignWhy     string         `json:"skipped_by_design_why,omitempty"`
	Splits          []SplitSummary `json:"splits"`
	Notes           []string       `json:"notes,omitempty"`
	// Warnings are the "warning: " lines printed on Options.Progress, also kept in meta.json.
	Warnings []string `json:"warnings,omitempty"`
	Seconds  float64  `json:"seconds"`
}

// Import reads o.In, builds the dataset at o.Out and returns what it did. On failure
// nothing is left at o.Out (nor a temporary directory beside it), and an earlier dataset there
// (replaced only with o.Force) is kept. What it keeps but finds questionable is in
// Result.Warnings and meta.json; what would make the dataset unusable is an error.
func Import(o Options) (*Result, error) {
	startTime := time.Now()
	spec, err := lookupFormat(o.Format)
	if err != nil {
		return nil, err
	}
	if o.In == "" || o.Out == "" {
		return nil, fmt.Errorf("import needs an input file (--in) and an output directory (--out)")
	}
	if err := o.check(); err != nil {
		return nil, err
	}
	tasks, err := parseTasks(o.Tasks, spec)
	if err != nil {
		return nil, err
	}
	timeFormat := or(o.TimeFormat, spec.timeFormat)
	tp, err := newTimeParser(timeFormat, o.BaseYear)
	if err != nil {
		return nil, err
	}

	src, err := openSource(spec, &o)
	if err != nil {
		return nil, err
	}
	defer src.Close()
	file := o.In
	shards, sharded := src.(*shardedSource)
	if sharded {
		file = shards.firstShard()
	}
	if err := moveJoinIDCols(&o, src.Header()); err != nil {
		return nil, err
	}
	m, err := spec.bind(src.Header(), &o, file)
	if err != nil {
		return nil, err
	}
	if err := checkLists(src, m, file); err != nil {
		return nil, err
	}
	res := &Result{Format: spec.name, In: o.In, Out: o.Out, ByDesignWhy: m.skipWhy}
	if sharded && shards.emptyNote() != "" {
		res.Notes = append(res.Notes, shards.emptyNote())
	}
	bad := badRows{skip: o.SkipBadRows}
	var tables []*attributes
	for _, j := range o.Joins {
		a, skipped, err := readAttributes(j, o.SkipBadRows)
		if err != nil {
			return nil, err
		}
		bad.count += skipped
		tables = append(tables, a)
	}
	missing, err := joinAttributes(m, tables, o.In)
	if err != nil {
		return nil, err
	}
	b := data.NewBuilder(m.fields)
	switch {
	case o.MaxMemory == 0:
		b.MemoryBudget(DefaultMaxMemory, "")
	case o.MaxMemory > 0:
		b.MemoryBudget(o.MaxMemory, "")
	}
	odd := newOddTimes(startTime)
	rows := &rowAdder{file: o.In, rowPos: src.RowPositions(), header: src.Header(), m: m, tp: tp, b: b,
		vals: make([]string, len(m.fields)), res: res, odd: odd}
	if err := readRows(src, rows, &bad, newProgress(o.Progress, filepath.Base(o.In))); err != nil {
		return nil, err
	}
	for t, a := range tables {
		if missing[t] > 0 && missing[t] == b.Events() {
			return nil, a.noMatch()
		}
		note := fmt.Sprintf("joined %s on %s: %d rows, fields %s", a.join.Path, a.join.Key, len(a.rows), strings.Join(a.names, ", "))
		if missing[t] > 0 {
			note += fmt.Sprintf("; %d behaviors (%.1f%%) have a %s the table lacks: those fields are empty for them",
				missing[t], 100*float64(missing[t])/float64(max(1, b.Events())), a.join.Key)
		}
		res.Notes = append(res.Notes, note)
	}
	res.TimeFormat, res.TimePicked = tp.Format(), tp.picked
	if tp.picked {
		res.Notes = append(res.Notes, fmt.Sprintf("time format: auto-detected %s (%s)", tp.Format(), describeTime(tp.Format())))
	}
	if b.Events() == 0 {
		return nil, fmt.Errorf("%s: no behaviors: %d rows read, %d bad rows skipped, %d %s: check the columns and the file",
			o.In, res.Rows, bad.count, res.SkippedByDesign, or(m.skipWhy, "left out"))
	}
	warn := func(format string, args ...any) { res.warn(o.Progress, format, args...) }
	if w := odd.warning(); w != "" {
		warn("%s", w)
	}

	// External labels need the users, so they are read after the events.
	external := map[string]map[string]int32{}
	for i := range tasks {
		t := &tasks[i]
		var l *Labels
		var err error
		switch t.Rule {
		case data.RuleExternal:
			if l, err = ReadLabels(t.Path, t.Column, b.HasUser, o.SkipBadRows); err != nil {
				return nil, fmt.Errorf("task %s: %w", t.Name, err)
			}
		case data.RuleColumn:
			if l, err = ReadColumnLabels(*t, src.Header()[m.user], b.HasUser, o.SkipBadRows); err != nil {
				return nil, err
			}
		default:
			continue
		}
		t.Classes, t.Kind = l.Classes, l.Kind()
		if l.Warning != "" {
			warn("task %s: %s", t.Name, l.Warning)
		}
		external[t.Name] = l.ByUser
		bad.count += l.Skipped
		for _, e := range l.Examples {
			if len(bad.examples) < maxSkipExamples {
				bad.examples = append(bad.examples, e)
			}
		}
	}
	res.Skipped = bad.count

	first, last := b.TimeRange()
	splits, notes, err := chooseSplits(&o, spec, first, last, tasks)
	if err != nil {
		return nil, err
	}
	res.Notes = append(res.Notes, notes...)
	if w := obsLengthWarning(&o, splits); w != "" {
		warn("%s", w)
	}
	inWindow := checkWindows(b.Times(), splits, data.Horizon(tasks), warn)
	if len(tasks) == 0 {
		res.Notes = append(res.Notes, "no tasks: the dataset can be pretrained on but has no labels to finetune or test; add --task NAME=RULE:ARGS")
	}
	minCount, maxVocab := o.MinCount, o.MaxVocab
	if minCount <= 0 {
		minCount = 1
	}
	switch {
	case maxVocab == 0:
		maxVocab = DefaultMaxVocab
	case maxVocab < 0:
		maxVocab = 0 // data.BuildVocab: no cap
	}
	name := o.Name
	if name == "" {
		name = nameFromInput(o.In)
	}
	source := fmt.Sprintf("import %s %s", spec.name, filepath.Base(o.In))
	if res.SkippedByDesign > 0 {
		source += fmt.Sprintf(" (%d %s left out by design)", res.SkippedByDesign, m.skipWhy)
	}
	// The checks that need the samples and labels run on the written splits, before meta.json
	// is written: a split without samples fails the import, and the warnings go to meta.json.
	check := func(dir string, meta *data.Meta) error {
		var err error
		if res.Splits, err = summarizeSplits(dir, meta); err != nil {
			return err
		}
		if err := checkSamples(res.Splits, meta, inWindow, explicitWindows(&o)); err != nil {
			return err
		}
		for _, w := range append(fieldWarnings(meta), labelWarnings(res.Splits, meta)...) {
			warn("%s", w)
		}
		if w := duplicatesWarning(b.Duplicates(), int64(b.Events())); w != "" {
			warn("%s", w)
		}
		meta.Warnings = res.Warnings
		return nil
	}
	meta, err := b.Build(o.Out, data.BuildOptions{
		Name: name, Source: source, Splits: splits, Tasks: tasks,
		MinCount: minCount, MaxVocab: maxVocab, External: external,
		SkippedRows: bad.count, SkipExamples: bad.examples, Check: check,
	})
	if err != nil {
		return nil, err
	}
	res.Meta = meta
	res.Notes = append(res.Notes, data.UserShareNotes(meta)...)
	res.Seconds = time.Since(startTime).Seconds()
	return res, nil
}

func parseTasks(specs []string, f *formatSpec) ([]data.Task, error) {
	if specs == nil {
		specs = f.tasks
	}
	var tasks []data.Task
	seen := map[string]bool{}
	for _, s := range specs {
		t, err := data.ParseTask(s)
		if err != nil {
			return nil, err
		}
		if seen[t.Name] {
			return nil, fmt.Errorf("task %q given twice", t.Name)
		}
		seen[t.Name] = true
		tasks = append(tasks, t)
	}
	return tasks, nil
}

// checkLists refuses a Parquet list column among the columns the import reads: a behavior
// has one value per field, and reading a list's first element would drop the rest silently.
func checkLists(src source, m *mapping, file string) error {
	l, ok := src.(interface{ listColumns() []int })
	if !ok {
		return nil
	}
	header := src.Header()
	for _, c := range l.listColumns() {
		if slices.Contains(m.columns, c) {
			return fmt.Errorf("%s: column %s holds lists (a repeated Parquet field): byb reads one value per behavior and field; explode it into one row per element first (pandas: df.explode(%q), Spark: explode(%s)), or leave it out of --id-cols",
				file, header[c], header[c], header[c])
		}
	}
	return nil
}

func openSource(spec *formatSpec, o *Options) (source, error) {
	delim := spec.delim
	if o.Delimiter != 0 {
		delim = o.Delimiter
	}
	// A failed open returns a nil interface, not a typed nil pointer that Close would panic on.
	open := func(path string) (source, error) {
		if spec.parquet {
			p, err := openParquet(path)
			if err != nil {
				return nil, err
			}
			return p, nil
		}
		c, err := openCSV(path, delim)
		if err != nil {
			return nil, err
		}
		return c, nil
	}
	if st, err := os.Stat(o.In); err == nil && st.IsDir() {
		return openShards(o.In, open)
	}
	return open(o.In)
}

// readRows adds every good row of src to rows' builder; bad rows fail or are counted by bad.
func readRows(src source, rows *rowAdder, bad *badRows, prog *progress) error {
	res, in := rows.res, rows.file
	shards, sharded := src.(*shardedSource)
	for {
		rec, line, err := src.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			if err := bad.add(err); err != nil {
				return err
			}
			res.Rows++
			continue
		}
		res.Rows++
		prog.tick(res.Rows)
		if sharded {
			rows.file = shards.File() // errors name the shard
		}
		if err := bad.add(rows.add(rec, line)); err != nil {
			return err
		}
	}
	if res.Rows == 0 {
		return fmt.Errorf("%s: no rows after the header: want one row per behavior", in)
	}
	return nil
}

// rowAdder validates the rows of one input file and adds them to a builder.
type rowAdder struct {
	file   string
	rowPos bool // positions are Parquet rows, not lines
	header []string
	m      *mapping
	tp     *timeParser
	b      *data.Builder
	vals   []string // reused for each row's values
	res    *Result
	odd    *oddTimes
}

// add validates and adds one row; bad input is a *RowError.
func (a *rowAdder) add(rec []string, line int) error {
	m, header := a.m, a.header
	fail := func(hint, format string, args ...any) error {
		return &RowError{File: a.file, Line: line, Row: a.rowPos, Msg: fmt.Sprintf(format, args...), Hint: hint}
	}
	if len(rec) != len(header) || len(rec) < m.need {
		return fail(hintSkip, "row has %d columns, the header has %d (%s)", len(rec), len(header), strings.Join(header, ", "))
	}
	if m.skip != nil && m.skip(rec) {
		a.res.SkippedByDesign++
		return nil
	}
	user := strings.TrimSpace(rec[m.user])
	if user == "" {
		return fail(hintSkip, "empty user id in column %s", header[m.user])
	}
	if missingMarkers[user] {
		// pandas and R write a missing value as NA (or NaN, null, ...): read as an id, every
		// such row would become one user with all their behaviors.
		return fail(hintSkip, "user id %q in column %s reads as a missing value (NA, NaN, null, None are how pandas and R write an empty cell)", user, header[m.user])
	}
	if strings.ContainsAny(user, "\r\n") {
		return fail(hintSkip, "user id %q in column %s contains a line break", user, header[m.user])
	}
	if !utf8.ValidString(user) {
		return fail(hintUTF8, "user id %q in column %s is not valid UTF-8", user, header[m.user])
	}
	t, err := a.tp.parse(rec[m.time])
	if err != nil {
		return fail(timeHint(err), "%v", err)
	}
	if err := m.values(rec, a.vals); err != nil {
		return fail(hintSkip, "%v", err)
	}
	for j, v := range a.vals {
		if msg := invalidUTF8(m.fields[j], v); msg != "" {
			return fail(hintUTF8, "%s", msg)
		}
	}
	a.odd.check(t, rec[m.time], a.file, line, a.rowPos)
	a.b.Add(user, t, a.vals)
	return nil
}

// nameFromInput is a dataset's default display name: the input file's base name without its
// extensions (online_retail.csv.gz → online_retail), or the folder's name for a RecBole
// folder. Not --out's last folder: "data/ds" would name every dataset "ds".
func nameFromInput(in string) string {
	base := filepath.Base(filepath.Clean(in))
	for {
		ext := strings.ToLower(filepath.Ext(base))
		if !dataExtensions[ext] || ext == strings.ToLower(base) {
			return base
		}
		base = base[:len(base)-len(ext)]
	}
}

// dataExtensions are the file extensions nameFromInput strips.
var dataExtensions = map[string]bool{".csv": true, ".tsv": true, ".txt": true, ".parquet": true, ".inter": true,
	".json": true, ".gz": true, ".zst": true, ".bz2": true, ".xz": true, ".zip": true}

// missingMarkers are the spellings of a missing value that tables exported by pandas, R,
// Spark or SQL tools put in an empty cell; a user id never means one of them.
var missingMarkers = map[string]bool{"NA": true, "N/A": true, "NaN": true, "nan": true, "null": true, "NULL": true, "None": true, "<NA>": true}
