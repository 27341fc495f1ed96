package tui

import (
	"fmt"
	"slices"
	"strings"

	"github.com/byb-dev/byb/tracking"
	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
)

// smoothings are the EMA weights the smoothing key cycles through: none, then TensorBoard's
// usual settings, light and heavy.
var smoothings = []float64{0, 0.6, 0.9}

// seriesColors tell the overlaid runs apart (ANSI 16, as the other styles).
var seriesColors = []string{"2", "4", "3", "5", "6", "1", "10", "12", "11", "13", "14", "9"}

func seriesStyle(i int) lipgloss.Style {
	return lipgloss.NewStyle().Foreground(lipgloss.Color(seriesColors[i%len(seriesColors)]))
}

// overlayState is the compare view's chart of one metric's history for every compared run.
type overlayState struct {
	on      bool
	keys    []string                    // metrics with a curve in some compared run: losses first
	metric  int                         // index in keys
	loaded  string                      // the metric hist holds
	hist    map[string][]tracking.Point // run ID → history of loaded
	smooth  int                         // index in smoothings
	logY    bool
	loading bool
}

type overlayMsg struct {
	keys   []string
	metric string
	hist   map[string][]tracking.Point
	err    error
}

// loadOverlay reads which metrics the runs have a curve of, and the history of metric for
// each (the first curve's when metric is not one of them).
func loadOverlay(s *tracking.Store, ids []string, metric string) tea.Cmd {
	return func() tea.Msg {
		points := map[string]int{}
		for _, id := range ids {
			d, err := s.GetRun(id)
			if err != nil {
				return overlayMsg{err: err}
			}
			for k, n := range d.MetricPoints {
				points[k] = max(points[k], n)
			}
		}
		keys := chartKeys(points)
		if !slices.Contains(keys, metric) {
			metric = ""
			if len(keys) > 0 {
				metric = keys[0]
			}
		}
		hist := map[string][]tracking.Point{}
		for _, id := range ids {
			if metric == "" {
				break
			}
			pts, err := s.MetricHistory(id, metric)
			if err != nil {
				return overlayMsg{err: err}
			}
			hist[id] = pts
		}
		return overlayMsg{keys: keys, metric: metric, hist: hist}
	}
}

func (m Model) applyOverlay(msg overlayMsg) Model {
	ov := &m.cmp.ov
	ov.loading = false
	if msg.err != nil {
		m.err = msg.err
		return m
	}
	ov.keys, ov.loaded, ov.hist = msg.keys, msg.metric, msg.hist
	ov.metric = max(0, slices.Index(ov.keys, msg.metric))
	return m
}

// reloadOverlay asks for the histories of the chosen metric of the compared runs.
func (m Model) reloadOverlay() (Model, tea.Cmd) {
	ov := &m.cmp.ov
	metric := ov.loaded
	if ov.metric < len(ov.keys) {
		metric = ov.keys[ov.metric]
	}
	ov.loading = true
	return m, loadOverlay(m.store, m.cmp.ids, metric)
}

// overlayKey handles the keys of the overlaid chart; others do nothing there.
func (m Model) overlayKey(k tea.KeyMsg) (Model, tea.Cmd) {
	ov := &m.cmp.ov
	step := 0
	switch {
	case key.Matches(k, keys.Overlay), key.Matches(k, keys.Back):
		ov.on = false
	case key.Matches(k, keys.Smooth):
		ov.smooth = (ov.smooth + 1) % len(smoothings)
	case key.Matches(k, keys.LogY):
		ov.logY = !ov.logY
	case key.Matches(k, keys.Metric), key.Matches(k, keys.Right):
		step = 1
	case key.Matches(k, keys.Left):
		step = -1
	}
	if step == 0 || len(ov.keys) == 0 {
		return m, nil
	}
	ov.metric = (ov.metric + step + len(ov.keys)) % len(ov.keys)
	return m.reloadOverlay()
}

// overlayView draws the chosen metric of every compared run on one chart, with a legend.
func (m Model) overlayView() string {
	c, ov := m.cmp.cmp, m.cmp.ov
	foot := "m/←/→ metric · e smoothing · y log scale · o table · esc back · ? help"
	title := "compare · curves of " + itoa(len(c.Runs)) + " runs"
	if ov.loading {
		title += " · loading…"
	}
	if len(ov.keys) == 0 {
		msg := "(no metric with more than one point in these runs)"
		if ov.loading {
			msg = "loading…"
		}
		return m.frame(title, dimStyle.Render(msg), foot)
	}
	ss := make([]series, len(c.Runs))
	for i, r := range c.Runs {
		ss[i] = series{pts: ov.hist[r.ID], style: seriesStyle(i)}
	}
	legend := legendLines(c.Runs, m.width)
	// Frame (2 lines), chart heading, step labels, the note line and the legend.
	h := max(3, m.height-5-len(legend))
	chart, skipped := multiChart(ss, m.width-1, h, chartOpts{logY: ov.logY, smooth: smoothings[ov.smooth]})
	scale := "y linear"
	if ov.logY {
		scale = "y log"
	}
	var b strings.Builder
	b.WriteString(titleStyle.Render(ov.loaded) + dimStyle.Render(fmt.Sprintf("  %d/%d · %s · %s", ov.metric+1, len(ov.keys),
		smoothingName(ov.smooth), scale)) + "\n")
	b.WriteString(chart + "\n")
	if skipped > 0 {
		b.WriteString(dimStyle.Render(fmt.Sprintf("log scale: %d value%s ≤ 0 not drawn", skipped, plural(skipped))))
	}
	b.WriteString("\n" + strings.Join(legend, "\n"))
	return m.frame(title, b.String(), foot)
}

func smoothingName(i int) string {
	if smoothings[i] == 0 {
		return "no smoothing"
	}
	return fmt.Sprintf("smoothing EMA %.1f", smoothings[i])
}

// legendLines names each run in its curve's colour (ID, method, task), as many per line as
// the width allows.
func legendLines(runs []tracking.RunInfo, width int) []string {
	var lines []string
	line, lineW := "", 0
	for i, r := range runs {
		text := strings.TrimSpace("━━ " + r.ID + " " + r.Params["method"] + " " + r.Params["task"])
		w := lipgloss.Width(text) + 2
		if lineW > 0 && lineW+w > width {
			lines = append(lines, line)
			line, lineW = "", 0
		}
		line += seriesStyle(i).Render(text) + "  "
		lineW += w
	}
	return append(lines, line)
}
