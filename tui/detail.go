package tui

import (
	"fmt"
	"sort"
	"strings"

	"github.com/byb-dev/byb/tracking"
	"github.com/charmbracelet/bubbles/viewport"
	tea "github.com/charmbracelet/bubbletea"
)

// maxCharts bounds how many metric histories the detail view loads: a run may log dozens of
// metrics, and the chart shows one at a time.
const maxCharts = 16

type detailState struct {
	run     *tracking.RunDetail
	hist    map[string][]tracking.Point
	keys    []string // metrics with a history to draw: losses first
	chart   int
	vp      viewport.Model
	loading bool
	width   int
	prompt  prompt // t and n: the tag or note being typed
	back    view   // the view it was opened from (esc)
	// results is the table a reproduction recorded (its results artifact), and table the
	// Markdown of one that recorded none (older runs, table3, retail): what the run is opened for.
	results *tracking.ResultTable
	table   runTable
}

// noteTag is the tag holding a run's free-text note (n in the detail view).
const noteTag = "note"

type promptKind int

const (
	promptNone promptKind = iota
	promptTag             // "key=value"
	promptNote            // free text, stored as tag noteTag
)

// prompt is a one-line input of the detail view, shown in its footer.
type prompt struct {
	kind promptKind
	text string
}

type detailMsg struct {
	run     *tracking.RunDetail
	hist    map[string][]tracking.Point
	results *tracking.ResultTable
	table   runTable
	err     error
}

func loadDetail(s *tracking.Store, id string) tea.Cmd {
	return func() tea.Msg {
		d, err := s.GetRun(id)
		if err != nil {
			return detailMsg{err: err}
		}
		hist := map[string][]tracking.Point{}
		for _, k := range chartKeys(d.MetricPoints) {
			pts, err := s.MetricHistory(d.ID, k)
			if err != nil {
				return detailMsg{err: err}
			}
			hist[k] = pts
		}
		results, table := loadRunTable(d)
		return detailMsg{run: d, hist: hist, results: results, table: table}
	}
}

// diagPrefix marks a method's per-step diagnostics (objective.Diagnosing): for BYB, E's
// per-dimension std and effective rank and the teacher-student distance, which show a
// collapsing representation; for a baseline, its accuracy on its own pretext task.
const diagPrefix = "diag_"

// chartKeys are the metrics worth a curve (more than one point, given the points per key):
// losses first since they are what one watches during training, then the diagnostics, then
// the rest.
func chartKeys(points map[string]int) []string {
	var keys []string
	for k, n := range points {
		if n > 1 {
			keys = append(keys, k)
		}
	}
	rank := func(k string) int {
		switch {
		case strings.Contains(k, "loss"):
			return 0
		case strings.HasPrefix(k, diagPrefix):
			return 1
		}
		return 2
	}
	sort.Slice(keys, func(i, j int) bool {
		if ri, rj := rank(keys[i]), rank(keys[j]); ri != rj {
			return ri < rj
		}
		return keys[i] < keys[j]
	})
	if len(keys) > maxCharts {
		keys = keys[:maxCharts]
	}
	return keys
}

func (d *detailState) resize(w, h int) {
	d.width = w
	d.vp.Width, d.vp.Height = w, max(1, h-2)
	d.render()
}

func (m Model) applyDetail(msg detailMsg) Model {
	if msg.err != nil {
		m.err = msg.err
		return m
	}
	d := &m.detail
	same := d.run != nil && d.run.ID == msg.run.ID
	var chartKey string
	if same && d.chart < len(d.keys) {
		chartKey = d.keys[d.chart]
	}
	d.run, d.hist, d.loading = msg.run, msg.hist, false
	d.results, d.table = msg.results, msg.table
	d.keys = chartKeys(msg.run.MetricPoints)
	d.chart = 0
	for i, k := range d.keys {
		if k == chartKey {
			d.chart = i
		}
	}
	y := d.vp.YOffset
	d.render()
	if same {
		d.vp.SetYOffset(y) // a live refresh must not scroll the user back to the top
	}
	if m.view == viewSweep && msg.run.ID == m.sweep.parentID {
		m = m.applySweep(msg.run) // a live sweep's new points
	}
	return m
}

// render rebuilds the scrollable content: the chart first, then the run's record.
func (d *detailState) render() {
	if d.run == nil {
		d.vp.SetContent("loading…")
		return
	}
	w := max(40, d.width)
	r := d.run
	var b strings.Builder
	switch {
	case d.results != nil:
		// A reproduction is opened for its table: first, in the chart's place.
		b.WriteString(resultsLines(d.results, w) + "\n")
	case d.table.path != "":
		b.WriteString(d.table.lines(w) + "\n")
	case isSweep(r) && len(r.Children) > 0:
		// A sweep's points are what one opens it for: first, in the chart's place (a sweep
		// logs its best once, so it has no curve).
		b.WriteString(sweepLines(r, w) + "\n")
	case len(d.keys) > 0:
		k := d.keys[d.chart%len(d.keys)]
		pts := d.hist[k]
		b.WriteString(titleStyle.Render(fmt.Sprintf("%s (%d points)", k, len(pts))))
		if len(d.keys) > 1 {
			b.WriteString(dimStyle.Render(fmt.Sprintf("  ←/→ %d/%d charts", d.chart%len(d.keys)+1, len(d.keys))))
		}
		b.WriteString("\n" + lineChart(pts, w-1, 8) + "\n\n")
	default:
		b.WriteString(dimStyle.Render("(no metric with more than one point to plot)") + "\n\n")
	}
	status := statusStyle(r.Status).Render(r.Status)
	if r.EndReason != "" {
		status += " (" + tracking.Clip(r.EndReason, w-30) + ")"
	}
	kv := func(k, v string) {
		if v != "" {
			b.WriteString(padCell(k, 11, false) + " " + tracking.Clip(v, w-13) + "\n")
		}
	}
	kv("status", status)
	kv("note", r.Tags[noteTag])
	kv("experiment", r.Experiment)
	kv("name", r.Name)
	kv("started", r.Start.Local().Format("2006-01-02 15:04:05")+"  ("+tracking.FormatDuration(r.Duration())+")")
	kv("engine", r.Engine)
	kv("git", r.GitCommit)
	kv("parent", r.ParentID)
	kv("resumed", r.ResumedFrom)
	kv("dir", r.Dir)
	kv("command", r.Command)

	// The params copied from the run this one builds on (tracking.UpstreamPrefix) are a few
	// dozen: they get a section of their own, after the run's own.
	var own, upstream []string
	for _, k := range sortedKeys(r.Params) {
		if strings.HasPrefix(k, tracking.UpstreamPrefix) {
			upstream = append(upstream, k)
		} else {
			own = append(own, k)
		}
	}
	paramLines(&b, "params", own, r.Params, w)
	if len(upstream) > 0 {
		title := "pretraining params (" + tracking.UpstreamPrefix + "*)"
		if id := r.Tags[tracking.UpstreamTag]; id != "" {
			title += " of run " + id
		}
		paramLines(&b, title, upstream, r.Params, w)
	}
	var metricKeys, diagKeys []string
	for _, k := range tracking.MetricKeys([]tracking.RunInfo{r.RunInfo}) {
		if strings.HasPrefix(k, diagPrefix) {
			diagKeys = append(diagKeys, k)
		} else {
			metricKeys = append(metricKeys, k)
		}
	}
	metricLines := func(title string, keys []string) {
		if len(keys) == 0 {
			return
		}
		b.WriteString("\n" + headerStyle.Render(title) + "\n")
		for _, k := range keys {
			n := r.MetricPoints[k]
			b.WriteString(fmt.Sprintf("  %s %10s  step %d · %d point%s\n", padCell(k, 28, false),
				tracking.FormatValue(r.Metrics[k]), r.MetricStep[k], n, plural(n)))
		}
	}
	metricLines("metrics (final)", metricKeys)
	metricLines("diagnostics (last; E_std and E_rank falling = collapse)", diagKeys)
	if len(r.Artifacts) > 0 {
		b.WriteString("\n" + headerStyle.Render("artifacts") + "\n")
		for _, a := range r.Artifacts {
			b.WriteString("  " + padCell(a.Kind, 11, false) + " " + tracking.ClipLeft(a.Path, w-16) + "\n")
		}
	}
	if tags := sortedKeys(r.Tags); len(tags) > 0 && (len(tags) > 1 || tags[0] != noteTag) {
		b.WriteString("\n" + headerStyle.Render("tags (t adds)") + "\n")
		for _, k := range tags {
			if k != noteTag {
				b.WriteString("  " + tracking.Clip(k+" = "+r.Tags[k], w-4) + "\n")
			}
		}
	}
	if len(r.Children) > 0 && !isSweep(r) {
		how := "enter"
		if d.results != nil {
			how = "C" // enter picks a cell of the results
		}
		b.WriteString("\n" + headerStyle.Render(fmt.Sprintf("children (%d; %s lists them)", len(r.Children), how)) + "\n")
		for _, c := range r.Children {
			b.WriteString("  " + c.ID + " " + statusStyle(c.Status).Render(padCell(c.Status, 8, false)) + " " +
				tracking.Clip(strings.TrimSpace(c.Params["method"]+" "+c.Params["task"]+" "+c.Name), w-26) + "\n")
		}
	}
	d.vp.SetContent(strings.TrimRight(b.String(), "\n"))
}

// paramLines writes a section of "key = value" params, two per line: a run has a dozen, and
// the screen has 24 lines.
func paramLines(b *strings.Builder, title string, keys []string, params map[string]string, w int) {
	b.WriteString("\n" + headerStyle.Render(title) + "\n")
	colW := (w - 2) / 2
	for i := 0; i < len(keys); i += 2 {
		line := padCell("  "+keys[i]+" = "+params[keys[i]], colW, false)
		if i+1 < len(keys) {
			line += " " + padCell(keys[i+1]+" = "+params[keys[i+1]], colW, false)
		}
		b.WriteString(strings.TrimRight(line, " ") + "\n")
	}
}

func sortedKeys(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func (m Model) detailView() string {
	d := m.detail
	title := "run"
	if d.run != nil {
		what := strings.TrimSpace(d.run.Params["method"] + " " + d.run.Params["task"])
		if what == "" {
			what = d.run.Experiment // a sweep, a data import
		}
		title = "run " + d.run.ID + " · " + what
		if d.run.Status == tracking.StatusRunning {
			title += " · live"
		}
	}
	foot := fmt.Sprintf("%3.0f%% · ←/→ chart · ↑/↓ scroll · t tag · n note · esc back · ? help", d.vp.ScrollPercent()*100)
	if d.run != nil && len(d.run.Children) > 0 {
		what := "children"
		if isSweep(d.run) {
			what = "points"
		}
		foot = fmt.Sprintf("%3.0f%% · enter %d %s · ←/→ chart · t tag · n note · esc back · ? help", d.vp.ScrollPercent()*100, len(d.run.Children), what)
	}
	if d.run != nil && d.results != nil {
		foot = fmt.Sprintf("%3.0f%% · enter picks a cell · C %d children · t tag · n note · esc back", d.vp.ScrollPercent()*100, len(d.run.Children))
	}
	switch d.prompt.kind {
	case promptTag:
		foot = "tag key=value: " + d.prompt.text + "█  (enter save · empty value deletes · esc cancel)"
	case promptNote:
		foot = "note: " + d.prompt.text + "█  (enter save · empty deletes · esc cancel)"
	}
	return m.frame(title, d.vp.View(), foot)
}

// openChildren lists the children of the run shown (a reproduction's pretrainings, a
// pretraining's finetunings) in the runs table, by the filter term parent:ID, over all
// experiments: children are recorded under experiments of their own.
func (m Model) openChildren() Model {
	d := m.detail.run
	if d == nil || len(d.Children) == 0 {
		m.notice = "this run has no children"
		return m
	}
	m.experiment = ""
	m.runs.filter, m.runs.filtering = parentTerm+d.ID, false
	m.runs.table.cursor, m.runs.table.offset = 0, 0
	m.view = viewRuns
	return m.rebuildRuns()
}

// startPrompt opens the tag or note input; a note starts from the current one, to edit it.
func (d *detailState) startPrompt(kind promptKind) {
	if d.run == nil {
		return
	}
	d.prompt = prompt{kind: kind}
	if kind == promptNote {
		d.prompt.text = d.run.Tags[noteTag]
	}
}

// promptKey edits the tag or note input; enter writes it (tracking.Store.SetRunTag: the one
// write the TUI makes, on the user's word), esc drops it.
func (m Model) promptKey(k tea.KeyMsg) (tea.Model, tea.Cmd) {
	m.notice = ""
	p := &m.detail.prompt
	if text, ok := editLine(p.text, k); ok {
		p.text = text
		return m, nil
	}
	switch k.Type {
	case tea.KeyEsc:
		*p = prompt{}
	case tea.KeyEnter:
		key, value := noteTag, strings.TrimSpace(p.text)
		if p.kind == promptTag {
			var ok bool
			key, value, ok = strings.Cut(value, "=")
			key, value = strings.TrimSpace(key), strings.TrimSpace(value)
			if !ok || key == "" {
				m.notice = "a tag is key=value"
				return m, nil
			}
		}
		*p = prompt{}
		return m, saveTag(m.store, m.detail.run.ID, key, value)
	}
	return m, nil
}

type tagSavedMsg struct {
	id, key string
	err     error
}

func saveTag(s *tracking.Store, id, key, value string) tea.Cmd {
	return func() tea.Msg { return tagSavedMsg{id: id, key: key, err: s.SetRunTag(id, key, value)} }
}

// applyTagSaved says whether the write worked, and rereads the run to show it.
func (m Model) applyTagSaved(msg tagSavedMsg) (Model, tea.Cmd) {
	if msg.err != nil {
		m.notice = "not saved: " + msg.err.Error()
		return m, nil
	}
	m.notice = "saved " + msg.key
	return m, loadDetail(m.store, msg.id)
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}
