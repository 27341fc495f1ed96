package tui

import (
	"errors"
	"os"
	"strings"

	"github.com/byb-dev/byb/tracking"
)

// runTable is the Markdown table a run recorded when it recorded no results file: shown as it
// is, so that every experiment's table is in its run's detail.
type runTable struct {
	path string
	text string
	err  error // the file is no longer where it was recorded
}

// maxTableBytes bounds the Markdown read into the detail view.
const maxTableBytes = 64 << 10

// loadRunTable reads what a run's detail shows of its results: its results file (the last
// recorded) when it has one, else its last Markdown table. A file that cannot be read is said
// in the detail rather than failing it.
func loadRunTable(d *tracking.RunDetail) (*tracking.ResultTable, runTable) {
	var results, md string
	for _, a := range d.Artifacts {
		switch {
		case a.Kind == tracking.ArtifactResults:
			results = a.Path
		case a.Kind == tracking.ArtifactTable && strings.HasSuffix(a.Path, ".md"):
			md = a.Path
		}
	}
	if results != "" {
		t, err := tracking.ReadResultTable(results)
		if err == nil && len(t.Datasets) > 0 {
			return t, runTable{}
		}
		if md == "" {
			return nil, runTable{path: results, err: err}
		}
	}
	if md == "" {
		return nil, runTable{}
	}
	b, err := os.ReadFile(md)
	if len(b) > maxTableBytes {
		b = append(b[:maxTableBytes], "\n…"...)
	}
	return nil, runTable{path: md, text: string(b), err: err}
}

// lines is the table as the detail shows it, each line clipped to width.
func (t runTable) lines(width int) string {
	head := headerStyle.Render("table") + dimStyle.Render(" "+tracking.ClipLeft(t.path, width-8))
	if errors.Is(t.err, os.ErrNotExist) {
		return head + "\n" + dimStyle.Render("  no longer there: moved or deleted since the run recorded it") + "\n"
	}
	if t.err != nil {
		return head + "\n" + dimStyle.Render("  "+tracking.Clip(t.err.Error(), width-2)) + "\n"
	}
	var b strings.Builder
	b.WriteString(head + "\n")
	for _, l := range strings.Split(strings.TrimRight(t.text, "\n"), "\n") {
		b.WriteString(tracking.Clip(l, width-1) + "\n")
	}
	return b.String()
}
