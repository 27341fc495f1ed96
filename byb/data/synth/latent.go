package synth

import (
	"math"
	"math/rand/v2"
	"sort"
)

// Latent processes shared by the presets. They drive what is generated; they are never
// written to the dataset, and labels never read them.

// weekly is a day-of-week profile (index 0 = Monday), mean 1.
type weekly [7]float64

func (w weekly) normalized() weekly {
	s := 0.0
	for _, x := range w {
		s += x
	}
	for i := range w {
		w[i] *= 7 / s
	}
	return w
}

// userWeek personalises a global weekly profile: exp(β) on weekends, β ~ N(0, sd), so that
// some users are weekend shoppers and others weekday browsers, around the global pattern.
func userWeek(r *rand.Rand, global weekly, sd float64) weekly {
	b := sd * r.NormFloat64()
	var w weekly
	for d := range w {
		w[d] = global[d]
		if d >= 5 {
			w[d] *= math.Exp(b)
		}
	}
	return w.normalized()
}

// weekday returns the day of week (0 = Monday) of a unix day number.
func weekday(unixDay int64) int { return int((unixDay + 3) % 7) } // 1970-01-01 was a Thursday

// engagement is a user's overall engagement E in [0,1], which scales the probability of
// being active on a day. A user enters a decline with a daily hazard; in a decline E decays
// exponentially with a time constant of tau days (slowly, over weeks: the decline is visible
// in the observed activity before the user goes silent); a declining user recovers with a
// daily hazard, after which E returns towards 1.
type engagement struct {
	e         float64
	declining bool
	tau       float64
}

type engagementParams struct {
	declineHazard  float64 // per day
	tauMin, tauMax float64 // days
	recoverHazard  float64 // per day, while declining
	recoverTau     float64 // days
}

func (g *engagement) step(r *rand.Rand, p engagementParams, hazardScale float64) {
	if !g.declining {
		if r.Float64() < p.declineHazard*hazardScale {
			g.declining = true
			g.tau = p.tauMin + (p.tauMax-p.tauMin)*r.Float64()
		}
	} else if r.Float64() < p.recoverHazard {
		g.declining = false
	}
	if g.declining {
		g.e *= math.Exp(-1 / g.tau)
	} else {
		g.e += (1 - g.e) * (1 - math.Exp(-1/p.recoverTau))
	}
}

// interests are a user's latent interest weights over topics (categories, app sections):
// a small set of topics with log-weights theta that follow a mean-reverting random walk
// (slow drift), plus a background share eps spread over all topics by popularity. New
// topics are adopted at a daily hazard: the adoption is scheduled lead days ahead (the
// generators emit rare signal behaviors about the pending topic during the lead time), then
// the new topic's weight ramps up over about a week while an old topic starts to fade.
type interests struct {
	topic []int
	theta []float64
	mu    []float64 // level theta reverts to
	kappa []float64 // reversion rate per day

	pending    int // topic to be adopted, -1 none
	pendingDay int // day index of the adoption

	prob []float64 // scratch: softmax(theta)
}

type interestParams struct {
	initMean    float64 // initial number of topics = 1 + Poisson(initMean)
	sigma       float64 // daily random-walk step of theta
	kappa       float64 // daily mean reversion of established topics
	rampKappa   float64 // daily reversion of a newly adopted topic towards its level
	adoptHazard float64 // per day
	leadMin     int     // days between scheduling an adoption and the adoption
	leadMax     int
	fadeDrop    float64 // an old topic's level drops by this at each adoption
	dropGap     float64 // topics with theta below max-dropGap are forgotten
	maxTopics   int
}

func newInterests(r *rand.Rand, pop cdf, p interestParams) *interests {
	in := &interests{pending: -1}
	k := 1 + poisson(r, p.initMean)
	for len(in.topic) < k {
		c := pop.sample(r)
		if in.has(c) {
			continue
		}
		th := r.NormFloat64()
		in.topic = append(in.topic, c)
		in.theta = append(in.theta, th)
		in.mu = append(in.mu, th)
		in.kappa = append(in.kappa, p.kappa)
	}
	return in
}

func (in *interests) has(c int) bool {
	for _, t := range in.topic {
		if t == c {
			return true
		}
	}
	return false
}

func (in *interests) maxTheta() float64 {
	m := math.Inf(-1)
	for _, t := range in.theta {
		m = math.Max(m, t)
	}
	return m
}

// step advances the interests by one day (day is the day index, used for adoptions).
func (in *interests) step(r *rand.Rand, pop cdf, p interestParams, day int) {
	for i := range in.theta {
		in.theta[i] += in.kappa[i]*(in.mu[i]-in.theta[i]) + p.sigma*r.NormFloat64()
		if in.kappa[i] != p.kappa && math.Abs(in.theta[i]-in.mu[i]) < 0.3 {
			in.kappa[i] = p.kappa // the ramp is over: an established topic
		}
	}
	if in.pending < 0 && r.Float64() < p.adoptHazard {
		for try := 0; try < 20; try++ {
			c := pop.sample(r)
			if !in.has(c) {
				in.pending = c
				in.pendingDay = day + p.leadMin + r.IntN(p.leadMax-p.leadMin+1)
				break
			}
		}
	}
	if in.pending >= 0 && day >= in.pendingDay {
		mx := in.maxTheta()
		// An old topic starts to fade: the one with the lowest weight, most of the time.
		if len(in.topic) > 0 {
			i := r.IntN(len(in.topic))
			if r.Float64() < 0.7 {
				for j := range in.theta {
					if in.theta[j] < in.theta[i] {
						i = j
					}
				}
			}
			in.mu[i] -= p.fadeDrop
		}
		level := mx + 0.3 + 0.5*r.NormFloat64()
		in.topic = append(in.topic, in.pending)
		in.theta = append(in.theta, mx-3)
		in.mu = append(in.mu, level)
		in.kappa = append(in.kappa, p.rampKappa)
		in.pending = -1
	}
	// Forget topics far below the top one, and keep at most maxTopics.
	mx := in.maxTheta()
	for i := 0; i < len(in.topic); i++ {
		if len(in.topic) > 1 && (in.theta[i] < mx-p.dropGap || len(in.topic) > p.maxTopics && in.theta[i] == minOf(in.theta)) {
			in.remove(i)
			i--
		}
	}
}

func minOf(x []float64) float64 {
	m := math.Inf(1)
	for _, v := range x {
		m = math.Min(m, v)
	}
	return m
}

func (in *interests) remove(i int) {
	last := len(in.topic) - 1
	in.topic[i], in.theta[i], in.mu[i], in.kappa[i] = in.topic[last], in.theta[last], in.mu[last], in.kappa[last]
	in.topic, in.theta, in.mu, in.kappa = in.topic[:last], in.theta[:last], in.mu[:last], in.kappa[:last]
}

// shift lowers a topic's weight (satiation after a purchase).
func (in *interests) shift(c int, d float64) {
	for i, t := range in.topic {
		if t == c {
			in.theta[i] += d
			in.mu[i] += d
		}
	}
}

// prepare computes the day's mixture over the user's topics.
func (in *interests) prepare() {
	in.prob = in.prob[:0]
	mx := in.maxTheta()
	s := 0.0
	for _, t := range in.theta {
		e := math.Exp(t - mx)
		in.prob = append(in.prob, e)
		s += e
	}
	for i := range in.prob {
		in.prob[i] /= s
	}
}

// sample draws a topic from the day's mixture: the user's topics with probability 1-eps,
// the popularity background otherwise.
func (in *interests) sample(r *rand.Rand, pop cdf, eps float64) int {
	if len(in.topic) == 0 || r.Float64() < eps {
		return pop.sample(r)
	}
	u := r.Float64()
	for i, p := range in.prob {
		u -= p
		if u < 0 {
			return in.topic[i]
		}
	}
	return in.topic[len(in.topic)-1]
}

// dayBag collects one day's behaviors, then shuffles them and gives them sorted random
// times of day from a diurnal profile: the order of behaviors within a day carries no
// information (local randomness — behaviors of a day are exchangeable).
type dayBag struct {
	m    int
	ids  []int32 // m raw value indices per behavior, -1 = no ID
	secs []int64
}

func (b *dayBag) reset(m int) { b.m, b.ids = m, b.ids[:0] }

func (b *dayBag) add(v ...int32) { b.ids = append(b.ids, v...) }

func (b *dayBag) len() int { return len(b.ids) / b.m }

// flush shuffles the day's behaviors and appends them to the user's events.
func (b *dayBag) flush(r *rand.Rand, diurnal cdf, dayStart int64, out *userEvents) {
	n := b.len()
	if n == 0 {
		return
	}
	m := b.m
	for i := n - 1; i > 0; i-- {
		j := r.IntN(i + 1)
		for k := 0; k < m; k++ {
			b.ids[i*m+k], b.ids[j*m+k] = b.ids[j*m+k], b.ids[i*m+k]
		}
	}
	b.secs = b.secs[:0]
	for i := 0; i < n; i++ {
		h := diurnal.sample(r)
		b.secs = append(b.secs, int64(h)*3600+int64(r.IntN(3600)))
	}
	sort.Slice(b.secs, func(i, j int) bool { return b.secs[i] < b.secs[j] })
	for i := 0; i < n; i++ {
		out.times = append(out.times, dayStart+b.secs[i])
	}
	out.raw = append(out.raw, b.ids...)
}

// userEvents is one generated user: time-sorted behaviors with raw value indices.
type userEvents struct {
	times []int64
	raw   []int32
}

func (u *userEvents) reset() { u.times, u.raw = u.times[:0], u.raw[:0] }
