package main

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/byb-dev/byb/byb/sweep"
	"github.com/byb-dev/byb/tracking"
)

// sweepReport is what `byb sweep` prints: as JSON with --json, else as a table.
type sweepReport struct {
	RunID   string        `json:"run_id"`
	Command []string      `json:"command"`
	Grid    string        `json:"grid"`
	Metric  string        `json:"metric"`
	Goal    sweep.Goal    `json:"goal"`
	Points  []pointResult `json:"points"` // in the order run
	Best    *pointResult  `json:"best"`   // null when every point failed
}

// writeTable prints the points best first, the best marked with *, then why each failed
// point failed (a message too long for a column).
func (r sweepReport) writeTable(w io.Writer) {
	fmt.Fprintf(w, "sweep %s: %d point(s) of `%s`, by %s (%s), best first\n", r.RunID, len(r.Points), strings.Join(r.Command, " "), r.Metric, r.Goal)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, " \tPOINT\tSETTINGS\t%s\tSTATUS\tRUN\n", strings.ToUpper(r.Metric))
	for _, p := range sortedPoints(r.Points, r.Goal) {
		mark, value := "", "-"
		if r.Best != nil && p.Point == r.Best.Point {
			mark = "*"
		}
		if p.Value != nil {
			value = tracking.FormatValue(*p.Value)
		}
		fmt.Fprintf(tw, "%s\t%d\t%s\t%s\t%s\t%s\n", mark, p.Point, p.Settings, value, p.Status, p.RunID)
	}
	tw.Flush()
	if r.Best != nil {
		fmt.Fprintf(w, "* best: point %d, %s=%s with %s (run %s)\n", r.Best.Point, r.Metric, tracking.FormatValue(*r.Best.Value), r.Best.Settings, r.Best.RunID)
	}
	for _, p := range r.Points {
		if p.Error != "" {
			fmt.Fprintf(w, "point %d failed: %s\n", p.Point, p.Error)
		}
	}
}
