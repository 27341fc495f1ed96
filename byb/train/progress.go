package train

import (
	"fmt"
	"io"
	"os"
	"time"

	"github.com/schollz/progressbar/v3"
)

// progress is the bar on stderr: steps done of the total, loss, samples/s and ETA.
type progress struct {
	bar     *progressbar.ProgressBar
	start   time.Time
	samples int
	w       io.Writer
	status  func() string
}

// progressWriter is where a run's progress and notes go: Options.Progress, or stderr.
func progressWriter(opts Options) io.Writer {
	if opts.Progress == nil {
		return os.Stderr
	}
	return opts.Progress
}

func newProgress(opts Options, total, done int64) *progress {
	w := progressWriter(opts)
	if w == io.Discard {
		return &progress{}
	}
	if total <= 0 {
		total = -1 // unknown: a spinner
	}
	bar := progressbar.NewOptions64(total,
		progressbar.OptionSetWriter(w),
		progressbar.OptionSetDescription("train"),
		progressbar.OptionShowCount(),
		progressbar.OptionSetPredictTime(true),
		progressbar.OptionSetElapsedTime(true),
		progressbar.OptionThrottle(500*time.Millisecond),
		progressbar.OptionSetWidth(30),
		progressbar.OptionShowDescriptionAtLineEnd(),
		progressbar.OptionOnCompletion(func() { _, _ = fmt.Fprintln(w) }),
	)
	if done > 0 && total > 0 {
		_ = bar.Set64(done)
	}
	return &progress{bar: bar, start: time.Now(), w: w, status: opts.Status}
}

func (p *progress) step(loss float64, batch int) {
	if p.bar == nil {
		return
	}
	p.samples += batch
	rate := float64(p.samples) / time.Since(p.start).Seconds()
	text := fmt.Sprintf("loss %.4f  %.1f samples/s", loss, rate)
	if p.status != nil {
		if s := p.status(); s != "" {
			text += "  " + s
		}
	}
	p.bar.Describe(text)
	_ = p.bar.Add(1)
}

func (p *progress) finish() {
	if p.bar != nil {
		_ = p.bar.Finish()
	}
}

// abort ends the progress line where it is, so that what is printed next (an error) starts
// on a line of its own.
func (p *progress) abort() {
	if p.bar != nil {
		_ = p.bar.Exit()
		_, _ = fmt.Fprintln(p.w)
	}
}

// joinStatus is a status function showing both a's and b's text (either may be nil).
func joinStatus(a, b func() string) func() string {
	if a == nil {
		return b
	}
	return func() string {
		if s := a(); s != "" {
			return s + "  " + b()
		}
		return b()
	}
}
