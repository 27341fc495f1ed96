// Package tui is byb's terminal UI over the tracker: experiments → runs table → run detail,
// with compare and ablation views. It only reads the database, so it can stay open while
// runs write to it; it refreshes by itself when the runs change.
package tui

import (
	"time"

	"github.com/byb-dev/byb/tracking"
	tea "github.com/charmbracelet/bubbletea"
)

// Options tune the TUI.
type Options struct {
	// Refresh is how often the TUI checks the database for changes (default 2 s; negative
	// disables live refresh).
	Refresh time.Duration
}

type view int

const (
	viewExperiments view = iota
	viewRuns
	viewDetail
	viewCompare
	viewAblation
	viewSweep
	viewResults
)

// Model is the bubbletea model of the TUI.
type Model struct {
	store         *tracking.Store
	opts          Options
	width, height int
	view          view
	help          bool
	err           error
	notice        string
	fingerprint   string

	exps     []tracking.ExperimentInfo
	expTable tableView

	experiment string // "" = all experiments
	allRuns    []tracking.RunInfo
	runs       runsState
	detail     detailState
	cmp        compareState
	abl        ablationState
	sweep      sweepState
	results    resultsState
}

// New loads the tracker's experiments and runs and returns the model, showing experiments.
// Loading happens here, synchronously, so that the first frame is complete.
func New(store *tracking.Store, opts Options) (Model, error) {
	if opts.Refresh == 0 {
		opts.Refresh = 2 * time.Second
	}
	m := Model{store: store, opts: opts, width: 80, height: 24}
	m.runs.sortCol, m.runs.desc = colStarted, true
	msg := loadData(store)()
	if d := msg.(dataMsg); d.err != nil {
		return m, d.err
	}
	m = m.applyData(msg.(dataMsg)).layout()
	return m, nil
}

// Run opens the TUI on a tracker database in the terminal, until the user quits.
func Run(store *tracking.Store, opts Options) error {
	m, err := New(store, opts)
	if err != nil {
		return err
	}
	_, err = tea.NewProgram(m, tea.WithAltScreen(), tea.WithMouseCellMotion()).Run()
	return err
}

type dataMsg struct {
	exps        []tracking.ExperimentInfo
	runs        []tracking.RunInfo
	fingerprint string
	err         error
}

type tickMsg time.Time

type fingerprintMsg struct {
	fp  string
	err error
}

func loadData(s *tracking.Store) tea.Cmd {
	return func() tea.Msg {
		fp, err := s.Fingerprint()
		if err != nil {
			return dataMsg{err: err}
		}
		exps, err := s.Experiments()
		if err != nil {
			return dataMsg{err: err}
		}
		runs, err := s.ListRuns(tracking.Filter{})
		return dataMsg{exps: exps, runs: runs, fingerprint: fp, err: err}
	}
}

func (m Model) tick() tea.Cmd {
	if m.opts.Refresh < 0 {
		return nil
	}
	return tea.Tick(m.opts.Refresh, func(t time.Time) tea.Msg { return tickMsg(t) })
}

func (m Model) Init() tea.Cmd { return m.tick() }

func (m Model) applyData(d dataMsg) Model {
	m.fingerprint = d.fingerprint
	m.exps = d.exps
	m.allRuns = d.runs
	m.expTable.rows = experimentRows(m.exps, len(m.allRuns))
	m.expTable.cols = experimentColumns
	m.expTable.sortCol = -1
	m = m.rebuildRuns()
	if m.view == viewCompare {
		m = m.rebuildCompare()
	}
	return m
}

func (m Model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		m.width, m.height = msg.Width, msg.Height
		m = m.layout()
		return m, nil
	case tickMsg:
		s := m.store
		check := func() tea.Msg {
			fp, err := s.Fingerprint()
			return fingerprintMsg{fp, err}
		}
		return m, tea.Batch(check, m.tick())
	case fingerprintMsg:
		if msg.err != nil {
			m.err = msg.err
			return m, nil
		}
		if msg.fp == m.fingerprint {
			return m, nil
		}
		return m, tea.Batch(append(m.viewLoads(), loadData(m.store))...)
	case dataMsg:
		if msg.err != nil {
			m.err = msg.err
			return m, nil
		}
		m.err = nil
		return m.applyData(msg), nil
	case detailMsg:
		return m.applyDetail(msg), nil
	case overlayMsg:
		return m.applyOverlay(msg), nil
	case tagSavedMsg:
		return m.applyTagSaved(msg)
	case tea.KeyMsg:
		return m.handleKey(msg)
	case tea.MouseMsg:
		return m.handleMouse(msg)
	}
	return m, nil
}

// layout gives each view its share of the window after a resize.
func (m Model) layout() Model {
	body := max(1, m.height-3) // title, table header, footer
	m.expTable.height, m.expTable.width = body, m.width
	m.runs.table.height, m.runs.table.width = body, m.width
	m.detail.resize(m.width, m.height)
	m.sweep.table.height, m.sweep.table.width = max(1, body-1), m.width // below its caption
	return m
}
