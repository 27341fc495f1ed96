package data

import (
	"path/filepath"
	"strings"
	"testing"
)

// Coverage on a hand-made log, counted by hand. Test split: Apr 1..Apr 6 (T = 5 days).
// u1: Apr 1 (2), Apr 3, then Apr 6 (the window after the span). u2: Apr 2 only.
//
//	u1 windows 0..5 = [2,0,1,0,0 | 1]: prefixes k=0..4 (first behavior at 0); with ΔT2=1 a
//	target at k=1 (window 2) and k=4 (window 5): 2 of 5. u2 = [0,1,0,0,0 | 0]: prefixes
//	k=1..4, none with a target. Total 2 of 9. Non-empty windows: u1 2 of 5, u2 1 of 4 → 3
//	of 9, holding 3+1 = 4 behaviors → 4/3 each. ΔT2 = 2: u1 k=0,1,3,4 and u2 none → 4 of 9.
func TestCoverage(t *testing.T) {
	b := NewBuilder([]string{"item"})
	for _, e := range []struct{ user, when string }{
		{"u1", "2013-04-01 08:00"}, {"u1", "2013-04-01 09:00"}, {"u1", "2013-04-03 10:00"}, {"u1", "2013-04-06 12:00"},
		{"u2", "2013-04-02 09:00"},
	} {
		b.Add(e.user, date(e.when), []string{"i1"})
	}
	dir := filepath.Join(t.TempDir(), "ds")
	if _, err := b.Build(dir, BuildOptions{Name: "c", Splits: []Split{
		{Name: Pretrain, Obs: Span{date("2013-04-01 00:00"), date("2013-04-06 00:00")}}}}); err != nil {
		t.Fatal(err)
	}
	d, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	s, err := d.Samples(Pretrain)
	if err != nil {
		t.Fatal(err)
	}
	c := d.Coverage(s, SeqConfig{}, 1)
	if c.Prefixes != 9 || c.Valid != 2 || c.NonEmptyShare != round6(3.0/9) || c.BehaviorsPerWindow != round6(4.0/3) {
		t.Errorf("ΔT2=1: %+v, want 9 prefixes, 2 valid, 3/9 non-empty, 4/3 behaviors per window", c)
	}
	if c := d.Coverage(s, SeqConfig{}, 2); c.Valid != 4 {
		t.Errorf("ΔT2=2: %d valid prefixes, want 4", c.Valid)
	}
	if w := c.Warning("day"); !strings.HasPrefix(w, "note: 22.2% of the prefixes") {
		t.Errorf("warning %q, want a note at 22%%", w)
	}
	if w := (TargetCoverage{DT2: 1, Prefixes: 100, Valid: 5, ValidShare: 0.05}).Warning("day"); !strings.HasPrefix(w, "warning: only 5.0%") {
		t.Errorf("warning %q, want a warning at 5%%", w)
	}
	if w := (TargetCoverage{DT2: 1, Prefixes: 100, Valid: 60, ValidShare: 0.6}).Warning("day"); w != "" {
		t.Errorf("warning %q at 60%%, want none", w)
	}
	// Weekly pooling: one window, whose prefix has u1's Apr 6 behavior ahead... but u2 not.
	if c := d.Coverage(s, SeqConfig{Pool: 7 * Day}, 1); c.Prefixes != 2 || c.Valid != 1 {
		t.Errorf("weekly: %+v, want 2 prefixes, 1 valid", c)
	}
}
