package ingest

import (
	"fmt"
	"io"
	"iter"
	"math"
	"strings"
	"time"

	"github.com/byb-dev/byb/byb/data"
)

// The checks of an import that look at the data as a whole, so that nothing is dropped or
// left unusable silently: each finding is a warning with counts (Result.warn: printed, kept in
// meta.json) or, when the dataset could not be used, an error saying what to do.

// warn records a warning: printed at once on progress as a "warning: " line (a long import
// shows it before it ends) and kept in r.Warnings, which go to meta.json.
func (r *Result) warn(progress io.Writer, format string, args ...any) {
	w := fmt.Sprintf(format, args...)
	r.Warnings = append(r.Warnings, w)
	if progress != nil {
		fmt.Fprintf(progress, "warning: %s\n", w)
	}
}

// oddTimes counts behaviors whose time cannot be meant: before 1970 (a negative unix time: a
// sentinel such as -1, or a wrong --time-format) or more than a year after the import
// (milliseconds read as seconds, a 2099-12-31 placeholder). They are kept, and the warning
// shows the first one with its position.
type oddTimes struct {
	limit         int64 // the latest plausible time
	before, after int64
	example       string
}

func newOddTimes(now time.Time) *oddTimes { return &oddTimes{limit: now.Unix() + 365*data.Day} }

// check counts t when it is implausible; raw is the value as read, at file:line (or row).
func (o *oddTimes) check(t int64, raw, file string, line int, row bool) {
	if t >= 0 && t <= o.limit {
		return
	}
	if t < 0 {
		o.before++
	} else {
		o.after++
	}
	if o.example == "" {
		o.example = fmt.Sprintf("%s: time %q (%s)", position(file, line, row), strings.TrimSpace(raw), day(t))
	}
}

// warning is the sentence for the counted times, or "" when there were none.
func (o *oddTimes) warning() string {
	if o.before+o.after == 0 {
		return ""
	}
	var parts []string
	if o.before > 0 {
		parts = append(parts, thousands(o.before)+" before 1970")
	}
	if o.after > 0 {
		parts = append(parts, thousands(o.after)+" more than a year after today")
	}
	return fmt.Sprintf("%s behaviors have implausible times (%s), e.g. %s; they are kept: check the time column and --time-format (milliseconds read as seconds? a placeholder date?)",
		thousands(o.before+o.after), strings.Join(parts, ", "), o.example)
}

// checkWindows counts, in one pass over the behaviors' times, those in each split's
// observation and label windows, and warns about the behaviors outside every window (no
// split, label or vocabulary sees them) and about label windows without behaviors (every label
// from them is the same). It returns the behaviors per observation window, by split: an empty
// one leaves its split without samples, which checkSamples reports as an error.
func checkWindows(times iter.Seq[int64], splits []data.Split, horizonDays int, warn func(string, ...any)) map[string]int {
	type window struct {
		split string
		span  data.Span
		label bool
	}
	var ws []window
	lo, hi := int64(math.MaxInt64), int64(math.MinInt64)
	for _, s := range splits {
		ws = append(ws, window{split: s.Name, span: s.Obs})
		lo, hi = min(lo, s.Obs.Start), max(hi, s.Obs.End)
		if s.Name != data.Pretrain && horizonDays > 0 {
			l := data.Span{Start: s.Obs.End, End: s.Obs.End + int64(horizonDays)*data.Day}
			ws = append(ws, window{split: s.Name, span: l, label: true})
			hi = max(hi, l.End)
		}
	}
	counts := make([]int, len(ws))
	var before, after, between, total int
	for t := range times {
		total++
		in := false
		for i := range ws {
			if ws[i].span.Contains(t) {
				counts[i]++
				in = true
			}
		}
		switch {
		case in:
		case t < lo:
			before++
		case t >= hi:
			after++
		default:
			between++
		}
	}
	if n := before + after + between; n > 0 {
		var parts []string
		for _, p := range []struct {
			n    int
			what string
		}{{before, "before " + day(lo)}, {after, "on or after " + day(hi)}, {between, "between the windows"}} {
			if p.n > 0 {
				parts = append(parts, fmt.Sprintf("%s %s", thousands(int64(p.n)), p.what))
			}
		}
		warn("%s of %s behaviors (%.1f%%) lie outside every window: %s; no split, label or vocabulary uses them: widen the windows (--pretrain-days, --obs-days, or explicit --pretrain, --finetune and --test)",
			thousands(int64(n)), thousands(int64(total)), 100*float64(n)/float64(max(1, total)), strings.Join(parts, ", "))
	}
	obs := map[string]int{}
	for i, w := range ws {
		switch {
		case !w.label:
			obs[w.split] = counts[i]
		case counts[i] == 0:
			warn("the %s label window %s holds no behaviors: every label computed from it is the same (no activity, no most frequent value): end the %s window earlier, or shorten the tasks' horizons",
				w.split, w.span, w.split)
		}
	}
	return obs
}

// checkSamples fails when a split has no sample, saying why and what moves it: a split without
// samples cannot be pretrained, finetuned or tested on, and would be found only by the run
// that tries. inWindow holds the behaviors per observation window (checkWindows); explicit
// says whether the windows were given (--pretrain, --finetune, --test) or placed.
func checkSamples(splits []SplitSummary, meta *data.Meta, inWindow map[string]int, explicit bool) error {
	for _, s := range splits {
		if s.Samples > 0 {
			continue
		}
		if inWindow[s.Name] == 0 {
			fix := fmt.Sprintf("move --%s into the data, or leave the windows out to have them placed at its end", s.Name)
			if !explicit {
				days := "--obs-days"
				if s.Name == data.Pretrain {
					days = "--pretrain-days"
				}
				fix = fmt.Sprintf("the windows are placed at the end of the data: pass a longer %s, or explicit windows (check the times: a warning above may say why)", days)
			}
			return fmt.Errorf("split %s has 0 samples: no behavior lies in its window %s (the data span %s..%s): %s",
				s.Name, s.Obs, day(meta.First), day(meta.Last), fix)
		}
		sp, _ := meta.Split(s.Name)
		return fmt.Errorf("split %s has 0 samples: its window %s holds %s behaviors, but none of its users (the %.0f%% of the %s users whose id hashes into [%.2f, %.2f)) has one: change --test-users, or import more users",
			s.Name, s.Obs, thousands(int64(inWindow[s.Name])), 100*(sp.UserTo-sp.UserFrom), thousands(int64(meta.Users)), sp.UserFrom, sp.UserTo)
	}
	return nil
}

// labelWarnings warns, per finetune and test split and task, when no sample has a label or
// every labelled sample is of one class: AUROC and KS are then undefined on test, and a
// finetuned head learns a constant; today only a finetuning run would find out.
func labelWarnings(splits []SplitSummary, meta *data.Meta) []string {
	var out []string
	for _, s := range splits {
		for _, t := range s.Tasks {
			_, task, err := meta.Task(t.Name)
			if err != nil {
				continue
			}
			if t.Labeled == 0 {
				out = append(out, fmt.Sprintf("task %s: no %s sample has a label (%s samples): the task cannot be used on this split: move its window, or check the task",
					t.Name, s.Name, thousands(int64(s.Samples))))
				continue
			}
			present, only := 0, 0
			for c, n := range t.Counts {
				if n > 0 {
					present, only = present+1, c
				}
			}
			if present != 1 || only >= len(task.Classes) {
				continue
			}
			why := "a finetuned head can only learn that class"
			if s.Name == data.Test {
				why = "AUROC and KS are undefined on test"
			}
			out = append(out, fmt.Sprintf("task %s: every labelled %s sample (%s) is class %q: %s; move the %s window or change the task so that its labels take more than one class",
				t.Name, s.Name, thousands(int64(t.Labeled)), task.Classes[only], why, s.Name))
		}
	}
	return out
}

// fieldWarnings warns about fields without any value in the pretraining span, where the
// vocabularies are counted: every ID of such a field is out of vocabulary (the outcome of a
// --min-count that keeps nothing, which data.Builder refuses, by another cause).
func fieldWarnings(meta *data.Meta) []string {
	pre, _ := meta.Split(data.Pretrain)
	var out []string
	for _, f := range meta.Fields {
		if f.RawValues == 0 {
			out = append(out, fmt.Sprintf("field %s has no value in the pretraining span %s: all its IDs are out of vocabulary, so the model cannot tell them apart: widen --pretrain, or check the column",
				f.Name, pre.Obs))
		}
	}
	return out
}

// duplicatesWarning is the sentence for behaviors that repeat an earlier one (data.Builder
// counts them), or "" when none do.
func duplicatesWarning(dups, events int64) string {
	if dups == 0 {
		return ""
	}
	return fmt.Sprintf("%s duplicate behaviors (%.1f%%): same user, time and IDs as an earlier behavior; they are kept (repeats can be real, e.g. two clicks within the time column's resolution): drop them before the import if they are copies",
		thousands(dups), 100*float64(dups)/float64(max(1, events)))
}
