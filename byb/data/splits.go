package data

import (
	"fmt"
	"strings"
	"time"
)

// SplitOptions describe the paper's time windows when they are not given explicitly.
type SplitOptions struct {
	PretrainDays int // length of the pretraining span (the paper: 120 Tmall, 180 mobile)
	ObsDays      int // length of the finetune and test observation windows (60, 180)
	HorizonDays  int // longest label window (the tasks' largest Days)
	// TestUsers > 0 gives finetune and test the same (latest) window and disjoint users:
	// this share of users, chosen by a hash of their id, goes to test. For logs too short
	// for two successive windows, and for external labels that have no time.
	TestUsers float64
}

// DefaultSplits places the windows at the end of the data [first, last], aligned to days, in
// the paper's order (Table 8: pretraining, then finetuning, then test): the test observation
// window ends HorizonDays before the last day, so its labels fit; finetune's ends HorizonDays
// before test's, so finetune labels never reach into the test label window; pretraining ends
// where the finetune observation ends, so it never sees the period the test labels come from.
// With TestUsers (one window for finetune and test, disjoint users) pretraining ends where
// that window ends: the overlap is by design, and Overlaps reports it.
//
// The finetune and test observation windows always have one length, since a model finetuned
// on histories of one length is tested on the other's (byb finetune refuses windows of two
// lengths): when the start of the data cuts the finetune window short of ObsDays (always, for
// ObsDays beyond the data: "all history"), the test window gets the same, shorter length.
func DefaultSplits(first, last int64, o SplitOptions) ([]Split, error) {
	start := floorDay(first)
	end := floorDay(last) + Day
	h := int64(o.HorizonDays) * Day
	testEnd := end - h
	ftEnd := testEnd - h
	if o.TestUsers > 0 {
		ftEnd = testEnd
	}
	window := func(e int64, days int) Span {
		s := e - int64(days)*Day
		if days <= 0 || s < start {
			s = start
		}
		return Span{s, e}
	}
	ft := window(ftEnd, o.ObsDays)
	splits := []Split{
		{Name: Pretrain, Obs: window(ftEnd, o.PretrainDays)},
		{Name: Finetune, Obs: ft},
		{Name: Test, Obs: Span{testEnd - (ft.End - ft.Start), testEnd}},
	}
	if o.TestUsers > 0 {
		if o.TestUsers >= 1 {
			return nil, fmt.Errorf("test user share %v must be in (0,1)", o.TestUsers)
		}
		splits[1].UserFrom, splits[1].UserTo = 0, 1-o.TestUsers
		splits[2].UserFrom, splits[2].UserTo = 1-o.TestUsers, 1
	}
	for _, s := range splits {
		if s.Obs.End <= s.Obs.Start {
			return nil, fmt.Errorf("the data spans %s..%s (%d days), too short for a %s window with %d-day label windows: pass shorter horizons, --test-users, or explicit windows",
				day(first), day(last), int((end-start)/Day), s.Name, o.HorizonDays)
		}
	}
	return splits, nil
}

// ParseSpan parses "YYYY-MM-DD..YYYY-MM-DD" (end exclusive) into a Span.
func ParseSpan(s string) (Span, error) {
	a, b, ok := strings.Cut(s, "..")
	if !ok {
		return Span{}, fmt.Errorf("window %q: want START..END as YYYY-MM-DD..YYYY-MM-DD (end exclusive)", s)
	}
	ta, err1 := time.Parse("2006-01-02", strings.TrimSpace(a))
	tb, err2 := time.Parse("2006-01-02", strings.TrimSpace(b))
	if err1 != nil || err2 != nil || !tb.After(ta) {
		return Span{}, fmt.Errorf("window %q: want START..END as YYYY-MM-DD..YYYY-MM-DD with END after START", s)
	}
	return Span{ta.Unix(), tb.Unix()}, nil
}

func floorDay(t int64) int64 {
	d := t / Day * Day
	if d > t {
		d -= Day
	}
	return d
}

func day(t int64) string { return time.Unix(t, 0).UTC().Format("2006-01-02") }

// Overlaps describes, in sentences, where the pretraining span reaches into the finetune or
// test periods: the test observation window (as in the paper's Tmall split, harmless: no
// label), the test label window (pretraining then sees the period the test labels describe)
// and the finetune label window. horizonDays is the longest label window. Nil when none.
func Overlaps(splits []Split, horizonDays int) []string {
	var pre *Split
	for i := range splits {
		if splits[i].Name == Pretrain {
			pre = &splits[i]
		}
	}
	if pre == nil {
		return nil
	}
	var out []string
	h := int64(horizonDays) * Day
	for _, s := range splits {
		if s.Name == Pretrain {
			continue
		}
		if d := overlapDays(pre.Obs, s.Obs); d > 0 {
			out = append(out, fmt.Sprintf("pretraining %s overlaps the %s observation window %s by %d days", pre.Obs, s.Name, s.Obs, d))
		}
		if labels := (Span{s.Obs.End, s.Obs.End + h}); h > 0 {
			if d := overlapDays(pre.Obs, labels); d > 0 {
				out = append(out, fmt.Sprintf("pretraining %s overlaps the %s label window %s by %d days: pretraining sees the period those labels describe", pre.Obs, s.Name, labels, d))
			}
		}
	}
	return out
}

func overlapDays(a, b Span) int {
	lo, hi := max(a.Start, b.Start), min(a.End, b.End)
	if hi <= lo {
		return 0
	}
	return int((hi - lo + Day - 1) / Day)
}

// LabelWindows are the finetune and test label windows: the tasks' longest horizon after each
// observation window, in that order (none without a time-based task).
func (m *Meta) LabelWindows() []NamedSpan {
	horizon := int64(Horizon(m.Tasks)) * Day
	if horizon == 0 {
		return nil
	}
	var out []NamedSpan
	for _, name := range []string{Finetune, Test} {
		if s, err := m.Split(name); err == nil {
			out = append(out, NamedSpan{Name: name, Span: Span{Start: s.Obs.End, End: s.Obs.End + horizon}})
		}
	}
	return out
}

// NamedSpan is a split's window with the split's name.
type NamedSpan struct {
	Name string
	Span Span
}

// LabelWindowsText names the label windows, e.g. "finetune labels 2013-07-01..2013-07-31,
// test labels 2013-09-01..2013-10-01".
func (m *Meta) LabelWindowsText() string {
	var parts []string
	for _, w := range m.LabelWindows() {
		parts = append(parts, fmt.Sprintf("%s labels %s", w.Name, w.Span))
	}
	if len(parts) == 0 {
		return "no label windows: no time-based task"
	}
	return strings.Join(parts, ", ")
}
