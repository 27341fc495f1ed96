package ingest

import (
	"fmt"
	"io"
	"time"
)

// progress prints rows read and the rate every few seconds while a big file is read; a
// small file is done before the first report, so it prints nothing.
type progress struct {
	w           io.Writer
	file        string
	start, last time.Time
	every       time.Duration
}

func newProgress(w io.Writer, file string) *progress {
	now := time.Now()
	return &progress{w: w, file: file, start: now, last: now, every: 2 * time.Second}
}

// tick is called once per row; it looks at the clock only every 64Ki rows.
func (p *progress) tick(rows int) {
	if p.w == nil || rows&(1<<16-1) != 0 {
		return
	}
	now := time.Now()
	if now.Sub(p.last) < p.every {
		return
	}
	p.last = now
	fmt.Fprintf(p.w, "%s: %s rows read (%s rows/s)\n", p.file, thousands(int64(rows)),
		thousands(int64(float64(rows)/now.Sub(p.start).Seconds())))
}

func (p *progress) note(format string, args ...any) {
	if p.w != nil {
		fmt.Fprintf(p.w, format+"\n", args...)
	}
}

// thousands formats n with comma separators (541,909), as the summary prints counts.
func thousands(n int64) string {
	s := fmt.Sprint(n)
	neg := n < 0
	if neg {
		s = s[1:]
	}
	out := make([]byte, 0, len(s)+len(s)/3)
	for i := range len(s) {
		if i > 0 && (len(s)-i)%3 == 0 {
			out = append(out, ',')
		}
		out = append(out, s[i])
	}
	if neg {
		return "-" + string(out)
	}
	return string(out)
}
