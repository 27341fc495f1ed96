package data

import (
	"testing"
	"time"
)

func TestParsePool(t *testing.T) {
	for in, want := range map[string][2]int64{
		"day": {Day, 0}, "": {Day, 0}, "hour": {3600, 0}, "week": {7 * Day, 0}, "month": {0, 1},
		"6h": {6 * 3600, 0}, "1d": {Day, 0}, "7d": {7 * Day, 0}, "30d": {30 * Day, 0}, "2w": {14 * Day, 0},
		"30m": {1800, 0}, "3mo": {0, 3}, "Month": {0, 1},
	} {
		s, m, err := ParsePool(in)
		if err != nil || s != want[0] || int64(m) != want[1] {
			t.Errorf("ParsePool(%q) = %d s, %d months, %v; want %v", in, s, m, err, want)
		}
	}
	for _, bad := range []string{"fortnight", "0d", "-1d", "7x", "d"} {
		if _, _, err := ParsePool(bad); err == nil {
			t.Errorf("ParsePool(%q) accepted", bad)
		}
	}
}

// Month pooling puts behaviors in calendar months counted from the span's start, months of
// 28 to 31 days alike, and the target windows after the span are months too.
func TestMonthPooling(t *testing.T) {
	at := func(s string) int64 {
		v, err := time.Parse("2006-01-02", s)
		if err != nil {
			t.Fatal(err)
		}
		return v.Unix()
	}
	c := SeqConfig{Months: 1, TargetWindows: 2}
	obs := Span{at("2011-01-01"), at("2011-04-01")}
	if w := c.Windows(obs); w != 3 {
		t.Errorf("Jan..Mar: %d windows, want 3", w)
	}
	for day, want := range map[string]int{"2011-01-01": 0, "2011-01-31": 0, "2011-02-01": 1, "2011-02-28": 1, "2011-03-01": 2, "2011-03-31": 2} {
		if got := c.window(at(day), obs.Start); got != want {
			t.Errorf("%s: window %d, want %d", day, got, want)
		}
	}
	if got := c.TargetSpan(obs); got.End != at("2011-06-01") {
		t.Errorf("2 target months after March end at %s, want 2011-06-01", time.Unix(got.End, 0).UTC())
	}
	// A span starting mid-month counts months from that day.
	mid := Span{at("2011-01-15"), at("2011-03-15")}
	if w := c.Windows(mid); w != 2 {
		t.Errorf("Jan 15..Mar 15: %d windows, want 2", w)
	}
	if got := c.window(at("2011-02-14"), mid.Start); got != 0 {
		t.Errorf("Feb 14 from Jan 15: window %d, want 0", got)
	}
	if got := c.window(at("2011-02-15"), mid.Start); got != 1 {
		t.Errorf("Feb 15 from Jan 15: window %d, want 1", got)
	}
	// Quarters.
	q := SeqConfig{Months: 3}
	if w := q.Windows(Span{at("2011-01-01"), at("2012-01-01")}); w != 4 {
		t.Errorf("a year of quarters: %d windows", w)
	}
	if got := q.window(at("2011-07-04"), at("2011-01-01")); got != 2 {
		t.Errorf("July in quarters from January: window %d, want 2", got)
	}
	// Seconds pooling is unchanged: 6-hour windows.
	h := SeqConfig{Pool: 6 * 3600}
	if w := h.Windows(Span{0, Day}); w != 4 {
		t.Errorf("a day of 6h windows: %d", w)
	}
}
