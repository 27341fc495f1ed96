package ingest

import (
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"time"

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
	Seconds         float64        `json:"seconds"`
}

// Import reads o.In, builds the dataset at o.Out and returns what it did. On failure
// nothing is left at o.Out (nor a temporary directory beside it).
func Import(o Options) (*Result, error) {
	startTime := time.Now()
	spec, err := lookupFormat(o.Format)
	if err != nil {
		return nil, err
	}
	if o.In == "" || o.Out == "" {
		return nil, fmt.Errorf("import needs an input file (--in) and an output directory (--out)")
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
	m, err := spec.bind(src.Header(), &o, o.In)
	if err != nil {
		return nil, err
	}
	res := &Result{Format: spec.name, In: o.In, Out: o.Out, ByDesignWhy: m.skipWhy}
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
	if err := readRows(src, m, tp, b, &bad, res, newProgress(o.Progress, filepath.Base(o.In))); err != nil {
		return nil, err
	}
	for t, a := range tables {
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

	// External labels need the users, so they are read after the events.
	external := map[string]map[string]int32{}
	for i := range tasks {
		t := &tasks[i]
		var l *Labels
		var err error
		switch t.Rule {
		case data.RuleExternal:
			if l, err = ReadLabels(t.Path, b.HasUser, o.SkipBadRows); err != nil {
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
	meta, err := b.Build(o.Out, data.BuildOptions{
		Name: name, Source: source, Splits: splits, Tasks: tasks,
		MinCount: minCount, MaxVocab: maxVocab, External: external,
		SkippedRows: bad.count, SkipExamples: bad.examples,
	})
	if err != nil {
		return nil, err
	}
	res.Meta = meta
	res.Notes = append(res.Notes, data.UserShareNotes(meta)...)
	if res.Splits, err = summarizeSplits(o.Out, meta); err != nil {
		return nil, err
	}
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

func openSource(spec *formatSpec, o *Options) (source, error) {
	if spec.parquet {
		return openParquet(o.In)
	}
	delim := spec.delim
	if o.Delimiter != 0 {
		delim = o.Delimiter
	}
	return openCSV(o.In, delim)
}

// readRows adds every good row of src to b; bad rows fail or are counted by bad.
func readRows(src source, m *mapping, tp *timeParser, b *data.Builder, bad *badRows, res *Result, prog *progress) error {
	header := src.Header()
	vals := make([]string, len(m.fields))
	file := res.In
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
		if err := bad.add(addRow(rec, line, header, m, tp, b, vals, file, src.RowPositions(), res)); err != nil {
			return err
		}
	}
	if res.Rows == 0 {
		return fmt.Errorf("%s: no rows after the header: want one row per behavior", file)
	}
	return nil
}

// addRow validates and adds one row; bad input is a *RowError.
func addRow(rec []string, line int, header []string, m *mapping, tp *timeParser, b *data.Builder, vals []string, file string, rowPos bool, res *Result) error {
	fail := func(hint, format string, args ...any) error {
		return &RowError{File: file, Line: line, Row: rowPos, Msg: fmt.Sprintf(format, args...), Hint: hint}
	}
	if len(rec) != len(header) || len(rec) < m.need {
		return fail(hintSkip, "row has %d columns, the header has %d (%s)", len(rec), len(header), strings.Join(header, ", "))
	}
	if m.skip != nil && m.skip(rec) {
		res.SkippedByDesign++
		return nil
	}
	user := strings.TrimSpace(rec[m.user])
	if user == "" {
		return fail(hintSkip, "empty user id in column %s", header[m.user])
	}
	if strings.ContainsAny(user, "\r\n") {
		return fail(hintSkip, "user id %q in column %s contains a line break", user, header[m.user])
	}
	t, err := tp.parse(rec[m.time])
	if err != nil {
		return fail(hintTime, "%v", err)
	}
	if err := m.values(rec, vals); err != nil {
		return fail(hintSkip, "%v", err)
	}
	b.Add(user, t, vals)
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
