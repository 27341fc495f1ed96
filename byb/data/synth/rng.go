package synth

import (
	"math"
	"math/rand/v2"
	"sort"
)

// Random-number helpers. Every user draws from its own PCG stream seeded from (seed, stream,
// user index), so that users can be generated in any order or in parallel and still give
// the same dataset.

// Seed streams: users of the dataset, and the pilot users that estimate the vocabulary.
const (
	streamUsers uint64 = 0x5eed_0001
	streamPilot uint64 = 0x5eed_0002
)

func splitmix(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}

func userRNG(seed int64, stream uint64, user int) *rand.Rand {
	a := splitmix(uint64(seed) ^ splitmix(stream))
	b := splitmix(a ^ uint64(user)*0x9e3779b97f4a7c15)
	return rand.New(rand.NewPCG(a, b))
}

// poisson draws a Poisson variate (Knuth below 30, a rounded normal above).
func poisson(r *rand.Rand, mean float64) int {
	if mean <= 0 {
		return 0
	}
	if mean < 30 {
		l, k, p := math.Exp(-mean), 0, 1.0
		for {
			p *= r.Float64()
			if p <= l {
				return k
			}
			k++
		}
	}
	v := math.Round(mean + math.Sqrt(mean)*r.NormFloat64())
	if v < 0 {
		return 0
	}
	return int(v)
}

// gamma draws Gamma(shape, 1) (Marsaglia–Tsang).
func gamma(r *rand.Rand, shape float64) float64 {
	if shape < 1 {
		return gamma(r, shape+1) * math.Pow(r.Float64(), 1/shape)
	}
	d := shape - 1.0/3
	c := 1 / math.Sqrt(9*d)
	for {
		x := r.NormFloat64()
		v := 1 + c*x
		if v <= 0 {
			continue
		}
		v = v * v * v
		u := r.Float64()
		if u < 1-0.0331*x*x*x*x || math.Log(u) < 0.5*x*x+d*(1-v+math.Log(v)) {
			return d * v
		}
	}
}

// beta draws Beta(a, b).
func beta(r *rand.Rand, a, b float64) float64 {
	x := gamma(r, a)
	return x / (x + gamma(r, b))
}

// lognormal draws exp(N(log(median), sigma)).
func lognormal(r *rand.Rand, median, sigma float64) float64 {
	return median * math.Exp(sigma*r.NormFloat64())
}

// cdf is a cumulative distribution over 0..n-1, sampled by binary search.
type cdf []float64

func newCDF(w []float64) cdf {
	c := make(cdf, len(w))
	s := 0.0
	for i, x := range w {
		s += x
		c[i] = s
	}
	for i := range c {
		c[i] /= s
	}
	return c
}

func (c cdf) sample(r *rand.Rand) int {
	u := r.Float64()
	i := sort.SearchFloat64s(c, u)
	if i >= len(c) {
		i = len(c) - 1
	}
	return i
}

// prob is the probability of index i.
func (c cdf) prob(i int) float64 {
	if i == 0 {
		return c[0]
	}
	return c[i] - c[i-1]
}

// zipfWeights are the weights (k+offset)^-s of ranks k = 0..n-1.
func zipfWeights(n int, s, offset float64) []float64 {
	w := make([]float64, n)
	for k := range w {
		w[k] = math.Pow(float64(k)+offset, -s)
	}
	return w
}

// pickWeighted draws an index with probability proportional to w.
func pickWeighted(r *rand.Rand, w []float64) int {
	s := 0.0
	for _, x := range w {
		s += x
	}
	u := r.Float64() * s
	for i, x := range w {
		u -= x
		if u < 0 {
			return i
		}
	}
	return len(w) - 1
}

// hash01 maps integers to a stable number in [0,1) (design-time assignments such as item →
// brand, identical for every seed).
func hash01(a, b uint64) float64 {
	return float64(splitmix(splitmix(a)^b)>>11) / float64(uint64(1)<<53)
}

func clamp(x, lo, hi float64) float64 { return math.Max(lo, math.Min(hi, x)) }

// groupOf returns the group g with offsets[g] <= i < offsets[g+1]: the category of a global
// item index, the section of a page. offsets holds each group's first index, then the end.
func groupOf(offsets []int, i int) int {
	return sort.Search(len(offsets)-1, func(g int) bool { return offsets[g+1] > i })
}
