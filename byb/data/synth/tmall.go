package synth

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/byb-dev/byb/byb/data"
)

// tmall-like: e-commerce clicks, carts, favourites and purchases on items of 90 categories.

const (
	tmallCategories = 90
	actClick        = 0
	actCart         = 1
	actFav          = 2
	actBuy          = 3
)

var (
	tmallActions   = []string{"click", "cart", "fav", "buy"}
	tmallActionMix = []float64{0.86, 0.06, 0.05, 0.03}
	// Signal behaviors are mostly favourites and carts: the rare actions.
	tmallSignalMix = []float64{0.15, 0.35, 0.5, 0}
	// E-commerce browsing rises at the weekend.
	tmallWeek = weekly{1.0, 0.97, 0.97, 0.98, 1.0, 1.18, 1.14}.normalized()
	// Hour of day: low at night, a lunch bump, an evening peak.
	tmallDiurnal = newCDF([]float64{2, 1, .6, .4, .3, .4, .8, 1.5, 2.5, 3, 3.2, 3.5, 4, 3.6, 3.3, 3.3, 3.4, 3.6, 4, 4.8, 5.6, 6, 5.2, 3.5})
)

type tmall struct {
	c       Config
	tl      timeline
	catPop  []float64
	catCDF  cdf
	itemCDF []cdf // per category: Zipf over its items by rank
	itemOff []int // first global item index of each category
	brands  int   // per category
	brandSh []float64
	ip      interestParams
	ep      engagementParams
	eps     float64
}

func newTmall(c Config) *tmall {
	t := &tmall{c: c, brands: c.BrandsPerCategory, eps: 0.1,
		tl: timeline{start: "2013-04-01", end: "2013-10-01",
			pretrain: "2013-04-01..2013-07-30", finetune: "2013-05-02..2013-07-01", test: "2013-07-03..2013-09-01"},
		ip: interestParams{initMean: 1.5, sigma: 0.08, kappa: 0.03, rampKappa: 0.2, adoptHazard: 1.0 / 20,
			leadMin: 3, leadMax: 12, fadeDrop: 1.5, dropGap: 5, maxTopics: 8},
		ep: engagementParams{declineHazard: 1.0 / 400, tauMin: 10, tauMax: 40, recoverHazard: 1.0 / 50, recoverTau: 5},
	}
	t.catPop = zipfWeights(tmallCategories, 1.0, 3)
	t.catCDF = newCDF(t.catPop)
	// Items per category ∝ sqrt(popularity), at least 50; Zipf(1.05) by rank within a category.
	sq := 0.0
	for _, p := range t.catPop {
		sq += math.Sqrt(p)
	}
	off := 0
	for _, p := range t.catPop {
		n := max(50, int(float64(c.Tail)*math.Sqrt(p)/sq))
		t.itemOff = append(t.itemOff, off)
		t.itemCDF = append(t.itemCDF, newCDF(zipfWeights(n, 1.05, 1.5)))
		off += n
	}
	t.itemOff = append(t.itemOff, off)
	t.brandSh = make([]float64, tmallCategories*t.brands)
	for cat := range t.itemCDF {
		for k := range t.itemCDF[cat] {
			t.brandSh[t.brandOf(cat, k)] += t.itemCDF[cat].prob(k)
		}
	}
	return t
}

// brandOf is the global brand (seller) index of item k of category cat: a fixed design-time
// assignment, skewed so that a few brands of a category hold many items.
func (t *tmall) brandOf(cat, k int) int {
	h := hash01(uint64(cat), uint64(k))
	return cat*t.brands + int(float64(t.brands)*h*h)
}

func (t *tmall) timeline() timeline { return t.tl }

func (t *tmall) tasks() []string {
	return []string{"5-day=most_frequent:category:5", "10-day=most_frequent:category:10",
		"15-day=most_frequent:category:15", "30-day=most_frequent:category:30"}
}

func (t *tmall) catOfItem(i int) int {
	return groupOf(t.itemOff[:tmallCategories+1], i)
}

func (t *tmall) fields() []field {
	nItems := t.itemOff[tmallCategories]
	return []field{
		{name: "item", size: nItems, value: func(i int) string { return fmt.Sprintf("i%07d", i) },
			group: t.catOfItem, groups: tmallCategories,
			within: func(i int) float64 { c := t.catOfItem(i); return t.itemCDF[c].prob(i - t.itemOff[c]) }},
		{name: "category", size: tmallCategories, value: func(i int) string { return fmt.Sprintf("cat%02d", i) }},
		{name: "brand", size: len(t.brandSh), value: func(i int) string { return fmt.Sprintf("b%06d", i) },
			group: func(i int) int { return i / t.brands }, groups: tmallCategories,
			within: func(i int) float64 { return t.brandSh[i] }},
		{name: "action", size: len(tmallActions), value: func(i int) string { return tmallActions[i] }},
	}
}

func (t *tmall) user(r *rand.Rand, out *userEvents) {
	day0, days := t.tl.days()
	join := 0
	if r.Float64() < 0.3 {
		join = r.IntN(days)
	}
	p := beta(r, 1.3, 3.8)
	mu := math.Min(t.c.PerDay*lognormal(r, 1, 0.6), 2.5*t.c.PerDay)
	wk := userWeek(r, tmallWeek, 0.25)
	eng := engagement{e: 1}
	in := newInterests(r, t.catCDF, t.ip)
	var bag dayBag
	var bought []int
	emit := func(cat, k, act int) {
		bag.add(int32(t.itemOff[cat]+k), int32(cat), int32(t.brandOf(cat, k)), int32(act))
		if act == actBuy {
			bought = append(bought, cat)
		}
	}
	for d := join; d < days; d++ {
		eng.step(r, t.ep, 1)
		in.step(r, t.catCDF, t.ip, d)
		dow := weekday(day0 + int64(d))
		if r.Float64() >= clamp(p*eng.e*wk[dow], 0, 0.8) {
			continue
		}
		in.prepare()
		bag.reset(4)
		bought = bought[:0]
		n := 1 + poisson(r, mu*wk[dow])
		for i := 0; i < n; i++ {
			cat := in.sample(r, t.catCDF, t.eps)
			emit(cat, t.itemCDF[cat].sample(r), pickWeighted(r, tmallActionMix))
		}
		// Rare signal behaviors about the category the user is about to adopt: favourites
		// and carts of deep-tail items of that category, during the lead time.
		if in.pending >= 0 && r.Float64() < 0.5 {
			cat := in.pending
			nc := len(t.itemCDF[cat])
			for i := 1 + poisson(r, 0.3); i > 0; i-- {
				k := nc/5 + r.IntN(nc-nc/5)
				emit(cat, k, pickWeighted(r, tmallSignalMix))
			}
		}
		bag.flush(r, tmallDiurnal, (day0+int64(d))*data.Day, out)
		// Satiation: a purchase lowers the interest in its category from the next day on.
		for _, cat := range bought {
			in.shift(cat, -0.4)
		}
	}
}
