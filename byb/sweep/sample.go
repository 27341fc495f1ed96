package sweep

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
)

// rangeDigits is how many significant digits a value drawn from a log-uniform range keeps:
// enough to tell points apart, few enough to read ("0.000317", not "0.00031698172").
const rangeDigits = 3

// Sample draws n points with a generator seeded by seed, so that a sweep can be rerun.
//
// When every axis is a list, the points are n distinct points of the grid (drawn without
// replacement), listed in grid order; n at or above the grid's size is the whole grid. With
// a log-uniform range, every point draws each axis on its own: a list's values uniformly, a
// range log-uniformly (rendered with 3 significant digits), so the points differ by their
// drawn values.
func (s Spec) Sample(n int, seed uint64) ([]Point, error) {
	if n < 1 {
		return nil, fmt.Errorf("sweep: a random sample of %d points: want 1 or more", n)
	}
	rng := rand.New(rand.NewPCG(seed, 0x5eed))
	if s.HasRange() {
		out := make([]Point, n)
		for i := range out {
			out[i] = s.draw(rng)
		}
		return out, nil
	}
	size, err := s.Size()
	if err != nil {
		return nil, err
	}
	if n >= size {
		return s.Grid()
	}
	idx := distinct(rng, n, size)
	out := make([]Point, n)
	for i, k := range idx {
		out[i] = s.point(k)
	}
	return out, nil
}

// distinct returns n distinct integers of [0, size), sorted: Floyd's algorithm, n draws
// whatever the grid's size.
func distinct(rng *rand.Rand, n, size int) []int {
	chosen := make(map[int]bool, n)
	for j := size - n; j < size; j++ {
		if t := rng.IntN(j + 1); chosen[t] {
			chosen[j] = true
		} else {
			chosen[t] = true
		}
	}
	out := make([]int, 0, n)
	for k := range chosen {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// draw is one point drawn axis by axis.
func (s Spec) draw(rng *rand.Rand) Point {
	p := make(Point, len(s.Axes))
	for i, a := range s.Axes {
		v := ""
		if a.Log != nil {
			lo, hi := math.Log(a.Log.Lo), math.Log(a.Log.Hi)
			v = strconv.FormatFloat(math.Exp(lo+rng.Float64()*(hi-lo)), 'g', rangeDigits, 64)
		} else {
			v = a.Values[rng.IntN(len(a.Values))]
		}
		p[i] = Setting{a.Name, v}
	}
	return p
}
