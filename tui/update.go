package tui

import (
	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
)

func (m Model) handleKey(k tea.KeyMsg) (tea.Model, tea.Cmd) {
	if k.Type == tea.KeyCtrlC {
		return m, tea.Quit
	}
	if m.view == viewRuns && m.runs.filtering {
		return m.filterKey(k), nil
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
		cmds := []tea.Cmd{loadData(m.store)}
		if m.view == viewDetail && m.detail.run != nil {
			cmds = append(cmds, loadDetail(m.store, m.detail.run.ID))
		}
		return m, tea.Batch(cmds...)
	}
	switch m.view {
	case viewExperiments:
		return m.experimentsKey(k)
	case viewRuns:
		return m.runsKey(k)
	case viewDetail:
		return m.detailKey(k)
	case viewCompare:
		return m.compareKey(k), nil
	case viewAblation:
		return m.ablationKey(k), nil
	}
	return m, nil
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
	switch {
	case key.Matches(k, keys.Back):
		m.view = viewExperiments
	case key.Matches(k, keys.Open):
		if run, ok := m.currentRun(); ok {
			m.view = viewDetail
			if m.detail.run == nil || m.detail.run.ID != run.ID {
				m.detail.run, m.detail.chart = nil, 0
				m.detail.vp.SetYOffset(0)
			}
			m.detail.loading = true
			m.detail.resize(m.width, m.height)
			return m, loadDetail(m.store, run.ID)
		}
	case key.Matches(k, keys.Filter):
		r.filtering = true
	case key.Matches(k, keys.SortNext):
		r.sortCol = (r.sortCol + 1) % numRunCols
		m = m.rebuildRuns()
	case key.Matches(k, keys.SortPrev):
		r.sortCol = (r.sortCol + numRunCols - 1) % numRunCols
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
		m.cmp = compareState{ids: append([]string(nil), r.selected...)}
		m = m.rebuildCompare()
		m.view = viewCompare
	case key.Matches(k, keys.Ablation):
		m = m.openAblation()
	}
	return m, nil
}

// filterKey edits the filter; the table follows every keystroke.
func (m Model) filterKey(k tea.KeyMsg) Model {
	r := &m.runs
	switch k.Type {
	case tea.KeyEnter:
		r.filtering = false
	case tea.KeyEsc:
		r.filtering = false
		r.filter = ""
	case tea.KeyBackspace:
		if f := []rune(r.filter); len(f) > 0 {
			r.filter = string(f[:len(f)-1])
		}
	case tea.KeyRunes, tea.KeySpace:
		r.filter += string(k.Runes)
	case tea.KeyUp, tea.KeyDown:
		navigate(&r.table, k)
		return m
	default:
		return m
	}
	r.table.cursor, r.table.offset = 0, 0
	return m.rebuildRuns()
}

func (m Model) detailKey(k tea.KeyMsg) (tea.Model, tea.Cmd) {
	d := &m.detail
	switch {
	case key.Matches(k, keys.Back):
		m.view = viewRuns
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

func (m Model) compareKey(k tea.KeyMsg) Model {
	c := &m.cmp
	n := 0
	if c.cmp != nil {
		n = len(c.cmp.Runs)
	}
	switch {
	case key.Matches(k, keys.Back):
		m.view = viewRuns
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
	return m
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
