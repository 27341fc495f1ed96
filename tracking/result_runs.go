package tracking

import (
	"math"
	"strconv"
)

// CellRuns returns, per seed of a results cell, the ID of the run that measured it ("" where
// the tracker holds none): the cell of row on task (an index into d.Tasks) of the table
// recorded by run root, looked up among runs (every run of the tracker, as ListRuns returns
// them).
//
// A reproduction records each cell it computes as a run below its own — a child, or a
// grandchild under the pretraining it probes — whose params say which cell it is: "method"
// (the row's key), "task", "data" (the data set directory of the seed) and "seed". A cell the
// reproduction read back from its cache was measured by an earlier run, of an earlier
// reproduction or of an earlier seed (the bag-of-IDs regression has no seed, so its later
// seeds reuse the first one's): that run is found by the same params and the very value it
// logged, so that a run with other settings is never offered for the cell.
func CellRuns(runs []RunInfo, root string, d ResultDataset, row ResultRow, task int) []string {
	if task < 0 || task >= len(d.Tasks) || task >= len(row.Cells) {
		return nil
	}
	cell := row.Cells[task]
	parent := make(map[string]string, len(runs))
	for _, r := range runs {
		parent[r.ID] = r.ParentID
	}
	below := func(r RunInfo) bool { return r.ParentID == root || r.ParentID != "" && parent[r.ParentID] == root }
	ids := make([]string, len(cell.Values))
	for seed, value := range cell.Values {
		data := ""
		if seed < len(d.DataDirs) {
			data = d.DataDirs[seed]
		}
		same := func(r RunInfo) bool {
			return r.Params["method"] == row.Key && r.Params["task"] == d.Tasks[task] && (data == "" || r.Params["data"] == data)
		}
		var own, earlier, earlierSeed *RunInfo
		for i := range runs {
			r := &runs[i]
			if !same(*r) {
				continue
			}
			sameSeed := r.Params["seed"] == strconv.Itoa(seed)
			switch {
			case below(*r) && sameSeed:
				own = latest(own, r)
			case r.Status == StatusFinished && loggedValue(*r, value):
				if sameSeed {
					earlierSeed = latest(earlierSeed, r)
				} else {
					earlier = latest(earlier, r)
				}
			}
		}
		for _, r := range []*RunInfo{own, earlierSeed, earlier} {
			if r != nil {
				ids[seed] = r.ID
				break
			}
		}
	}
	return ids
}

// latest is the later-started of two runs (b when a is nil).
func latest(a, b *RunInfo) *RunInfo {
	if a == nil || b.Start.After(a.Start) {
		return b
	}
	return a
}

// loggedValue reports whether r logged v as its HeadlineMetric: the number a results cell
// holds for the seed r measured.
func loggedValue(r RunInfo, v float64) bool {
	got, ok := MetricValue(r, HeadlineMetric)
	return ok && math.Abs(got-v) <= 1e-12*math.Max(1, math.Abs(v))
}
