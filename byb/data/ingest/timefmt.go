package ingest

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Time formats accepted by Options.TimeFormat. Any other value containing "2006" is used as
// a Go time layout (e.g. "02/01/2006 15:04").
const (
	TimeAuto     = "auto"     // decide from the first value (detectTime: mmdd first, then the order below)
	TimeUnix     = "unix"     // seconds since 1970 (a fractional part is ignored)
	TimeUnixMs   = "unix_ms"  // milliseconds since 1970
	TimeRFC3339  = "rfc3339"  // 2006-01-02T15:04:05Z07:00
	TimeDateTime = "datetime" // YYYY-MM-DD or YYYY-MM-DD HH:MM:SS (also with a T), UTC; YYYY-MM = the 1st
	TimeMMDD     = "mmdd"     // month and day, e.g. 0511 (or 511), in Options.BaseYear (the Tmall log)
)

// unixMsThreshold separates unix seconds from milliseconds in auto-detection: 1e11 seconds
// is the year 5138, 1e11 milliseconds is March 1973, so no plausible log is ambiguous.
const unixMsThreshold = 1e11

// describeTime names a format the way error messages show it.
func describeTime(f string) string {
	switch f {
	case TimeUnix:
		return "unix seconds"
	case TimeUnixMs:
		return "unix milliseconds"
	case TimeRFC3339:
		return "RFC 3339 (2006-01-02T15:04:05Z)"
	case TimeDateTime:
		return "YYYY-MM-DD[ HH:MM:SS]"
	case TimeMMDD:
		return "MMDD"
	}
	return f
}

// timeParser turns one time value into unix seconds. With TimeAuto it settles on a format
// at the first value and keeps it: a log has one time format, and a fixed format makes
// errors name what was expected.
type timeParser struct {
	format   string
	baseYear int
	picked   bool // format chosen by auto-detection
}

func newTimeParser(format string, baseYear int) (*timeParser, error) {
	switch format {
	case "", TimeAuto:
		format = TimeAuto
	case TimeUnix, TimeUnixMs, TimeRFC3339, TimeDateTime, TimeMMDD:
	default:
		if !strings.Contains(format, "2006") {
			return nil, fmt.Errorf("time format %q: want auto, unix, unix_ms, rfc3339, datetime, mmdd, or a Go layout such as 2006-01-02T15:04", format)
		}
	}
	if baseYear == 0 {
		baseYear = 2014
	}
	return &timeParser{format: format, baseYear: baseYear}, nil
}

// Format is the format in use ("auto" until the first value was seen).
func (p *timeParser) Format() string { return p.format }

// parse returns unix seconds, or an error message without position (the caller adds it).
func (p *timeParser) parse(s string) (int64, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, fmt.Errorf("time is empty")
	}
	if isNonFinite(s) {
		return 0, fmt.Errorf("time is %s, not a number (a missing value of a float column?)", s)
	}
	if p.format == TimeAuto {
		f := detectTime(s)
		if f == "" {
			return 0, fmt.Errorf("time %q is in none of the known formats (unix, unix_ms, rfc3339, datetime, mmdd)", s)
		}
		p.format, p.picked = f, true
	}
	t, ok := parseTime(s, p.format, p.baseYear)
	if !ok {
		if p.format == TimeMMDD && (s == "0229" || s == "229") {
			leap := p.baseYear + 1
			for !isLeap(leap) {
				leap++
			}
			return 0, &timeError{msg: fmt.Sprintf("time %q is February 29, which %d does not have", s, p.baseYear),
				hint: fmt.Sprintf("MMDD times take their year from --base-year: pass a leap year, e.g. --base-year %d", leap)}
		}
		return 0, fmt.Errorf("time %q is not a time in format %s", s, describeTime(p.format))
	}
	return t, nil
}

// timeError is a time that does not parse with advice of its own, in place of hintTime.
type timeError struct{ msg, hint string }

func (e *timeError) Error() string { return e.msg }

// timeHint is the advice for a time that does not parse.
func timeHint(err error) string {
	var te *timeError
	if errors.As(err, &te) {
		return te.hint
	}
	return hintTime
}

// isNonFinite recognises NaN and ±Inf as a float column prints them (formatFloat), in any case.
// EqualFold, not ToLower: this runs on every row, and ToLower allocates for "2013-05-01T10:00Z".
func isNonFinite(s string) bool {
	s = strings.TrimLeft(s, "+-")
	return strings.EqualFold(s, "nan") || strings.EqualFold(s, "inf") || strings.EqualFold(s, "infinity")
}

func isLeap(y int) bool { return y%4 == 0 && (y%100 != 0 || y%400 == 0) }

// detectTime returns the first format that parses s: MMDD for exactly four digits (a unix
// time of four digits would be the first hours of 1970), then unix seconds or milliseconds
// by magnitude, RFC 3339, and YYYY-MM-DD[ HH:MM:SS].
func detectTime(s string) string {
	if len(s) == 4 {
		if _, ok := parseTime(s, TimeMMDD, 2000); ok {
			return TimeMMDD
		}
	}
	if v, err := strconv.ParseFloat(s, 64); err == nil && isNumber(s) {
		if v >= unixMsThreshold || v <= -unixMsThreshold {
			return TimeUnixMs
		}
		return TimeUnix
	}
	for _, f := range []string{TimeRFC3339, TimeDateTime} {
		if _, ok := parseTime(s, f, 0); ok {
			return f
		}
	}
	return ""
}

// isNumber reports whether s is a plain decimal number (ParseFloat also takes "NaN", "1e9").
func isNumber(s string) bool {
	if s != "" && (s[0] == '-' || s[0] == '+') {
		s = s[1:]
	}
	dot := false
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c >= '0' && c <= '9':
		case c == '.' && !dot:
			dot = true
		default:
			return false
		}
	}
	return s != "" && s != "."
}

// parseTime parses s in format f. The common layouts are parsed by hand: time.Parse would
// dominate the import of a log with hundreds of millions of rows.
func parseTime(s, f string, baseYear int) (int64, bool) {
	switch f {
	case TimeUnix, TimeUnixMs:
		if !isNumber(s) {
			return 0, false
		}
		ip := s
		if i := strings.IndexByte(s, '.'); i >= 0 {
			ip = s[:i]
		}
		if ip == "" || ip == "-" || ip == "+" {
			ip += "0"
		}
		v, err := strconv.ParseInt(ip, 10, 64)
		if err != nil {
			return 0, false
		}
		if f == TimeUnixMs {
			return floorDiv(v, 1000), true
		}
		return v, true
	case TimeMMDD:
		// Three digits are MDD: tools that read the Tmall log as integers drop the 0 of 0829.
		if len(s) == 3 {
			s = "0" + s
		}
		if len(s) != 4 {
			return 0, false
		}
		mo, ok1 := digits(s[0:2])
		d, ok2 := digits(s[2:4])
		if !ok1 || !ok2 {
			return 0, false
		}
		return civil(baseYear, mo, d, 0, 0, 0)
	case TimeDateTime:
		return parseDateTime(s)
	case TimeRFC3339:
		t, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			return 0, false
		}
		return t.Unix(), true
	}
	t, err := time.Parse(f, s)
	if err != nil {
		return 0, false
	}
	return t.Unix(), true
}

// parseDateTime parses YYYY-MM-DD, YYYY-MM-DD HH:MM[:SS[.fff]] or the same with a T, in UTC;
// and YYYY-MM, a month-level date, as the first of the month.
func parseDateTime(s string) (int64, bool) {
	if len(s) == 7 && s[4] == '-' {
		y, ok1 := digits(s[0:4])
		mo, ok2 := digits(s[5:7])
		if !ok1 || !ok2 {
			return 0, false
		}
		return civil(y, mo, 1, 0, 0, 0)
	}
	if len(s) < 10 || s[4] != '-' || s[7] != '-' {
		return 0, false
	}
	y, ok1 := digits(s[0:4])
	mo, ok2 := digits(s[5:7])
	d, ok3 := digits(s[8:10])
	if !ok1 || !ok2 || !ok3 {
		return 0, false
	}
	if len(s) == 10 {
		return civil(y, mo, d, 0, 0, 0)
	}
	rest := s[10:]
	if len(rest) < 6 || (rest[0] != ' ' && rest[0] != 'T') || rest[3] != ':' {
		return 0, false
	}
	h, ok1 := digits(rest[1:3])
	mi, ok2 := digits(rest[4:6])
	if !ok1 || !ok2 {
		return 0, false
	}
	sec := 0
	rest = rest[6:]
	if rest != "" {
		if len(rest) < 3 || rest[0] != ':' {
			return 0, false
		}
		var ok bool
		if sec, ok = digits(rest[1:3]); !ok {
			return 0, false
		}
		rest = rest[3:]
		if rest != "" { // fractional seconds are dropped: days are what the model sees
			if rest[0] != '.' || len(rest) == 1 {
				return 0, false
			}
			if _, ok := digits(rest[1:]); !ok {
				return 0, false
			}
		}
	}
	return civil(y, mo, d, h, mi, sec)
}

// digits parses a short run of ASCII digits.
func digits(s string) (int, bool) {
	if s == "" || len(s) > 9 {
		return 0, false
	}
	n := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, true
}

// civil converts a UTC calendar time to unix seconds, rejecting out-of-range fields (time.Date
// would silently normalise 2013-13-45 into 2014).
func civil(y, mo, d, h, mi, s int) (int64, bool) {
	if mo < 1 || mo > 12 || d < 1 || h > 23 || mi > 59 || s > 60 {
		return 0, false
	}
	t := time.Date(y, time.Month(mo), d, h, mi, s, 0, time.UTC)
	if t.Day() != d { // e.g. 02-30
		return 0, false
	}
	return t.Unix(), true
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && (a < 0) != (b < 0) {
		q--
	}
	return q
}
