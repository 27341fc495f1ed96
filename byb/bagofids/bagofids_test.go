package bagofids

import (
	"math"
	"math/rand/v2"
	"path/filepath"
	"testing"
	"time"

	"github.com/byb-dev/byb/byb/data"
)

func tiny() []Sample {
	return []Sample{
		{Index: []int32{0, 2}, Value: []float32{1, 0.5}, Dense: []float64{1, 2, 0}, Label: 0},
		{Index: []int32{1}, Value: []float32{2}, Dense: []float64{0.5, 1, 3}, Label: 1},
		{Index: []int32{0, 1, 2}, Value: []float32{0.3, 0.7, 1}, Dense: []float64{2, 2, 1}, Label: 2},
		{Index: []int32{2}, Value: []float32{1}, Dense: []float64{1, 1, 1}, Label: -1}, // unlabelled: ignored
	}
}

// At zero weights every class has probability 1/C: the loss is log C (hand-computed).
func TestLossAtZeroIsLogC(t *testing.T) {
	m := &Model{Classes: 3, Columns: 3}
	z := m.standardiser(tiny())
	m.W, m.B = make([]float64, 3*(3+NumSummary)), make([]float64, 3)
	if got := m.objective(tiny(), z, Penalty{L2: 0.5, E: 0.5}, nil); math.Abs(got-math.Log(3)) > 1e-12 {
		t.Errorf("loss %v, want log 3 = %v", got, math.Log(3))
	}
}

// The analytic gradient matches central finite differences at a random point: for the bag,
// and for bag + E (two more dense features) whose E weights have their own L2 strength.
func TestGradientMatchesFiniteDifferences(t *testing.T) {
	withE := tiny()
	for i := range withE {
		withE[i].Dense = append(append([]float64(nil), withE[i].Dense...), float64(i)-1.5, 0.25*float64(i*i))
	}
	for _, tc := range []struct {
		name    string
		samples []Sample
		pen     Penalty
	}{{"bag", tiny(), Penalty{L2: 0.3, E: 0.3}}, {"bag + E", withE, Penalty{L2: 0.3, E: 2}}} {
		samples := tc.samples
		m := &Model{Classes: 3, Columns: 3}
		z := m.standardiser(samples)
		r := rand.New(rand.NewPCG(1, 2))
		nw := 3 * m.width()
		x := make([]float64, nw+3)
		for i := range x {
			x[i] = r.NormFloat64()
		}
		f := func(x []float64, grad []float64) float64 {
			m.W, m.B = x[:nw], x[nw:]
			return m.objective(samples, z, tc.pen, grad)
		}
		grad := make([]float64, len(x))
		f(x, grad)
		for i := range x {
			const h = 1e-6
			xp, xm := append([]float64(nil), x...), append([]float64(nil), x...)
			xp[i] += h
			xm[i] -= h
			num := (f(xp, nil) - f(xm, nil)) / (2 * h)
			if math.Abs(num-grad[i]) > 1e-6*max(1, math.Abs(num)) {
				t.Errorf("%s: d/dx[%d]: analytic %v, numeric %v", tc.name, i, grad[i], num)
			}
		}
	}
	// The E block's penalty is E/2·‖W_E‖² alone: at W = 0 but for one E weight w, the loss
	// minus its value at W = 0 is the data term's change plus E/2·w², so doubling E adds
	// E/2·w² (hand check on the penalty's split).
	m := &Model{Classes: 3, Columns: 3}
	z := m.standardiser(withE)
	m.W, m.B = make([]float64, 3*m.width()), make([]float64, 3)
	w := 0.7
	m.W[(m.Columns+NumSummary)*3+1] = w // the first E feature, class 1
	a := m.objective(withE, z, Penalty{L2: 5, E: 1}, nil)
	b := m.objective(withE, z, Penalty{L2: 5, E: 3}, nil)
	if math.Abs((b-a)-(3-1)/2.0*w*w) > 1e-12 {
		t.Errorf("raising E's strength from 1 to 3 added %v to the loss, want %v", b-a, w*w)
	}
}

// On data where ID 0 means class 1, the fitted model ranks by it.
func TestFitLearnsASignal(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	var samples []Sample
	for i := range 400 {
		y := int32(i % 2)
		s := Sample{Dense: []float64{r.Float64(), r.Float64(), r.Float64()}, Label: y}
		if y == 1 && r.Float64() < 0.8 || y == 0 && r.Float64() < 0.1 {
			s.Index, s.Value = append(s.Index, 0), append(s.Value, 1)
		}
		s.Index, s.Value = append(s.Index, int32(1+r.IntN(5))), append(s.Value, 1)
		samples = append(samples, s)
	}
	m, err := Fit(samples, 2, 6, 1e-3, 200)
	if err != nil {
		t.Fatal(err)
	}
	p, err := m.Predict([]Sample{{Index: []int32{0, 1}, Value: []float32{1, 1}, Dense: []float64{.5, .5, .5}},
		{Index: []int32{1}, Value: []float32{1}, Dense: []float64{.5, .5, .5}}})
	if err != nil {
		t.Fatal(err)
	}
	// P(y=1 | ID 0) = .8/(.8+.1) ≈ 0.89; without it .2/(.2+.9) ≈ 0.18.
	if p[0][1] < 0.8 || p[1][1] > 0.3 {
		t.Errorf("P(1|ID 0) = %.3f (want ≈ 0.89), P(1|no ID 0) = %.3f (want ≈ 0.18)", p[0][1], p[1][1])
	}
}

// Features of a hand-built log: counts within the kept behaviors, capped vocabularies, and
// the summary features.
func TestFeatures(t *testing.T) {
	day := func(d int) int64 { return time.Date(2013, 4, d, 12, 0, 0, 0, time.UTC).Unix() }
	b := data.NewBuilder([]string{"item", "cat"})
	// Item frequencies: i1 ×3, i2 ×2, i3 ×1 → vocabulary indices 2, 3, 4.
	b.Add("u1", day(1), []string{"i1", "A"})
	b.Add("u1", day(1), []string{"i2", "A"})
	b.Add("u1", day(3), []string{"i1", "B"})
	b.Add("u2", day(2), []string{"i3", "A"})
	b.Add("u2", day(2), []string{"i1", "A"})
	b.Add("u2", day(2), []string{"i2", "A"})
	dir := filepath.Join(t.TempDir(), "ds")
	start := time.Date(2013, 4, 1, 0, 0, 0, 0, time.UTC).Unix()
	if _, err := b.Build(dir, data.BuildOptions{Name: "t", Splits: []data.Split{{Name: data.Pretrain, Obs: data.Span{Start: start, End: start + 5*data.Day}}}}); err != nil {
		t.Fatal(err)
	}
	d, err := data.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	s, err := d.Samples(data.Pretrain)
	if err != nil {
		t.Fatal(err)
	}
	cols := NewColumns(d.Meta.VocabSizes(), 2) // i1, i2 and A, B: i3 has no column
	if cols.Total != 4 {
		t.Fatalf("%d columns, want 4", cols.Total)
	}
	f := Features(d, s, cols, data.SeqConfig{}, -1)
	byUser := map[string]Sample{}
	for i, u := range s.Users {
		byUser[d.Users[u]] = f[i]
	}
	u1 := byUser["u1"]
	// u1: i1 ×2 (col 0), i2 ×1 (col 1), A ×2 (col 2), B ×1 (col 3); 3 behaviors on 2 days,
	// the last on day 3 of 5 (window 2): 2 windows since.
	want := map[int32]float32{0: float32(math.Log1p(2)), 1: float32(math.Log1p(1)), 2: float32(math.Log1p(2)), 3: float32(math.Log1p(1))}
	if len(u1.Index) != 4 {
		t.Fatalf("u1 columns %v", u1.Index)
	}
	for k, c := range u1.Index {
		if u1.Value[k] != want[c] {
			t.Errorf("u1 column %d = %v, want %v", c, u1.Value[k], want[c])
		}
	}
	if u1.Dense[0] != math.Log1p(3) || u1.Dense[1] != math.Log1p(2) || u1.Dense[2] != math.Log1p(2) {
		t.Errorf("u1 summary %v, want log1p of 3 behaviors, 2 active days, 2 days since", u1.Dense)
	}
	// With the most recent 2 behaviors only, u2 keeps i1 and i2 (same time: input order).
	f2 := Features(d, s, cols, data.SeqConfig{MaxLen: 2}, -1)
	for i, u := range s.Users {
		if d.Users[u] == "u2" && f2[i].Dense[0] != math.Log1p(2) {
			t.Errorf("u2 with max_len 2: %v behaviors", math.Expm1(f2[i].Dense[0]))
		}
	}
}

// Fitting only the columns the training samples have gives the model of fitting every
// column: the absent ones' weights stay 0, and the predictions agree.
func TestFitOverPresentColumnsIsTheFullFit(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	const columns = 40 // only even columns below 20 occur
	var samples []Sample
	for i := range 200 {
		s := Sample{Dense: []float64{r.Float64(), r.Float64(), r.Float64()}, Label: int32(i % 3)}
		for c := 0; c < 20; c += 2 {
			if r.Float64() < 0.3+0.2*float64(s.Label)*float64(c%4)/2 {
				s.Index, s.Value = append(s.Index, int32(c)), append(s.Value, float32(1+r.IntN(3)))
			}
		}
		samples = append(samples, s)
	}
	got, err := Fit(samples, 3, columns, 1e-2, 50)
	if err != nil {
		t.Fatal(err)
	}
	want, err := fitDense(samples, 3, columns, Penalty{L2: 1e-2, E: 1e-2}, 50)
	if err != nil {
		t.Fatal(err)
	}
	if len(got.W) != len(want.W) || got.Columns != columns {
		t.Fatalf("%d weights over %d columns, want %d over %d", len(got.W), got.Columns, len(want.W), columns)
	}
	for i := range want.W {
		if math.Abs(got.W[i]-want.W[i]) > 1e-9 {
			t.Fatalf("weight %d: %v, the full fit's %v", i, got.W[i], want.W[i])
		}
	}
	for c := 1; c < columns; c += 2 {
		if got.W[c*3] != 0 {
			t.Fatalf("absent column %d has weight %v", c, got.W[c*3])
		}
	}
	test := []Sample{{Index: []int32{0, 4, 7}, Value: []float32{1, 2, 1}, Dense: []float64{.5, .2, .9}}}
	p, err := got.Predict(test)
	if err != nil {
		t.Fatal(err)
	}
	q, err := want.Predict(test)
	if err != nil {
		t.Fatal(err)
	}
	if p, q := p[0], q[0]; math.Abs(p[1]-q[1]) > 1e-9 {
		t.Fatalf("predictions %v and %v", p, q)
	}
}
