package sweep

import (
	"math"
	"reflect"
	"strconv"
	"strings"
	"testing"
)

func strs(ps []Point) []string {
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = p.String()
	}
	return out
}

func mustParse(t *testing.T, spec string) Spec {
	t.Helper()
	s, err := Parse(spec)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// The grid is the Cartesian product, first axis slowest, values as the user spelt them.
func TestGridOrderAndSpelling(t *testing.T) {
	s := mustParse(t, " learning_rate = 1e-4, 3e-4 ,0.001;batch_size=32,64 ; ")
	if got := s.Names(); !reflect.DeepEqual(got, []string{"learning_rate", "batch_size"}) {
		t.Errorf("names %v", got)
	}
	g, err := s.Grid()
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"learning_rate=1e-4;batch_size=32", "learning_rate=1e-4;batch_size=64",
		"learning_rate=3e-4;batch_size=32", "learning_rate=3e-4;batch_size=64",
		"learning_rate=0.001;batch_size=32", "learning_rate=0.001;batch_size=64",
	}
	if got := strs(g); !reflect.DeepEqual(got, want) {
		t.Errorf("grid\n got %q\nwant %q", got, want)
	}
	if n, _ := s.Size(); n != 6 {
		t.Errorf("size %d, want 6", n)
	}
	if d := (Point{{"pretrain/learning_rate", "1e-4"}, {"batch_size", "32"}}).DirName(); d != "pretrain_learning_rate=1e-4,batch_size=32" {
		t.Errorf("DirName %q", d)
	}
	if v, ok := g[3].Value("batch_size"); !ok || v != "64" {
		t.Errorf("point 4 batch_size = %q, %v", v, ok)
	}
	one := mustParse(t, "byb_tau=0.1")
	if g, _ := one.Grid(); !reflect.DeepEqual(strs(g), []string{"byb_tau=0.1"}) {
		t.Errorf("one point: %q", strs(g))
	}
}

// Every malformed spec is refused with a message that quotes the part at fault.
func TestParseErrorsNameTheBadPart(t *testing.T) {
	for spec, want := range map[string]string{
		"":                               "empty spec",
		" ; ":                            "empty spec",
		"learning_rate":                  `"learning_rate": want name=value`,
		"=1,2":                           `"=1,2": no parameter name`,
		"lr=":                            `"lr=": no values after =`,
		"lr=1e-4,,3e-4":                  `"lr=1e-4,,3e-4": an empty value in "1e-4,,3e-4"`,
		"lr=1e-4,1e-4":                   `"lr=1e-4,1e-4": value 1e-4 given twice`,
		"lr=1;bs=2;lr=3":                 `"lr=3": lr is swept twice`,
		"lr=log(1e-5)":                   `"log(1e-5)": a log-uniform range is log(lo,hi)`,
		"lr=log(1e-5,1e-2":               `a log-uniform range is log(lo,hi)`,
		"lr=log(1e-5,1e-2,1)":            `a log-uniform range is log(lo,hi)`,
		"lr=log(a,1e-2)":                 `lo "a" is not a number`,
		"lr=log(1e-5,b)":                 `hi "b" is not a number`,
		"lr=log(0,1)":                    "needs 0 < lo < hi",
		"lr=log(1e-2,1e-5)":              "needs 0 < lo < hi",
		"a=1,2;b=log(1e-3,1e-1);c=x;d=;": `"d=": no values`,
	} {
		_, err := Parse(spec)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Parse(%q) = %v; want an error containing %q", spec, err, want)
		}
	}
}

// A range has no grid: Grid and Size say to sample it.
func TestRangeNeedsASample(t *testing.T) {
	s := mustParse(t, "learning_rate=log(1e-5,1e-2);batch_size=32,64")
	if !s.HasRange() {
		t.Fatal("HasRange false")
	}
	if _, err := s.Grid(); err == nil || !strings.Contains(err.Error(), "learning_rate=log(1e-05,0.01) is a range") {
		t.Errorf("Grid: %v", err)
	}
}

// A random sample of a grid: n distinct grid points in grid order, the same for the same
// seed; n at or above the grid's size is the whole grid.
func TestSampleOfAGrid(t *testing.T) {
	s := mustParse(t, "a=1,2,3,4;b=x,y,z") // 12 points
	grid, _ := s.Grid()
	pos := map[string]int{}
	for i, p := range grid {
		pos[p.String()] = i
	}
	for seed := uint64(0); seed < 20; seed++ {
		got, err := s.Sample(5, seed)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 5 {
			t.Fatalf("seed %d: %d points", seed, len(got))
		}
		last := -1
		for _, p := range got {
			i, ok := pos[p.String()]
			if !ok || i <= last {
				t.Fatalf("seed %d: %q is not a new grid point in grid order (sample %q)", seed, p, strs(got))
			}
			last = i
		}
		again, _ := s.Sample(5, seed)
		if !reflect.DeepEqual(strs(got), strs(again)) {
			t.Fatalf("seed %d drew %q, then %q", seed, strs(got), strs(again))
		}
	}
	a, _ := s.Sample(5, 1)
	b, _ := s.Sample(5, 2)
	c, _ := s.Sample(5, 3)
	if reflect.DeepEqual(strs(a), strs(b)) && reflect.DeepEqual(strs(b), strs(c)) {
		t.Errorf("seeds 1, 2 and 3 drew the same sample %q", strs(a))
	}
	for _, n := range []int{12, 13, 100} {
		all, _ := s.Sample(n, 7)
		if !reflect.DeepEqual(strs(all), strs(grid)) {
			t.Errorf("n=%d: %q, want the whole grid", n, strs(all))
		}
	}
	if _, err := s.Sample(0, 1); err == nil || !strings.Contains(err.Error(), "want 1 or more") {
		t.Errorf("n=0: %v", err)
	}
}

// Every subset of a small grid turns up: the sample is not stuck on a few points.
func TestSampleCoversTheGrid(t *testing.T) {
	s := mustParse(t, "a=1,2,3,4")
	seen := map[string]bool{}
	for seed := uint64(0); seed < 200; seed++ {
		p, _ := s.Sample(2, seed)
		seen[strings.Join(strs(p), " ")] = true
	}
	if len(seen) != 6 { // C(4,2)
		t.Errorf("%d of the 6 pairs drawn: %v", len(seen), seen)
	}
}

// A log-uniform range: values within [lo, hi], 3 significant digits, spread over the
// decades (about a third in each of 3 decades), and the list axis beside it drawn from its
// values.
func TestSampleLogRange(t *testing.T) {
	s := mustParse(t, "learning_rate=log(1e-5,1e-2);batch_size=32,64")
	ps, err := s.Sample(300, 1)
	if err != nil {
		t.Fatal(err)
	}
	decades := [3]int{}
	bs := map[string]int{}
	for _, p := range ps {
		v := p[0].Value
		x, err := strconv.ParseFloat(v, 64)
		if err != nil || x < 1e-5 || x > 1e-2 {
			t.Fatalf("learning_rate=%s outside [1e-5, 1e-2]", v)
		}
		if sigDigits(v) > 3 {
			t.Errorf("learning_rate=%s has more than 3 significant digits", v)
		}
		decades[min(2, int(math.Floor(math.Log10(x)+5)))]++
		bs[p[1].Value]++
	}
	for d, n := range decades {
		if n < 70 || n > 130 {
			t.Errorf("decade 1e%d: %d of 300 draws, want about 100 (%v)", d-5, n, decades)
		}
	}
	if bs["32"] < 100 || bs["64"] < 100 || len(bs) != 2 {
		t.Errorf("batch_size draws %v", bs)
	}
	again, _ := s.Sample(300, 1)
	if !reflect.DeepEqual(strs(ps), strs(again)) {
		t.Error("the same seed drew different points")
	}
}

// sigDigits counts the significant digits of a number as strconv writes it ("0.000317" → 3).
func sigDigits(v string) int {
	mantissa, _, _ := strings.Cut(v, "e")
	return len(strings.TrimLeft(strings.ReplaceAll(mantissa, ".", ""), "0"))
}

// Best and Rank: the goal's way, failed points (NaN, ±Inf) never chosen and ranked last,
// ties to the first point.
func TestBestAndRank(t *testing.T) {
	nan, inf := math.NaN(), math.Inf(1)
	scores := []float64{0.61, nan, 0.72, 0.55, 0.72, inf}
	if b := Best(scores, Max); b != 2 {
		t.Errorf("max: best %d, want 2 (0.72, the first of two)", b)
	}
	if got := Rank(scores, Max); !reflect.DeepEqual(got, []int{2, 4, 0, 3, 1, 5}) {
		t.Errorf("max: rank %v", got)
	}
	if b := Best(scores, Min); b != 3 {
		t.Errorf("min: best %d, want 3 (0.55)", b)
	}
	if got := Rank(scores, Min); !reflect.DeepEqual(got, []int{3, 0, 2, 4, 1, 5}) {
		t.Errorf("min: rank %v", got)
	}
	if b := Best([]float64{nan, math.Inf(-1)}, Min); b != -1 {
		t.Errorf("all failed: best %d, want -1", b)
	}
	if b := Best(nil, Max); b != -1 {
		t.Errorf("no points: best %d", b)
	}
	if _, err := ParseGoal("maximize"); err == nil || !strings.Contains(err.Error(), "want max or min") {
		t.Errorf("ParseGoal: %v", err)
	}
	if g, err := ParseGoal("min"); err != nil || g != Min {
		t.Errorf("ParseGoal(min) = %v, %v", g, err)
	}
}

// Merge: the point wins on a shared name in base's place, its other names follow, and
// whatever else base holds stays.
func TestMerge(t *testing.T) {
	p := Point{{"learning_rate", "1e-3"}, {"batch_size", "64"}}
	for base, want := range map[string]string{
		"":                                "learning_rate=1e-3;batch_size=64",
		"d=16;layers=1":                   "d=16;layers=1;learning_rate=1e-3;batch_size=64",
		"d=16; learning_rate = 1e-4;ff=8": "d=16;learning_rate=1e-3;ff=8;batch_size=64",
		"file:conf.json;batch_size=32;":   "file:conf.json;batch_size=64;learning_rate=1e-3",
	} {
		if got := Merge(base, p); got != want {
			t.Errorf("Merge(%q) = %q, want %q", base, got, want)
		}
	}
	if got := Settings("d=16;file:x; learning_rate = 1e-3"); !reflect.DeepEqual(got, Point{{"d", "16"}, {"learning_rate", "1e-3"}}) {
		t.Errorf("Settings: %v", got)
	}
}
