package data

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Pooling windows (ΔT1): a SeqConfig pools a span's behaviors into windows of Pool seconds,
// or of Months calendar months, counted from the span's start.

// Windows is T, the number of pooling windows of a span.
func (c SeqConfig) Windows(obs Span) int {
	if obs.End <= obs.Start {
		return 0
	}
	if c.Months > 0 {
		return c.window(obs.End-1, obs.Start) + 1
	}
	p := c.pool()
	return int((obs.End - obs.Start + p - 1) / p)
}

// window is the index of the pooling window holding time t, counted from origin.
func (c SeqConfig) window(t, origin int64) int {
	if c.Months <= 0 {
		return int((t - origin) / c.pool())
	}
	a, b := time.Unix(origin, 0).UTC(), time.Unix(t, 0).UTC()
	k := ((b.Year()-a.Year())*12 + int(b.Month()) - int(a.Month())) / c.Months
	for k > 0 && c.WindowStart(origin, k) > t { // t is before its day-of-month in that month
		k--
	}
	return k
}

// WindowStart is the start of window k counted from origin (k < 0: before it).
func (c SeqConfig) WindowStart(origin int64, k int) int64 {
	if c.Months <= 0 {
		return origin + int64(k)*c.pool()
	}
	return time.Unix(origin, 0).UTC().AddDate(0, k*c.Months, 0).Unix()
}

func (c SeqConfig) pool() int64 {
	if c.Pool <= 0 {
		return Day
	}
	return c.Pool
}

// ParsePool reads a pooling window ΔT1: hour, day, week or month (calendar months), or a
// count and a unit, as 30m, 6h, 1d, 7d, 2w, 3mo. It returns the window in seconds, or in
// calendar months (seconds 0).
func ParsePool(s string) (seconds int64, months int, err error) {
	name := strings.ToLower(strings.TrimSpace(s))
	switch name {
	case "", "day":
		return Day, 0, nil
	case "hour":
		return 3600, 0, nil
	case "week":
		return 7 * Day, 0, nil
	case "month":
		return 0, 1, nil
	}
	num := strings.TrimRightFunc(name, func(r rune) bool { return r < '0' || r > '9' })
	unit := name[len(num):]
	n, convErr := strconv.Atoi(num)
	if convErr != nil || n <= 0 {
		return 0, 0, fmt.Errorf("pooling window %q: want hour, day, week, month or a count and a unit (30m, 6h, 1d, 7d, 2w, 3mo)", s)
	}
	switch unit {
	case "m", "min":
		return int64(n) * 60, 0, nil
	case "h":
		return int64(n) * 3600, 0, nil
	case "d":
		return int64(n) * Day, 0, nil
	case "w":
		return int64(n) * 7 * Day, 0, nil
	case "mo", "month", "months":
		return 0, n, nil
	}
	return 0, 0, fmt.Errorf("pooling window %q: unknown unit %q (m, h, d, w, mo)", s, unit)
}
