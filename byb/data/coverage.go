package data

import "fmt"

// TargetCoverage says how much a prediction objective such as BYB has to learn from in a
// split at a pooling window ΔT1 and a prediction window ΔT2 (in ΔT1 windows): a prefix (a
// sample and a position k with a behavior at or before window k) has a target when a
// behavior falls in windows k+1..k+ΔT2, counting the ΔT2 windows after the span. A log whose
// users are active on one day each has almost no prefix with a target at day pooling: that
// should be known before training, not after.
type TargetCoverage struct {
	DT2      int `json:"dt2"`
	Prefixes int `json:"prefixes"` // prefixes with input
	Valid    int `json:"valid"`    // of which with a target
	// ValidShare is Valid / Prefixes; BehaviorsPerWindow the mean number of behaviors of a
	// non-empty window, and NonEmptyShare the share of a sample's windows (from its first
	// behavior on) that hold any.
	ValidShare         float64 `json:"valid_share"`
	BehaviorsPerWindow float64 `json:"behaviors_per_window"`
	NonEmptyShare      float64 `json:"non_empty_share"`
}

// Coverage computes the target coverage of split s under cfg (its MaxLen and pooling; the
// most recent MaxLen behaviors are the input, as in Batch) with a ΔT2 of dt2 windows.
func (d *Dataset) Coverage(s *Samples, cfg SeqConfig, dt2 int) TargetCoverage {
	dt2 = max(dt2, 1)
	c := TargetCoverage{DT2: dt2}
	obs := s.Split.Obs
	t := cfg.Windows(obs)
	future := cfg
	future.TargetWindows = dt2
	span := future.TargetSpan(obs)
	counts := make([]int, t+dt2)
	behaviors, nonEmpty, windows := 0, 0, 0
	for _, u := range s.Users {
		clear(counts)
		times, _ := d.Events(int(u))
		lo, hi := spanRange(times, obs)
		if cfg.MaxLen > 0 && hi-lo > cfg.MaxLen {
			lo = hi - cfg.MaxLen
		}
		first := t
		for e := lo; e < hi; e++ {
			w := cfg.window(times[e], obs.Start)
			counts[w]++
			first = min(first, w)
		}
		flo, fhi := spanRange(times, span)
		for e := flo; e < fhi; e++ {
			if w := t + cfg.window(times[e], span.Start); w < len(counts) {
				counts[w]++
			}
		}
		// ahead = behaviors in windows k+1..k+dt2, slid along k.
		ahead := 0
		for w := 1; w <= dt2 && w < len(counts); w++ {
			ahead += counts[w]
		}
		for k := 0; k < t; k++ {
			if k >= first {
				c.Prefixes++
				if ahead > 0 {
					c.Valid++
				}
				windows++
				if counts[k] > 0 {
					nonEmpty++
					behaviors += counts[k]
				}
			}
			ahead -= counts[min(k+1, len(counts)-1)]
			if k+1+dt2 < len(counts) {
				ahead += counts[k+1+dt2]
			}
		}
	}
	if c.Prefixes > 0 {
		c.ValidShare = round6(float64(c.Valid) / float64(c.Prefixes))
	}
	if nonEmpty > 0 {
		c.BehaviorsPerWindow = round6(float64(behaviors) / float64(nonEmpty))
		c.NonEmptyShare = round6(float64(nonEmpty) / float64(windows))
	}
	return c
}

// Warning says, when most prefixes have no target, what that means and what to change: a
// "warning: " when almost none has one (under 10%: a log of users active on one day each),
// a "note: " when most have none (the loss then learns from the rest: the paper's Tmall log
// at day pooling is such a case); "" otherwise.
func (c TargetCoverage) Warning(dt1 string) string {
	if c.Prefixes == 0 || c.ValidShare >= 0.5 {
		return ""
	}
	msg := fmt.Sprintf("%.1f%% of the prefixes have a behavior in the next %d window(s) at dt1=%s", 100*c.ValidShare, c.DT2, dt1)
	if c.ValidShare < 0.1 {
		return "warning: only " + msg + ": BYB has almost nothing to learn from; pool longer windows (dt1=week, month) or raise byb_dt2"
	}
	return "note: " + msg + ": BYB's loss learns from those alone (longer windows, dt1=week or month, or a larger byb_dt2 give more)"
}

// String is the coverage in one line.
func (c TargetCoverage) String() string {
	return fmt.Sprintf("%.1f%% of %d prefixes have a target in the next %d window(s); non-empty windows: %.1f%% of a user's windows, %.2f behaviors each",
		100*c.ValidShare, c.Prefixes, c.DT2, 100*c.NonEmptyShare, c.BehaviorsPerWindow)
}
