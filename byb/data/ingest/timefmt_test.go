package ingest

import (
	"strings"
	"testing"
	"time"
)

func utc(s string) int64 {
	t, err := time.Parse("2006-01-02 15:04:05", s)
	if err != nil {
		panic(err)
	}
	return t.Unix()
}

func TestParseTimeFormats(t *testing.T) {
	cases := []struct {
		format, in string
		want       int64
		ok         bool
	}{
		{TimeUnix, "1366000000", 1366000000, true},
		{TimeUnix, "978300760.0", 978300760, true},
		{TimeUnix, "-86400", -86400, true},
		{TimeUnix, "12x", 0, false},
		{TimeUnix, "1e9", 0, false},
		{TimeUnixMs, "1366000000123", 1366000000, true},
		{TimeUnixMs, "-1", -1, true},
		{TimeRFC3339, "2013-05-11T10:00:00Z", utc("2013-05-11 10:00:00"), true},
		{TimeRFC3339, "2013-05-11T12:00:00+02:00", utc("2013-05-11 10:00:00"), true},
		{TimeRFC3339, "2013-05-11 10:00:00", 0, false},
		{TimeDateTime, "2013-05-11", utc("2013-05-11 00:00:00"), true},
		{TimeDateTime, "2011-03", utc("2011-03-01 00:00:00"), true}, // a month-level date
		{TimeDateTime, "2011-13", 0, false},
		{TimeDateTime, "2011-12-09 12:50:00", utc("2011-12-09 12:50:00"), true},
		{TimeDateTime, "2011-12-09T12:50", utc("2011-12-09 12:50:00"), true},
		{TimeDateTime, "2011-12-09 12:50:07.250", utc("2011-12-09 12:50:07"), true},
		{TimeDateTime, "2013-13-45", 0, false},
		{TimeDateTime, "2013-02-30", 0, false},
		{TimeDateTime, "2013-02-28 24:00:00", 0, false},
		{TimeDateTime, "2013/02/28", 0, false},
		{TimeDateTime, "2013-02-28 10", 0, false},
		{TimeMMDD, "0511", utc("2014-05-11 00:00:00"), true},
		{TimeMMDD, "1111", utc("2014-11-11 00:00:00"), true},
		{TimeMMDD, "1311", 0, false},
		{TimeMMDD, "829", utc("2014-08-29 00:00:00"), true},
		{TimeMMDD, "51", 0, false},
		{TimeMMDD, "05-11", 0, false},
		{"02/01/2006 15:04", "11/05/2013 10:30", utc("2013-05-11 10:30:00"), true},
	}
	for _, c := range cases {
		p, err := newTimeParser(c.format, 2014)
		if err != nil {
			t.Fatal(err)
		}
		got, err := p.parse(c.in)
		if c.ok != (err == nil) || (c.ok && got != c.want) {
			t.Errorf("%s %q: got %d, %v; want %d, ok=%v", c.format, c.in, got, err, c.want, c.ok)
		}
		if !c.ok && err != nil && !strings.Contains(err.Error(), c.in) {
			t.Errorf("%s %q: error %q does not name the value", c.format, c.in, err)
		}
	}
}

func TestAutoDetectTime(t *testing.T) {
	cases := []struct{ in, want string }{
		{"1366000000", TimeUnix},
		{"978300760.5", TimeUnix},
		{"1366000000123", TimeUnixMs},
		{"2013-05-11T10:00:00Z", TimeRFC3339},
		{"2013-05-11", TimeDateTime},
		{"2011-03", TimeDateTime},
		{"2013-05-11 10:00:00", TimeDateTime},
		{"0511", TimeMMDD},
		{"1399", TimeUnix}, // not a valid MMDD: a (strange) unix time
		{"yesterday", ""},
	}
	for _, c := range cases {
		if got := detectTime(c.in); got != c.want {
			t.Errorf("detectTime(%q) = %q, want %q", c.in, got, c.want)
		}
	}
	// Auto settles on the first value's format and then holds the rest to it.
	p, _ := newTimeParser(TimeAuto, 0)
	if _, err := p.parse("2013-05-11"); err != nil || p.Format() != TimeDateTime || !p.picked {
		t.Fatalf("auto: format %s picked=%v err=%v", p.Format(), p.picked, err)
	}
	if _, err := p.parse("1366000000"); err == nil || !strings.Contains(err.Error(), "YYYY-MM-DD") {
		t.Fatalf("auto then another format: err %v", err)
	}
	if _, err := newTimeParser("dd/mm/yyyy", 0); err == nil {
		t.Fatal("a bad format name was accepted")
	}
}

func TestMMDDBaseYear(t *testing.T) {
	p, _ := newTimeParser(TimeMMDD, 2013)
	got, err := p.parse("0930")
	if err != nil || got != utc("2013-09-30 00:00:00") {
		t.Fatalf("0930 in 2013: %d %v", got, err)
	}
	p, _ = newTimeParser(TimeMMDD, 0) // default 2014
	if got, _ := p.parse("0229"); got != 0 {
		t.Fatalf("0229 is not a day of 2014, got %d", got)
	}
}
