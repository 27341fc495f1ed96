package tui

import (
	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
)

func (m Model) handleKey(k tea.KeyMsg) (tea.Model, tea.Cmd) {
	if k.Type == tea.KeyCtrlC {
		return m, tea.Quit
	}
	// Inputs take every key, q and ? included: they are text there.
	if m.view == viewRuns && m.runs.filtering {
		return m.filterKey(k), nil
	}
	if m.view == viewDetail && m.detail.prompt.kind != promptNone {
		return m.promptKey(k)
	}
	if m.help {
		switch {
		case key.Matches(k, keys.Quit):
			return m, tea.Quit
		case key.Matches(k, keys.Help), key.Matches(k, keys.Back):
			m.help = false
		}
		return m, nil
	}
	m.notice = ""
	switch {
	case key.Matches(k, keys.Quit):
		return m, tea.Quit
	case key.Matches(k, keys.Help):
		m.help = true
		return m, nil
	case key.Matches(k, keys.Reload):
		return m, tea.Batch(append(m.viewLoads(), loadData(m.store))...)
	}
	switch m.view {
	case viewExperiments:
		return m.experimentsKey(k)
	case viewRuns:
		return m.runsKey(k)
	case viewDetail:
		return m.detailKey(k)
	case viewCompare:
		return m.compareKey(k)
	case viewAblation:
		return m.ablationKey(k), nil
	case viewSweep:
		return m.sweepKey(k)
	case viewResults:
		return m.resultsKey(k)
	}
	return m, nil
}

// viewLoads reload what the current view read from the database besides the runs (a run's
// detail, the overlaid curves), after a reload key or a change in the database.
func (m Model) viewLoads() []tea.Cmd {
	switch {
	case m.view == viewDetail && m.detail.run != nil:
		return []tea.Cmd{loadDetail(m.store, m.detail.run.ID)}
	case m.view == viewSweep:
		return []tea.Cmd{loadDetail(m.store, m.sweep.parentID)}
	case m.view == viewCompare && m.cmp.ov.on:
		_, cmd := m.reloadOverlay()
		return []tea.Cmd{cmd}
	}
	return nil
}

// navigate applies the list keys to a table and reports whether k was one of them.
func navigate(t *tableView, k tea.KeyMsg) bool {
	switch {
	case key.Matches(k, keys.Up):
		t.move(-1)
	case key.Matches(k, keys.Down):
		t.move(1)
	case key.Matches(k, keys.PageUp):
		t.move(-t.height)
	case key.Matches(k, keys.PageDown):
		t.move(t.height)
	case key.Matches(k, keys.Top):
		t.move(-len(t.rows))
	case key.Matches(k, keys.Bottom):
		t.move(len(t.rows))
	default:
		return false
	}
	return true
}

func (m Model) experimentsKey(k tea.KeyMsg) (tea.Model, tea.Cmd) {
	if navigate(&m.expTable, k) {
		return m, nil
	}
	if key.Matches(k, keys.Open) {
		m.experiment = m.experimentName(m.expTable.cursor)
		m.runs.table.cursor, m.runs.table.offset = 0, 0
		m.view = viewRuns
		m = m.rebuildRuns()
	}
	return m, nil
}

func (m Model) runsKey(k tea.KeyMsg) (tea.Model, tea.Cmd) {
	r := &m.runs
	if navigate(&r.table, k) {
		return m, nil
	}
	ncols := r.cols().count()
	switch {
	case key.Matches(k, keys.Back):
		m.view = viewExperiments
	case key.Matches(k, keys.Open):
		if run, ok := m.currentRun(); ok {
			return m.openDetail(run.ID)
		}
	case key.Matches(k, keys.Filter):
		r.filtering = true
	case key.Matches(k, keys.SortNext):
		r.sortCol = (r.sortCol + 1) % ncols
		m = m.rebuildRuns()
	case key.Matches(k, keys.SortPrev):
		r.sortCol = (r.sortCol + ncols - 1) % ncols
		m = m.rebuildRuns()
	case key.Matches(k, keys.AddColumn):
		p, ok := r.nextParamColumn()
		if !ok {
			m.notice = "no other param varies among the listed runs"
			return m, nil
		}
		r.paramCols = append(r.paramCols, p)
		m = m.rebuildRuns()
	case key.Matches(k, keys.DropColumn):
		if len(r.paramCols) > 0 {
			r.paramCols = r.paramCols[:len(r.paramCols)-1]
			m = m.rebuildRuns()
		}
	case key.Matches(k, keys.Wide):
		r.wide = !r.wide
		m = m.rebuildRuns()
	case key.Matches(k, keys.Hidden):
		r.showHidden = !r.showHidden
		m = m.rebuildRuns()
	case key.Matches(k, keys.Reverse):
		r.desc = !r.desc
		m = m.rebuildRuns()
	case key.Matches(k, keys.Metric):
		if len(r.metricKeys) > 0 {
			r.metricIdx = (r.metricIdx + 1) % len(r.metricKeys)
			m = m.rebuildRuns()
		}
	case key.Matches(k, keys.Select):
		if run, ok := m.currentRun(); ok {
			r.toggle(run.ID)
			r.table.move(1)
			m = m.rebuildRuns()
		}
	case key.Matches(k, keys.Compare):
		if len(r.selected) < 2 {
			m.notice = "select at least two runs with space first"
			return m, nil
		}
		// The curves' settings carry over from the last comparison; their data do not.
		ov := overlayState{smooth: m.cmp.ov.smooth, logY: m.cmp.ov.logY}
		m.cmp = compareState{ids: append([]string(nil), r.selected...), ov: ov, back: viewRuns}
		m = m.rebuildCompare()
		m.view = viewCompare
	case key.Matches(k, keys.Ablation):
		m = m.openAblation()
	}
	return m, nil
}

// openDetail shows run id's detail, loading it; esc returns to the view it was opened from.
func (m Model) openDetail(id string) (Model, tea.Cmd) {
	if m.view != viewDetail {
		m.detail.back = m.view
	}
	m.view = viewDetail
	if m.detail.run == nil || m.detail.run.ID != id {
		m.detail.run, m.detail.chart = nil, 0
		m.detail.results, m.detail.table = nil, runTable{}
		m.detail.vp.SetYOffset(0)
	}
	m.detail.loading = true
	m.detail.resize(m.width, m.height)
	return m, loadDetail(m.store, id)
}

// returnToDetail goes back from a view opened from run id's detail (its sweep table, its
// results) to that detail, which keeps the view it was itself opened from.
func (m Model) returnToDetail(id string, back view) (Model, tea.Cmd) {
	m, cmd := m.openDetail(id)
	m.detail.back = back
	return m, cmd
}

// filterKey edits the filter; the table follows every keystroke.
func (m Model) filterKey(k tea.KeyMsg) Model {
	r := &m.runs
	if f, ok := editLine(r.filter, k); ok {
		r.filter = f
		r.table.cursor, r.table.offset = 0, 0
		return m.rebuildRuns()
	}
	switch k.Type {
	case tea.KeyEnter:
		r.filtering = false
	case tea.KeyEsc:
		r.filtering = false
		r.filter = ""
		r.table.cursor, r.table.offset = 0, 0
		return m.rebuildRuns()
	case tea.KeyUp, tea.KeyDown:
		navigate(&r.table, k)
	}
	return m
}

func (m Model) detailKey(k tea.KeyMsg) (tea.Model, tea.Cmd) {
	d := &m.detail
	switch {
	case key.Matches(k, keys.Back):
		m.view = d.back
		return m, nil
	case key.Matches(k, keys.Open):
		switch {
		case d.results != nil:
			return m.openResults(), nil
		case isSweep(d.run):
			return m.openSweep(), nil
		}
		return m.openChildren(), nil
	case key.Matches(k, keys.Children):
		return m.openChildren(), nil
	case key.Matches(k, keys.Tag):
		d.startPrompt(promptTag)
		return m, nil
	case key.Matches(k, keys.Note):
		d.startPrompt(promptNote)
		return m, nil
	case key.Matches(k, keys.Left):
		if len(d.keys) > 0 {
			d.chart = (d.chart + len(d.keys) - 1) % len(d.keys)
			d.render()
		}
		return m, nil
	case key.Matches(k, keys.Right):
		if len(d.keys) > 0 {
			d.chart = (d.chart + 1) % len(d.keys)
			d.render()
		}
		return m, nil
	case key.Matches(k, keys.Top):
		d.vp.GotoTop()
		return m, nil
	case key.Matches(k, keys.Bottom):
		d.vp.GotoBottom()
		return m, nil
	}
	var cmd tea.Cmd
	d.vp, cmd = d.vp.Update(k)
	return m, cmd
}

func (m Model) compareKey(k tea.KeyMsg) (tea.Model, tea.Cmd) {
	c := &m.cmp
	if c.ov.on {
		return m.overlayKey(k)
	}
	n := 0
	if c.cmp != nil {
		n = len(c.cmp.Runs)
	}
	switch {
	case key.Matches(k, keys.Back):
		m.view = c.back
	case key.Matches(k, keys.Overlay):
		if n > 0 {
			c.ov.on = true
			return m.reloadOverlay()
		}
	case key.Matches(k, keys.Baseline):
		if n > 0 {
			c.baseline = (c.baseline + 1) % n
		}
	case key.Matches(k, keys.Left):
		c.offset = max(0, c.offset-1)
	case key.Matches(k, keys.Right):
		ncols := max(1, (m.width-cmpKeyW-1)/(cmpColW+1))
		c.offset = min(max(0, n-ncols), c.offset+1)
	}
	return m, nil
}

func (m Model) ablationKey(k tea.KeyMsg) Model {
	a := &m.abl
	switch {
	case key.Matches(k, keys.Back):
		m.view = viewRuns
	case key.Matches(k, keys.Left):
		if len(a.params) > 0 {
			a.param = (a.param + len(a.params) - 1) % len(a.params)
		}
	case key.Matches(k, keys.Right):
		if len(a.params) > 0 {
			a.param = (a.param + 1) % len(a.params)
		}
	case key.Matches(k, keys.Metric):
		if len(a.metrics) > 0 {
			a.metric = (a.metric + 1) % len(a.metrics)
		}
	}
	return m
}
