package finetune

import (
	"iter"
	"math"
	"math/rand/v2"

	"github.com/byb-dev/byb/byb/data"
)

// ToyData is the finetuning tests' labelled data: a few dozen users with learnable structure
// and a short observation window, built in memory as batches, so that the pure-Go engine can
// pretrain, finetune and probe on it within a unit test. It is a test fixture, not a second
// dataset generator: byb/data/synth is the generator of record (paper-like datasets written
// to disk, with the paper's timelines and vocabularies). Exported so that the external test
// package finetune_test can use it too.
//
// Each user belongs to one of Clusters latent interest clusters (each favouring a few of
// Categories item categories) and drifts slowly towards a second cluster; activity has a
// weekly rhythm; items are Zipf-distributed within their category. IDs per behavior: (item,
// category, action), each shifted by 2 (0 = none, 1 = OOV). The label of a user is the
// category it interacts with most in the FutureDays after the observation window.
type ToyData struct {
	Users, Days, FutureDays, MaxLen            int
	Clusters, Categories, ItemsPerCat, Actions int
	Vocab                                      []int
	rows                                       [][]event // per user, observed behaviors in time order (the MaxLen most recent)
	Labels                                     []int32
	Classes                                    int // Categories
}

type event struct {
	day            int
	item, cat, act int
}

// NewToyData generates the dataset deterministically from seed.
func NewToyData(seed uint64, users, days, futureDays, maxLen int) *ToyData {
	s := &ToyData{Users: users, Days: days, FutureDays: futureDays, MaxLen: maxLen,
		Clusters: 4, Categories: 8, ItemsPerCat: 40, Actions: 3}
	s.Vocab = []int{s.Categories*s.ItemsPerCat + 2, s.Categories + 2, s.Actions + 2}
	s.Classes = s.Categories
	rng := rand.New(rand.NewPCG(seed, 99))
	// Cluster → category preference: two favourite categories and a little of everything.
	pref := make([][]float64, s.Clusters)
	for c := range pref {
		pref[c] = make([]float64, s.Categories)
		for k := range pref[c] {
			pref[c][k] = 0.05
		}
		pref[c][(2*c)%s.Categories] += 1.0
		pref[c][(2*c+1)%s.Categories] += 0.6
	}
	zipf := make([]float64, s.ItemsPerCat)
	for i := range zipf {
		zipf[i] = 1 / math.Pow(float64(i+1), 1.1)
	}
	for range users {
		c0, c1 := rng.IntN(s.Clusters), rng.IntN(s.Clusters)
		drift := 0.6 * rng.Float64() // share of c1 reached at the end of the future window
		phase := rng.Float64() * 2 * math.Pi
		rate := 1 + 3*rng.Float64()
		var evs []event
		future := make([]int, s.Categories)
		for d := range days + futureDays {
			w := drift * float64(d) / float64(days+futureDays)
			lam := rate * (1 + 0.9*math.Sin(2*math.Pi*float64(d)/7+phase))
			for range poisson(rng, lam) {
				mix := make([]float64, s.Categories)
				for k := range mix {
					mix[k] = (1-w)*pref[c0][k] + w*pref[c1][k]
				}
				cat := sample(rng, mix)
				e := event{day: d, cat: cat, item: cat*s.ItemsPerCat + sample(rng, zipf), act: rng.IntN(s.Actions)}
				if d < days {
					evs = append(evs, e)
				} else {
					future[cat]++
				}
			}
		}
		if len(evs) > maxLen {
			evs = evs[len(evs)-maxLen:]
		}
		s.rows = append(s.rows, evs)
		best := 0
		for k := range future {
			if future[k] > future[best] {
				best = k
			}
		}
		s.Labels = append(s.Labels, int32(best))
	}
	return s
}

// Batches yields the users in [from, to) in batches of size B (the last batch is padded with
// empty, unlabeled rows), shuffled by (seed, epoch) when shuffle is set.
func (s *ToyData) Batches(from, to, B int, shuffle bool, seed uint64, epoch int) iter.Seq[*data.Batch] {
	order := make([]int, 0, to-from)
	for u := from; u < to; u++ {
		order = append(order, u)
	}
	if shuffle {
		rng := rand.New(rand.NewPCG(seed, uint64(epoch)))
		rng.Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
	}
	return func(yield func(*data.Batch) bool) {
		for i := 0; i < len(order); i += B {
			if !yield(s.batch(order[i:min(i+B, len(order))], B)) {
				return
			}
		}
	}
}

func (s *ToyData) batch(users []int, B int) *data.Batch {
	n, m := s.MaxLen, 3
	b := &data.Batch{Size: B, MaxLen: n, NumIDs: m, Windows: s.Days,
		IDs: make([]int32, B*n*m), Window: make([]int32, B*n), Users: make([]int32, B), Labels: make([]int32, B)}
	for r := range B {
		for i := range n {
			b.Window[r*n+i] = -1
		}
		if r >= len(users) {
			b.Users[r], b.Labels[r] = -1, -1
			continue
		}
		u := users[r]
		b.Users[r], b.Labels[r] = int32(u), s.Labels[u]
		for i, e := range s.rows[u] {
			b.Window[r*n+i] = int32(e.day)
			b.IDs[(r*n+i)*m+0] = int32(e.item + 2)
			b.IDs[(r*n+i)*m+1] = int32(e.cat + 2)
			b.IDs[(r*n+i)*m+2] = int32(e.act + 2)
		}
	}
	return b
}

func poisson(rng *rand.Rand, lam float64) int {
	l, k, p := math.Exp(-lam), 0, 1.0
	for {
		p *= rng.Float64()
		if p <= l {
			return k
		}
		k++
	}
}

func sample(rng *rand.Rand, w []float64) int {
	total := 0.0
	for _, x := range w {
		total += x
	}
	r := rng.Float64() * total
	for i, x := range w {
		if r -= x; r < 0 {
			return i
		}
	}
	return len(w) - 1
}
