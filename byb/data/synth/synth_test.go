package synth

import (
	"bytes"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/byb-dev/byb/byb/data"
)

var (
	ciOnce sync.Once
	ciDir  string
	ciErr  error
)

// ciData generates both presets at ci scale (seed 1) once per test binary.
func ciData(t *testing.T, preset string) *data.Dataset {
	t.Helper()
	ciOnce.Do(func() {
		ciDir, ciErr = os.MkdirTemp("", "synth-ci-")
		for _, p := range Presets {
			if ciErr != nil {
				return
			}
			c, err := NewConfig(p, ScaleCI, 1)
			if err != nil {
				ciErr = err
				return
			}
			_, ciErr = Generate(c, filepath.Join(ciDir, p), nil)
		}
	})
	if ciErr != nil {
		t.Fatal(ciErr)
	}
	d, err := data.Load(filepath.Join(ciDir, preset))
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func TestMain(m *testing.M) {
	code := m.Run()
	if ciDir != "" {
		os.RemoveAll(ciDir)
	}
	os.Exit(code)
}

// readDir returns every file of a dataset directory; meta.json without its creation time.
func readDir(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	err := filepath.Walk(dir, func(p string, info os.FileInfo, err error) error {
		if err != nil || info.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		if rel == "meta.json" {
			var m map[string]any
			if err := json.Unmarshal(b, &m); err != nil {
				return err
			}
			delete(m, "created")
			b, _ = json.Marshal(m)
		}
		out[rel] = b
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestDeterminism(t *testing.T) {
	for _, p := range Presets {
		t.Run(p, func(t *testing.T) {
			dir := t.TempDir()
			gen := func(name string, seed int64, workers int) map[string][]byte {
				c, err := NewConfig(p, ScaleCI, seed)
				if err != nil {
					t.Fatal(err)
				}
				c.Users, c.Workers = 300, workers
				out := filepath.Join(dir, name)
				if _, err := Generate(c, out, nil); err != nil {
					t.Fatal(err)
				}
				return readDir(t, out)
			}
			a, b, c := gen("a", 7, 2), gen("b", 7, 1), gen("c", 8, 2)
			if len(a) != len(b) || len(a) < 8 {
				t.Fatalf("file sets differ: %d vs %d files", len(a), len(b))
			}
			for name, x := range a {
				if !bytes.Equal(x, b[name]) {
					t.Errorf("%s differs between two runs with the same seed (workers 2 vs 1)", name)
				}
			}
			if bytes.Equal(a["times.bin"], c["times.bin"]) || bytes.Equal(a["ids.bin"], c["ids.bin"]) {
				t.Errorf("seeds 7 and 8 gave the same events")
			}
		})
	}
}

func TestConfig(t *testing.T) {
	for _, p := range Presets {
		for _, s := range Scales {
			if _, err := NewConfig(p, s, 1); err != nil {
				t.Errorf("%s %s: %v", p, s, err)
			}
		}
	}
	if _, err := NewConfig("nope", ScaleCI, 1); err == nil {
		t.Error("unknown preset accepted")
	}
	if _, err := NewConfig(TmallLike, "huge", 1); err == nil {
		t.Error("unknown scale accepted")
	}
}

func vocab(t *testing.T, d *data.Dataset, field string) *data.Vocab {
	t.Helper()
	v, err := data.LoadVocab(d.Dir, field)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func fieldIndex(t *testing.T, d *data.Dataset, name string) int {
	t.Helper()
	j, err := d.Meta.FieldIndex(name)
	if err != nil {
		t.Fatal(err)
	}
	return j
}

// Weekly periodicity: the behaviors per weekday follow the design profile, far beyond
// Poisson noise.
func TestWeeklyPeriodicity(t *testing.T) {
	for _, p := range Presets {
		d := ciData(t, p)
		var dow [7]float64
		for _, tm := range d.Times {
			dow[weekday(tm/data.Day)]++
		}
		weekdays := (dow[0] + dow[1] + dow[2] + dow[3] + dow[4]) / 5
		weekend := (dow[5] + dow[6]) / 2
		ratio := weekend / weekdays
		// Noise: relative sd of a weekday mean ≈ 1/sqrt(events/7) (larger with user bursts).
		t.Logf("%s: events per weekday %v, weekend/weekday %.3f", p, dow, ratio)
		switch p {
		case TmallLike:
			if ratio < 1.08 {
				t.Errorf("%s: weekend/weekday ratio %.3f, the design has weekends ≈ +15%%", p, ratio)
			}
		case MobileLike:
			if ratio > 0.93 {
				t.Errorf("%s: weekend/weekday ratio %.3f, the design has workdays ≈ +10%%", p, ratio)
			}
		}
	}
}

// Local randomness: within a day, a behavior's neighbour is no more similar to it than a
// behavior two steps away, and rare actions sit at random positions of the day.
func TestWithinDayExchangeable(t *testing.T) {
	for _, p := range Presets {
		d := ciData(t, p)
		m := d.Meta.NumIDs()
		topic := 1 // category (tmall-like), page (mobile-like)
		if p == MobileLike {
			topic = fieldIndex(t, d, "page")
		} else {
			topic = fieldIndex(t, d, "category")
		}
		var same1, n1, same2, n2 float64
		var posSum, posN float64
		rare := int32(-1)
		if p == TmallLike {
			rare = vocab(t, d, "action").Lookup("buy")
		}
		for u := range d.Users {
			times, ids := d.Events(u)
			for lo := 0; lo < len(times); {
				hi := lo
				for hi < len(times) && times[hi]/data.Day == times[lo]/data.Day {
					hi++
				}
				for i := lo; i+1 < hi; i++ {
					n1++
					if ids[i*m+topic] == ids[(i+1)*m+topic] {
						same1++
					}
					if i+2 < hi {
						n2++
						if ids[i*m+topic] == ids[(i+2)*m+topic] {
							same2++
						}
					}
				}
				if hi-lo >= 2 && rare >= 0 {
					for i := lo; i < hi; i++ {
						if ids[i*m+3] == rare {
							posSum += float64(i-lo) / float64(hi-lo-1)
							posN++
						}
					}
				}
				lo = hi
			}
		}
		r1, r2 := same1/n1, same2/n2
		t.Logf("%s: P(same topic) lag 1 %.4f (n=%.0f), lag 2 %.4f (n=%.0f)", p, r1, n1, r2, n2)
		if math.Abs(r1-r2) > 0.02 {
			t.Errorf("%s: neighbours within a day share their topic more often than behaviors two apart (%.4f vs %.4f): order carries a signal", p, r1, r2)
		}
		if posN > 0 {
			mean := posSum / posN
			t.Logf("%s: mean relative position of purchases within a day %.3f (n=%.0f)", p, mean, posN)
			if math.Abs(mean-0.5) > 0.05 {
				t.Errorf("%s: purchases sit at relative position %.3f within days, want ≈ 0.5", p, mean)
			}
		}
	}
}

// Global orderliness: a user's category mix drifts slowly — consecutive weeks are more
// alike than weeks two months apart, which are still more alike than two different users.
func TestSlowDrift(t *testing.T) {
	d := ciData(t, TmallLike)
	m, cat := d.Meta.NumIDs(), fieldIndex(t, d, "category")
	type week = map[int32]float64
	cos := func(a, b week) float64 {
		var ab, aa, bb float64
		for k, x := range a {
			ab += x * b[k]
			aa += x * x
		}
		for _, y := range b {
			bb += y * y
		}
		if aa == 0 || bb == 0 {
			return math.NaN()
		}
		return ab / math.Sqrt(aa*bb)
	}
	start := d.Meta.First / data.Day
	weeks := make([][]week, len(d.Users))
	for u := range d.Users {
		times, ids := d.Events(u)
		weeks[u] = make([]week, 27)
		for i, tm := range times {
			w := int(tm/data.Day-start) / 7
			if w >= len(weeks[u]) {
				continue
			}
			if weeks[u][w] == nil {
				weeks[u][w] = week{}
			}
			weeks[u][w][ids[i*m+cat]]++
		}
	}
	mean := func(f func(u, w int) (float64, bool)) float64 {
		s, n := 0.0, 0
		for u := range weeks {
			for w := 0; w < 27; w++ {
				if x, ok := f(u, w); ok && !math.IsNaN(x) {
					s += x
					n++
				}
			}
		}
		return s / float64(n)
	}
	lag := func(l int) float64 {
		return mean(func(u, w int) (float64, bool) {
			if w+l >= 27 || weeks[u][w] == nil || weeks[u][w+l] == nil {
				return 0, false
			}
			return cos(weeks[u][w], weeks[u][w+l]), true
		})
	}
	cross := mean(func(u, w int) (float64, bool) {
		v := (u + 1) % len(weeks)
		if weeks[u][w] == nil || weeks[v][w] == nil {
			return 0, false
		}
		return cos(weeks[u][w], weeks[v][w]), true
	})
	l1, l4, l8 := lag(1), lag(4), lag(8)
	t.Logf("weekly category-mix cosine: lag 1 %.3f, lag 4 %.3f, lag 8 %.3f, other user %.3f", l1, l4, l8, cross)
	if !(l1 > l4 && l4 > l8 && l8 > cross+0.05) {
		t.Errorf("no slow drift: similarity lag1 %.3f, lag4 %.3f, lag8 %.3f, cross-user %.3f", l1, l4, l8, cross)
	}
}

// Zipf long tail: item frequencies fall with rank as a power law, the top 1% of items holds a
// large share, and the capped vocabulary sends part of the tail to OOV.
func TestZipfTail(t *testing.T) {
	d := ciData(t, TmallLike)
	// Raw items are not in the dataset (the tail is OOV), so measure the in-vocabulary part
	// and the coverage recorded at generation.
	m, item := d.Meta.NumIDs(), fieldIndex(t, d, "item")
	counts := map[int32]int{}
	oov := 0
	for e := 0; e < len(d.Times); e++ {
		id := d.IDs[e*m+item]
		if id == data.OOV {
			oov++
		} else {
			counts[id]++
		}
	}
	freq := make([]float64, 0, len(counts))
	for _, c := range counts {
		freq = append(freq, float64(c))
	}
	sort.Sort(sort.Reverse(sort.Float64Slice(freq)))
	// Least-squares slope of log frequency on log rank over ranks 10..1000.
	var sx, sy, sxx, sxy, n float64
	for r := 10; r <= 1000 && r <= len(freq); r++ {
		x, y := math.Log(float64(r)), math.Log(freq[r-1])
		sx, sy, sxx, sxy, n = sx+x, sy+y, sxx+x*x, sxy+x*y, n+1
	}
	slope := (n*sxy - sx*sy) / (n*sxx - sx*sx)
	top := 0.0
	for _, f := range freq[:len(freq)/100] {
		top += f
	}
	share := top / float64(len(d.Times))
	f := d.Meta.Fields[item]
	t.Logf("item rank-frequency slope %.2f, top 1%% of in-vocab items %.1f%% of behaviors, OOV %.1f%%, raw items %d, vocab %d, pretraining coverage %.3f",
		slope, 100*share, 100*float64(oov)/float64(len(d.Times)), f.RawValues, f.VocabSize, f.Coverage)
	if slope > -0.5 || slope < -1.6 {
		t.Errorf("item rank-frequency slope %.2f, want a Zipf-like power law (≈ -1)", slope)
	}
	if share < 0.10 {
		t.Errorf("top 1%% of items hold %.1f%% of behaviors: no long tail", 100*share)
	}
	if f.Coverage >= 0.99 || f.Coverage < 0.5 || oov == 0 || f.RawValues <= int64(f.VocabSize) {
		t.Errorf("item vocabulary should cap a long tail: coverage %.3f, OOV %d, raw %d, vocab %d", f.Coverage, oov, f.RawValues, f.VocabSize)
	}
}

// Rare behaviors carry signal about the future (tmall-like): a favourite or cart on a
// category the user had not touched earlier in the window predicts the 30-day label far more
// often than a click on such a category.
func TestTmallRareSignal(t *testing.T) {
	d := ciData(t, TmallLike)
	s, err := d.Samples(data.Test)
	if err != nil {
		t.Fatal(err)
	}
	ti, _, err := d.Meta.Task("30-day")
	if err != nil {
		t.Fatal(err)
	}
	m, cat, act := d.Meta.NumIDs(), fieldIndex(t, d, "category"), fieldIndex(t, d, "action")
	av := vocab(t, d, "action")
	fav, cart := av.Lookup("fav"), av.Lookup("cart")
	var hitRare, nRare, hitClick, nClick float64
	for k, u := range s.Users {
		y := s.Labels[ti][k]
		if y < 0 {
			continue
		}
		times, ids := d.Events(int(u))
		cut := s.Split.Obs.End - 14*data.Day
		before := map[int32]bool{}
		rare, click := map[int32]bool{}, map[int32]bool{}
		for e, tm := range times {
			if tm < s.Split.Obs.Start || tm >= s.Split.Obs.End {
				continue
			}
			c := ids[e*m+cat]
			if tm < cut {
				before[c] = true
				continue
			}
			if a := ids[e*m+act]; a == fav || a == cart {
				rare[c] = true
			} else {
				click[c] = true
			}
		}
		for c := range rare {
			if !before[c] {
				nRare++
				if c-data.FirstValue == y {
					hitRare++
				}
			}
		}
		for c := range click {
			if !before[c] && !rare[c] {
				nClick++
				if c-data.FirstValue == y {
					hitClick++
				}
			}
		}
	}
	pr, pc := hitRare/nRare, hitClick/nClick
	t.Logf("novel category with a fav/cart: label30 = it in %.3f of %.0f cases; with clicks only: %.3f of %.0f", pr, nRare, pc, nClick)
	if nRare < 30 || pr < 2*pc {
		t.Errorf("rare fav/cart behaviors on new categories do not signal the future: %.3f (n=%.0f) vs clicks %.3f", pr, nRare, pc)
	}
}

// Rare behaviors carry signal about the future (mobile-like): users who visited an unbind
// page or the unbind FAQ (without confirming) in the last 30 days of the window unbind in the
// next 30 days far more often.
func TestMobileRareSignal(t *testing.T) {
	d := ciData(t, MobileLike)
	pv := vocab(t, d, "page")
	page := fieldIndex(t, d, "page")
	m := d.Meta.NumIDs()
	precursor := map[int32]bool{}
	for _, name := range pv.Values {
		if name == "help/faq-unbind" || strings.HasPrefix(name, "account/unbind-") && !strings.HasSuffix(name, "-confirm") {
			precursor[pv.Lookup(name)] = true
		}
	}
	if len(precursor) < 3 {
		t.Fatalf("only %d precursor pages in the vocabulary", len(precursor))
	}
	var pos, n, posNo, nNo float64 // pooled over finetune and test (disjoint users)
	for _, split := range []string{data.Finetune, data.Test} {
		s, err := d.Samples(split)
		if err != nil {
			t.Fatal(err)
		}
		ti, _, _ := d.Meta.Task("Unbind-30d")
		for k, u := range s.Users {
			times, ids := d.Events(int(u))
			seen := false
			for e, tm := range times {
				if tm >= s.Split.Obs.End-30*data.Day && tm < s.Split.Obs.End && precursor[ids[e*m+page]] {
					seen = true
				}
			}
			y := float64(s.Labels[ti][k])
			if seen {
				pos, n = pos+y, n+1
			} else {
				posNo, nNo = posNo+y, nNo+1
			}
		}
	}
	t.Logf("Unbind-30d rate %.3f among %.0f users with precursor pages in the last 30 days, %.3f among %.0f without", pos/n, n, posNo/nNo, nNo)
	if n < 20 || pos/n < 2.5*posNo/nNo {
		t.Errorf("precursor pages do not signal unbinding: %.3f vs %.3f", pos/n, posNo/nNo)
	}
}

// Labels: class balances are imbalanced but not degenerate; churners' activity declines.
func TestClassBalance(t *testing.T) {
	want := map[string][2]float64{"Active-30d": {0.6, 0.95}, "Login-90d": {0.3, 0.85}, "Unbind-30d": {0.02, 0.15}, "Unbind-90d": {0.05, 0.3}}
	d := ciData(t, MobileLike)
	for _, split := range []string{data.Finetune, data.Test} {
		s, _ := d.Samples(split)
		for ti, task := range d.Meta.Tasks {
			b := data.Balance(task, s.Labels[ti])
			r := want[task.Name]
			t.Logf("mobile-like %s %s: positive rate %.3f (%d/%d)", split, task.Name, b.PositiveRate, b.Positives, b.Labeled)
			if b.PositiveRate < r[0] || b.PositiveRate > r[1] || b.Missing != 0 {
				t.Errorf("mobile-like %s %s: positive rate %.3f outside [%.2f, %.2f] (missing %d)", split, task.Name, b.PositiveRate, r[0], r[1], b.Missing)
			}
		}
		// Users inactive in the next 30 days were already fading: their activity in the
		// last 30 days of the window, relative to the first 30, is lower.
		ti, _, _ := d.Meta.Task("Active-30d")
		var ratio [2]float64
		var cnt [2]float64
		for k, u := range s.Users {
			times, _ := d.Events(int(u))
			var first, last float64
			for _, tm := range times {
				switch {
				case tm >= s.Split.Obs.Start && tm < s.Split.Obs.Start+30*data.Day:
					first++
				case tm >= s.Split.Obs.End-30*data.Day && tm < s.Split.Obs.End:
					last++
				}
			}
			y := s.Labels[ti][k]
			ratio[y] += (last + 1) / (first + 1)
			cnt[y]++
		}
		neg, pos := ratio[0]/cnt[0], ratio[1]/cnt[1]
		t.Logf("%s: mean (last 30 d + 1)/(first 30 d + 1) activity: inactive next 30 d %.2f, active %.2f", split, neg, pos)
		if neg >= pos/2 {
			t.Errorf("%s: churners' activity does not decline (%.2f vs %.2f)", split, neg, pos)
		}
	}
	d = ciData(t, TmallLike)
	for _, split := range []string{data.Finetune, data.Test} {
		s, _ := d.Samples(split)
		for ti, task := range d.Meta.Tasks {
			b := data.Balance(task, s.Labels[ti])
			t.Logf("tmall-like %s %s: %d classes present, top share %.3f, missing %d/%d", split, task.Name, b.ClassesPresent, b.TopShare, b.Missing, s.Len())
			if task.NumClasses() != 90 || b.ClassesPresent < 40 || b.TopShare > 0.3 || b.Missing > s.Len()/2 {
				t.Errorf("tmall-like %s %s: %d/%d classes present, top share %.3f, missing %d of %d", split, task.Name, b.ClassesPresent, task.NumClasses(), b.TopShare, b.Missing, s.Len())
			}
		}
	}
}

// Several IDs per behavior; mobile-like logins and unbind confirmations have no dwell ID.
func TestMultiID(t *testing.T) {
	d := ciData(t, TmallLike)
	if d.Meta.NumIDs() != 4 {
		t.Fatalf("tmall-like has %d ID fields, want 4", d.Meta.NumIDs())
	}
	for i, id := range d.IDs {
		if id == data.NoID {
			t.Fatalf("tmall-like behavior %d has no ID in slot %d", i/4, i%4)
		}
	}
	d = ciData(t, MobileLike)
	m, page, dwell := d.Meta.NumIDs(), fieldIndex(t, d, "page"), fieldIndex(t, d, "dwell")
	pv := vocab(t, d, "page")
	var logins, noDwell int
	for e := 0; e < len(d.Times); e++ {
		name := pv.Value(d.IDs[e*m+page])
		if strings.HasPrefix(name, "login/") {
			logins++
			if d.IDs[e*m+dwell] == data.NoID {
				noDwell++
			}
		} else if d.IDs[e*m+dwell] == data.NoID && !strings.HasSuffix(name, "-confirm") {
			t.Fatalf("page view %s without a dwell bucket", name)
		}
	}
	if logins == 0 || noDwell != logins {
		t.Errorf("%d logins, %d without dwell: want logins, all without a dwell ID", logins, noDwell)
	}
}

// Table 8's shape: windows and task definitions.
func TestTimelineAndTasks(t *testing.T) {
	for _, p := range Presets {
		d := ciData(t, p)
		days := map[string]int{data.Pretrain: 120, data.Finetune: 60, data.Test: 60}
		if p == MobileLike {
			days = map[string]int{data.Pretrain: 180, data.Finetune: 180, data.Test: 180}
		}
		for _, s := range d.Meta.Splits {
			if s.Obs.Days() != days[s.Name] {
				t.Errorf("%s %s: %d days, want %d", p, s.Name, s.Obs.Days(), days[s.Name])
			}
		}
		if len(d.Meta.Tasks) != 4 {
			t.Errorf("%s: %d tasks", p, len(d.Meta.Tasks))
		}
		// The test labels fit in the generated data.
		test, _ := d.Meta.Split(data.Test)
		if test.Obs.End+int64(data.Horizon(d.Meta.Tasks))*data.Day > d.Meta.Last+data.Day {
			t.Errorf("%s: test label window ends after the data", p)
		}
	}
}

// Values named by tasks stay in the vocabulary even with very few users.
func TestTaskValuesKept(t *testing.T) {
	c, err := NewConfig(MobileLike, ScaleCI, 3)
	if err != nil {
		t.Fatal(err)
	}
	c.Users, c.PilotUsers = 40, 40
	dir := filepath.Join(t.TempDir(), "few")
	res, err := Generate(c, dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	pv, err := data.LoadVocab(dir, "page")
	if err != nil {
		t.Fatal(err)
	}
	for _, task := range res.Meta.Tasks {
		for _, v := range task.Values {
			if pv.Lookup(v) < data.FirstValue {
				t.Errorf("task %s: value %s is not in the vocabulary", task.Name, v)
			}
		}
	}
}

// More unlabelled users (the data-scaling experiment) keep the labelled users fixed: a
// larger set holds the smaller one's users, behavior for behavior, and its extra users are
// in the pretraining split only.
func TestUnlabelledUsersExtendTheSet(t *testing.T) {
	small, err := NewConfig(TmallLike, ScaleCI, 3)
	if err != nil {
		t.Fatal(err)
	}
	small.Users = 300
	large := small
	large.Users, large.LabelledUsers = 500, 300
	dirs := map[string]string{"small": filepath.Join(t.TempDir(), "small"), "large": filepath.Join(t.TempDir(), "large")}
	sets := map[string]*data.Dataset{}
	for name, c := range map[string]Config{"small": small, "large": large} {
		if _, err := Generate(c, dirs[name], nil); err != nil {
			t.Fatal(err)
		}
		d, err := data.Load(dirs[name])
		if err != nil {
			t.Fatal(err)
		}
		defer d.Close()
		sets[name] = d
	}
	s, l := sets["small"], sets["large"]
	if l.Meta.Users != 500 || l.Meta.UnlabelledUsers != 200 {
		t.Fatalf("large set: %d users, %d unlabelled; want 500 and 200", l.Meta.Users, l.Meta.UnlabelledUsers)
	}
	for u := 0; u < 300; u++ {
		st, _ := s.Events(u)
		lt, _ := l.Events(u)
		if !slices.Equal(st, lt) {
			t.Fatalf("user %d: %d behaviors in the small set, %d in the large one; want the same", u, len(st), len(lt))
		}
	}
	for _, split := range []string{data.Finetune, data.Test} {
		a, err := s.Samples(split)
		if err != nil {
			t.Fatal(err)
		}
		b, err := l.Samples(split)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(a.Users, b.Users) {
			t.Fatalf("%s split: %d users in the small set, %d in the large one; want the same users", split, a.Len(), b.Len())
		}
		// A class is a vocabulary index, and the vocabularies are ordered by counts over all
		// the users: the same labels, renumbered one to one.
		for task := range a.Labels {
			there, back := map[int32]int32{}, map[int32]int32{}
			for i, y := range a.Labels[task] {
				z := b.Labels[task][i]
				if w, ok := there[y]; ok && w != z || back[z] != 0 && back[z] != y+1 {
					t.Fatalf("%s split, task %d, user %d: class %d in the small set, %d in the large one, not one to one", split, task, a.Users[i], y, z)
				}
				there[y], back[z] = z, y+1
			}
		}
	}
	a, _ := s.Samples(data.Pretrain)
	b, _ := l.Samples(data.Pretrain)
	if b.Len() <= a.Len() || !slices.ContainsFunc(b.Users, func(u int32) bool { return u >= 300 }) {
		t.Errorf("pretraining split: %d users in the small set, %d in the large one; want the extra users in it", a.Len(), b.Len())
	}
}
