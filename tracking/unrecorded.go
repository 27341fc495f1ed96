package tracking

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"

	"github.com/byb-dev/byb/byb/record"
)

// What the tracker could not take is kept, not lost: a run whose database writes keep failing
// (disk full, a locked or vanished file) goes on training, says so once, and appends what it
// could not write to UnrecordedFile in its run directory, one JSON object per line.

// UnrecordedFile is the file, in a run directory, that holds what the tracker did not record.
const UnrecordedFile = record.UnrecordedFile

// unrecorded is one line of UnrecordedFile.
type unrecorded struct {
	Run    string            `json:"run,omitempty"` // tracker run id, when the run was started
	Kind   string            `json:"kind"`          // metric, params, tag, artifact, end
	Key    string            `json:"key,omitempty"`
	Value  *float64          `json:"value,omitempty"`
	Step   int64             `json:"step,omitempty"`
	TS     int64             `json:"ts_ms"`
	Params map[string]string `json:"params,omitempty"`
	Text   string            `json:"text,omitempty"` // tag value, artifact path, end status
	Reason string            `json:"reason,omitempty"`
}

// keepUnrecorded appends lines to dir's UnrecordedFile.
func keepUnrecorded(dir string, lines []unrecorded) error {
	if dir == "" {
		return fmt.Errorf("the run has no directory to keep them in")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	f, err := os.OpenFile(filepath.Join(dir, UnrecordedFile), os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		return err
	}
	enc := json.NewEncoder(f)
	for _, l := range lines {
		if err := enc.Encode(l); err != nil {
			f.Close()
			return err
		}
	}
	return f.Close()
}

func pointsUnrecorded(id string, pts []metricPoint) []unrecorded {
	out := make([]unrecorded, len(pts))
	for i, p := range pts {
		v := p.value
		out[i] = unrecorded{Run: id, Kind: "metric", Key: p.key, Value: &v, Step: p.step, TS: p.ts}
	}
	return out
}

// warnOnce reports the first tracker failure of a run on w and stays silent afterwards, so a
// failing disk does not flood the training's output.
type warnOnce struct {
	once sync.Once
	w    io.Writer
}

func (o *warnOnce) warn(format string, args ...any) {
	o.once.Do(func() {
		// Start on a fresh line: the warning may interrupt a progress bar.
		fmt.Fprintf(stderrOr(o.w), "\nbyb: "+format+"\n", args...)
	})
}

// FileRun records a run in its directory's UnrecordedFile only. BeginOrKeep returns one when
// the tracker cannot be opened at all, so that the work goes on and its record is kept.
type FileRun struct {
	RunDir string
	mu     sync.Mutex
	err    error
}

var _ Run = (*FileRun)(nil)

func (f *FileRun) ID() string  { return "" }
func (f *FileRun) Dir() string { return f.RunDir }

func (f *FileRun) keep(l unrecorded) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	l.TS = nowMS()
	if err := keepUnrecorded(f.RunDir, []unrecorded{l}); err != nil && f.err == nil {
		f.err = err
	}
	return nil
}

func (f *FileRun) LogParams(p map[string]string) error {
	return f.keep(unrecorded{Kind: "params", Params: p})
}
func (f *FileRun) LogMetric(key string, value float64, step int64) error {
	return f.keep(unrecorded{Kind: "metric", Key: key, Value: &value, Step: step})
}
func (f *FileRun) SetTag(key, value string) error {
	return f.keep(unrecorded{Kind: "tag", Key: key, Text: value})
}
func (f *FileRun) LogArtifact(path, kind string) error {
	return f.keep(unrecorded{Kind: "artifact", Key: kind, Text: path})
}
func (f *FileRun) End(status, reason string) error {
	f.keep(unrecorded{Kind: "end", Text: status, Reason: reason})
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.err != nil {
		return fmt.Errorf("tracking: keeping the run's record in %s: %w", filepath.Join(f.RunDir, UnrecordedFile), f.err)
	}
	return nil
}

// BeginOrKeep is Begin for work that must not stop because the tracker cannot be opened (a
// reproduction's child runs): when Begin fails and the run has a directory, the failure is
// reported on warn and the run is kept in that directory's UnrecordedFile instead.
func BeginOrKeep(path string, opts RunOptions, warn io.Writer) (Run, error) {
	r, err := Begin(path, opts)
	if err == nil || opts.Dir == "" {
		return r, err
	}
	(&warnOnce{w: warn}).warn("the tracker %s cannot record run %q (%v); the work goes on and its record is kept in %s (byb runs replay %s writes it into the tracker later)",
		path, opts.Name, err, filepath.Join(opts.Dir, UnrecordedFile), opts.Dir)
	f := &FileRun{RunDir: opts.Dir}
	f.keep(unrecorded{Kind: "params", Params: opts.Params, Text: opts.Name})
	return f, nil
}
