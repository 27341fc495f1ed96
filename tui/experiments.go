package tui

import (
	"github.com/byb-dev/byb/tracking"
	"github.com/charmbracelet/lipgloss"
)

var experimentColumns = []column{
	{title: "EXPERIMENT", width: 24},
	{title: "RUNS", width: 5, right: true},
	{title: "RUNNING", width: 7, right: true},
	{title: "FINISHED", width: 8, right: true},
	{title: "FAILED", width: 6, right: true, prio: 1},
	{title: "KILLED", width: 6, right: true, prio: 1},
	{title: "LAST RUN", width: 11, prio: 2},
}

// experimentRows lists "(all experiments)" first, then each experiment.
func experimentRows(exps []tracking.ExperimentInfo, total int) [][]string {
	all := map[string]int{}
	for _, e := range exps {
		for s, n := range e.ByStatus {
			all[s] += n
		}
	}
	row := func(name string, runs int, by map[string]int, last string) []string {
		return []string{name, itoa(runs), itoa(by[tracking.StatusRunning]), itoa(by[tracking.StatusFinished]),
			itoa(by[tracking.StatusFailed]), itoa(by[tracking.StatusKilled]), last}
	}
	rows := [][]string{row("(all experiments)", total, all, "")}
	for _, e := range exps {
		last := ""
		if !e.LastStart.IsZero() {
			last = e.LastStart.Local().Format("01-02 15:04")
		}
		rows = append(rows, row(e.Name, e.Runs, e.ByStatus, last))
	}
	return rows
}

// experimentName is the experiment on row i of the experiments table ("" for all).
func (m Model) experimentName(i int) string {
	if i <= 0 || i > len(m.exps) {
		return ""
	}
	return m.exps[i-1].Name
}

func (m Model) experimentsView() string {
	t := m.expTable
	t.style = func(row, col int) (lipgloss.Style, bool) {
		switch col {
		case 2:
			return statusStyle(tracking.StatusRunning), t.rows[row][col] != "0"
		case 4:
			return statusStyle(tracking.StatusFailed), t.rows[row][col] != "0"
		case 5:
			return statusStyle(tracking.StatusKilled), t.rows[row][col] != "0"
		}
		return lipgloss.Style{}, false
	}
	title := "experiments · " + itoa(len(m.exps)) + " · " + itoa(len(m.allRuns)) + " runs"
	foot := "enter open · ↑/↓ move · ? help · q quit"
	return m.frame(title, t.render(), foot)
}
