package tui

import (
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/byb-dev/byb/byb/sweep"
	"github.com/byb-dev/byb/tracking"
	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
)

// A sweep (`byb sweep`) is a parent run whose children are its points. Its detail shows them
// as a table, best first, and enter opens that table to pick a point and open its run.

// sweepExperiment is the experiment `byb sweep` records its runs in.
const sweepExperiment = "sweep"

// bestMark marks the best point of a sweep.
const bestMark = "★"

// sweepState is the table of a sweep's points (viewSweep).
type sweepState struct {
	parentID string
	caption  string
	table    tableView
	ids      []string // the run of each row
	back     view     // where the sweep's own detail returns to
}

func isSweep(r *tracking.RunDetail) bool {
	return r != nil && r.Experiment == sweepExperiment && r.Params["grid"] != ""
}

// sweepTable lays out a sweep's children: one row per point — the swept params (read from
// the child's recorded --set), the metric, the status and the run — ranked by the metric
// with the sweep's goal (byb/sweep, as `byb sweep` ranks them), the best marked. A child with
// no value of the metric, or that failed, ranks last.
func sweepTable(r *tracking.RunDetail) (t tableView, ids []string, caption string) {
	metric := r.Params["metric"]
	goal, err := sweep.ParseGoal(r.Params["goal"])
	if err != nil {
		goal = sweep.Max
	}
	var names []string
	if spec, err := sweep.Parse(r.Params["grid"]); err == nil {
		names = spec.Names()
	}
	kids := slices.Clone(r.Children)
	slices.Reverse(kids) // the order they ran, so that a tie goes to the first point
	scores := make([]float64, len(kids))
	for i, c := range kids {
		scores[i] = math.NaN()
		if v, ok := c.Metrics[metric]; ok && c.Status != tracking.StatusFailed && c.Status != tracking.StatusKilled {
			scores[i] = v
		}
	}
	best := sweep.Best(scores, goal)
	t.cols = []column{{title: " ", width: 1}}
	for _, n := range names {
		t.cols = append(t.cols, column{title: n, width: 6, fit: fitCap})
	}
	t.cols = append(t.cols, column{title: strings.ToUpper(metric), width: 9, right: true, fit: metricFit},
		column{title: "STATUS", width: 8, prio: 1}, column{title: "RUN", width: 12, prio: 2})
	for _, i := range sweep.Rank(scores, goal) {
		c := kids[i]
		set := sweep.Settings(c.Params["settings"])
		row := []string{""}
		if i == best {
			row[0] = bestMark
		}
		for _, n := range names {
			v, ok := set.Value(n)
			if !ok {
				v = "-"
			}
			row = append(row, v)
		}
		value := "-"
		if !sweep.Failed(scores[i]) {
			value = tracking.FormatValue(scores[i])
		}
		t.rows = append(t.rows, append(row, value, c.Status, c.ID))
		ids = append(ids, c.ID)
	}
	fitContent(t.cols, t.rows, false)
	t.sortCol = -1
	caption = fmt.Sprintf("%d point%s by %s (%s), best first", len(kids), plural(len(kids)), metric, goal)
	return t, ids, caption
}

// sweepLines is a sweep's table as the detail view shows it: every row, no cursor.
func sweepLines(r *tracking.RunDetail, width int) string {
	t, _, caption := sweepTable(r)
	t.width, t.height, t.hideCursor = width, max(1, len(t.rows)), true
	return headerStyle.Render(caption+"; enter picks one") + "\n" + t.render()
}

// openSweep shows the table of the sweep in the detail view, to pick a point.
func (m Model) openSweep() Model {
	s := &m.sweep
	if s.parentID != m.detail.run.ID {
		*s = sweepState{parentID: m.detail.run.ID}
	}
	s.back = m.detail.back
	m = m.applySweep(m.detail.run)
	m.view = viewSweep
	return m
}

// applySweep rebuilds the table from the sweep's detail, keeping the cursor on its point.
func (m Model) applySweep(r *tracking.RunDetail) Model {
	s := &m.sweep
	var at string
	if s.table.cursor < len(s.ids) {
		at = s.ids[s.table.cursor]
	}
	cursor, offset := s.table.cursor, s.table.offset
	s.table, s.ids, s.caption = sweepTable(r)
	s.table.cursor, s.table.offset = cursor, offset
	if i := slices.Index(s.ids, at); i >= 0 {
		s.table.cursor = i
	}
	return m.layout()
}

func (m Model) sweepKey(k tea.KeyMsg) (tea.Model, tea.Cmd) {
	s := &m.sweep
	if navigate(&s.table, k) {
		return m, nil
	}
	switch {
	case key.Matches(k, keys.Back):
		return m.returnToDetail(s.parentID, s.back)
	case key.Matches(k, keys.Open):
		if s.table.cursor < len(s.ids) {
			return m.openDetail(s.ids[s.table.cursor])
		}
	}
	return m, nil
}

func (m Model) sweepView() string {
	s := m.sweep
	body := "  " + dimStyle.Render(s.caption) + "\n" + s.table.render()
	return m.frame("sweep "+s.parentID, body, s.table.scrollInfo()+" · enter opens the point's run · esc back · ? help")
}
