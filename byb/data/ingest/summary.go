package ingest

import (
	"encoding/csv"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/byb-dev/byb/byb/data"
)

// SplitSummary describes one split of an imported dataset.
type SplitSummary struct {
	Name    string        `json:"name"`
	Obs     string        `json:"obs"` // YYYY-MM-DD..YYYY-MM-DD, end exclusive
	Samples int           `json:"samples"`
	Empty   int           `json:"empty_users"` // users of the split without behavior in its window
	Tasks   []TaskSummary `json:"tasks,omitempty"`
}

// TaskSummary is the label distribution of one task in one split.
type TaskSummary struct {
	Name    string `json:"name"`
	Labeled int    `json:"labeled"`
	Missing int    `json:"missing"`      // samples without a label
	Counts  []int  `json:"class_counts"` // samples per class
}

// PositiveRate is the share of class 1 among labelled samples of a binary task.
func (t TaskSummary) PositiveRate() float64 {
	if len(t.Counts) != 2 || t.Labeled == 0 {
		return 0
	}
	return float64(t.Counts[1]) / float64(t.Labeled)
}

// summarizeSplits reads the sample lists written by data.Writer (splits/SPLIT.csv:
// user_index,user_id,label per task) and counts samples and labels; it reads the small
// sample files, not the events.
func summarizeSplits(dir string, meta *data.Meta) ([]SplitSummary, error) {
	var out []SplitSummary
	for _, sp := range meta.Splits {
		s := SplitSummary{Name: sp.Name, Obs: sp.Obs.String(), Empty: meta.EmptyUsers[sp.Name]}
		path := filepath.Join(dir, "splits", sp.Name+".csv")
		f, err := os.Open(path)
		if err != nil {
			return nil, err
		}
		r := csv.NewReader(f)
		r.ReuseRecord = true
		header, err := r.Read()
		if err != nil {
			f.Close()
			return nil, fmt.Errorf("%s: %v", path, err)
		}
		for _, name := range header[min(2, len(header)):] {
			t := TaskSummary{Name: name}
			if _, task, err := meta.Task(name); err == nil {
				t.Counts = make([]int, task.NumClasses())
			}
			s.Tasks = append(s.Tasks, t)
		}
		for {
			rec, err := r.Read()
			if err == io.EOF {
				break
			}
			if err != nil {
				f.Close()
				return nil, fmt.Errorf("%s: %v", path, err)
			}
			s.Samples++
			for k := range s.Tasks {
				y, err := strconv.Atoi(rec[2+k])
				t := &s.Tasks[k]
				switch {
				case err != nil || y < 0:
					t.Missing++
				case y < len(t.Counts):
					t.Labeled++
					t.Counts[y]++
				}
			}
		}
		f.Close()
		out = append(out, s)
	}
	return out, nil
}

// Summary is the one-paragraph report printed after an import.
func (r *Result) Summary() string {
	m := r.Meta
	var b strings.Builder
	fmt.Fprintf(&b, "Imported %s (%s) into %s in %.1fs: %s users, %s events from %s rows, %s..%s (time format %s).",
		filepath.Base(r.In), r.Format, r.Out, r.Seconds, thousands(int64(m.Users)), thousands(m.Events),
		thousands(int64(r.Rows)), day(m.First), day(m.Last), describeTime(r.TimeFormat))
	var fields []string
	for _, f := range m.Fields {
		fields = append(fields, fmt.Sprintf("%s %s of %s values (coverage %.1f%%)", f.Name,
			thousands(int64(f.VocabSize-int(data.FirstValue))), thousands(f.RawValues), 100*f.Coverage))
	}
	fmt.Fprintf(&b, " Fields (vocabulary kept of pretraining values): %s.", strings.Join(fields, ", "))
	var splits []string
	for _, s := range r.Splits {
		txt := fmt.Sprintf("%s %s: %s samples, %s users without behavior in the window", s.Name, s.Obs,
			thousands(int64(s.Samples)), thousands(int64(s.Empty)))
		for _, t := range s.Tasks {
			if len(t.Counts) == 2 {
				txt += fmt.Sprintf(", %s %.1f%% positive", t.Name, 100*t.PositiveRate())
			} else {
				txt += fmt.Sprintf(", %s %s labelled", t.Name, thousands(int64(t.Labeled)))
			}
			if t.Missing > 0 {
				txt += fmt.Sprintf(" (%s without label)", thousands(int64(t.Missing)))
			}
		}
		splits = append(splits, txt)
	}
	fmt.Fprintf(&b, " Splits: %s.", strings.Join(splits, "; "))
	if r.SkippedByDesign > 0 {
		fmt.Fprintf(&b, " Left out by design: %s %s.", thousands(int64(r.SkippedByDesign)), r.ByDesignWhy)
	}
	if r.Skipped > 0 {
		fmt.Fprintf(&b, " Skipped %s bad rows (--skip-bad-rows), e.g. %s.", thousands(int64(r.Skipped)), strings.Join(m.SkipExamples, "; "))
	} else {
		b.WriteString(" No bad rows.")
	}
	if len(r.Warnings) > 0 {
		fmt.Fprintf(&b, " %d warnings (the \"warning: \" lines; kept in meta.json, `byb data stats` repeats them).", len(r.Warnings))
	}
	return b.String()
}

func day(t int64) string { return data.Span{Start: t, End: t}.String()[:10] }
