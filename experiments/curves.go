package experiments

import (
	"encoding/csv"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/byb-dev/byb/tracking"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/vg"
)

// A pretraining's curves (its loss and the collapse diagnostics of E, the spread and the
// effective rank the trainer logs every diag_every steps) are kept beside its checkpoint in
// curves.csv, so that an experiment's figures can be drawn from finished runs it reuses, with
// or without a tracker.

const curvesFile = "curves.csv"

// curvedMetrics are the metrics a pretraining's curves keep.
var curvedMetrics = map[string]bool{"loss": true, "diag_E_std": true, "diag_E_rank": true}

// curveRecorder passes every call on to the run it wraps and keeps the curved metrics.
type curveRecorder struct {
	tracking.Run
	mu     sync.Mutex
	points []curvePoint
}

type curvePoint struct {
	metric string
	step   int64
	value  float64
}

func (r *curveRecorder) LogMetric(key string, value float64, step int64) error {
	if curvedMetrics[key] {
		r.mu.Lock()
		r.points = append(r.points, curvePoint{key, step, value})
		r.mu.Unlock()
	}
	return r.Run.LogMetric(key, value, step)
}

// save appends the kept points to dir/curves.csv (a resumed pretraining adds its later steps).
func (r *curveRecorder) save(dir string) error {
	path := filepath.Join(dir, curvesFile)
	_, err := os.Stat(path)
	fresh := os.IsNotExist(err)
	f, err := os.OpenFile(path, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		return err
	}
	w := csv.NewWriter(f)
	if fresh {
		_ = w.Write([]string{"metric", "step", "value"})
	}
	for _, p := range r.points {
		_ = w.Write([]string{p.metric, strconv.FormatInt(p.step, 10), strconv.FormatFloat(p.value, 'g', 8, 64)})
	}
	w.Flush()
	if err := w.Error(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// missingCurvesNote says which figures' runs had no curves, so that a figure with a series
// missing says why instead of dropping it silently: a run reused from a byb older than
// curves.csv keeps only its checkpoint.
func missingCurvesNote(missing []string) string {
	if len(missing) == 0 {
		return ""
	}
	return fmt.Sprintf("\n- No curves were recorded for %s: the run was reused from a byb that did not keep %s, so the figure leaves it out. Delete the run's directory to pretrain it again with curves.\n",
		strings.Join(missing, ", "), curvesFile)
}

// readCurves reads dir/curves.csv: metric → points in step order.
func readCurves(dir string) (map[string]plotter.XYs, error) {
	f, err := os.Open(filepath.Join(dir, curvesFile))
	if err != nil {
		return nil, err
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", f.Name(), err)
	}
	out := map[string]plotter.XYs{}
	for i, row := range rows {
		if i == 0 || len(row) != 3 {
			continue
		}
		step, err1 := strconv.ParseFloat(row[1], 64)
		v, err2 := strconv.ParseFloat(row[2], 64)
		if err1 != nil || err2 != nil {
			return nil, fmt.Errorf("%s line %d: %q is not metric,step,value", f.Name(), i+1, row)
		}
		out[row[0]] = append(out[row[0]], plotter.XY{X: step, Y: v})
	}
	for _, xys := range out {
		sort.SliceStable(xys, func(a, b int) bool { return xys[a].X < xys[b].X })
	}
	return out, nil
}

// lineSeries is one labelled curve of a line chart.
type lineSeries struct {
	Label string
	XYs   plotter.XYs
}

// linesPNG draws curves over steps (a loss, a diagnostic), one color per series, smoothed
// by a running mean over window points when window > 1 (per-step losses are noisy).
func linesPNG(path, title, xLabel, yLabel string, series []lineSeries, window int) error {
	p := plot.New()
	p.Title.Text = title
	p.X.Label.Text = xLabel
	p.Y.Label.Text = yLabel
	p.Legend.Top = true
	n := 0
	for i, s := range series {
		if len(s.XYs) == 0 {
			continue
		}
		l, err := plotter.NewLine(runningMean(s.XYs, window))
		if err != nil {
			return err
		}
		l.Color = plotutil.Color(i)
		l.Width = vg.Points(1.5)
		l.Dashes = plotutil.Dashes(i)
		p.Add(l)
		p.Legend.Add(s.Label, l)
		n++
	}
	if n == 0 {
		return fmt.Errorf("%s: no curve to draw", title)
	}
	return p.Save(160*vg.Millimeter, 100*vg.Millimeter, path)
}

// runningMean is the trailing mean of the last window points at each point.
func runningMean(xys plotter.XYs, window int) plotter.XYs {
	if window <= 1 {
		return xys
	}
	out := make(plotter.XYs, len(xys))
	var sum float64
	for i, p := range xys {
		sum += p.Y
		if i >= window {
			sum -= xys[i-window].Y
		}
		out[i] = plotter.XY{X: p.X, Y: sum / float64(min(i+1, window))}
	}
	return out
}
