package experiments

import (
	"fmt"
	"math"
	"strings"
)

// Verdicts of a claim, from paired per-seed differences.
const (
	verdictHolds        = "holds"
	verdictFails        = "does not hold"
	verdictInconclusive = "inconclusive"
)

// pairedVerdict compares rows a and b on one task seed by seed (both cells hold one value per
// seed, in seed order): the claim "a beats b" holds when the mean paired difference is
// positive and larger than its standard deviation, does not hold when it is negative by as
// much, and is inconclusive otherwise — also with one seed, whose difference has no spread to
// weigh it against. ok is false when either cell has no value.
func pairedVerdict(res map[string]map[string]*cellResult, a, b, task string) (verdict string, diff float64, ok bool) {
	ra, rb := res[a][task], res[b][task]
	if ra == nil || rb == nil || len(ra.values) == 0 || len(rb.values) == 0 {
		return "", 0, false
	}
	n := min(len(ra.values), len(rb.values))
	d := make([]float64, n)
	for i := range d {
		d[i] = ra.values[i] - rb.values[i]
	}
	verdict, diff = pairedDiffVerdict(d)
	return verdict, diff, true
}

// pairedDiffVerdict judges "positive" on paired differences d (one per seed): holds when
// their mean is positive and larger than their standard deviation, does not hold when it is
// negative by as much, else (and with fewer than two) inconclusive.
func pairedDiffVerdict(d []float64) (verdict string, mean float64) {
	mean, std := meanStd(d)
	switch {
	case len(d) < 2:
		return verdictInconclusive, mean
	case mean > 0 && mean > std:
		return verdictHolds, mean
	case mean < 0 && -mean > std:
		return verdictFails, mean
	}
	return verdictInconclusive, mean
}

// tally counts the verdicts of one claim over tasks.
type tally struct {
	holds, fails, inconclusive int
}

func (t *tally) add(v string) {
	switch v {
	case verdictHolds:
		t.holds++
	case verdictFails:
		t.fails++
	default:
		t.inconclusive++
	}
}

func (t tally) n() int { return t.holds + t.fails + t.inconclusive }

// verdict of the claim over all its tasks: holds when it holds on every task, does not hold
// when it fails on one, else inconclusive.
func (t tally) verdict() string {
	switch {
	case t.n() > 0 && t.holds == t.n():
		return verdictHolds
	case t.fails > 0:
		return verdictFails
	}
	return verdictInconclusive
}

func (t tally) String() string {
	return fmt.Sprintf("%s (holds on %d, does not hold on %d, inconclusive on %d of %d tasks)", t.verdict(), t.holds, t.fails, t.inconclusive, t.n())
}

// meanOf is a cell's mean over seeds.
func meanOf(res map[string]map[string]*cellResult, key, task string) (float64, bool) {
	r := res[key][task]
	if r == nil || len(r.values) == 0 {
		return 0, false
	}
	m, _ := meanStd(r.values)
	return m, true
}

// bestOf returns, among keys with a value on task, the best and the second best by mean.
func bestOf(res map[string]map[string]*cellResult, keys []string, task string) (best, second string) {
	bv, sv := math.Inf(-1), math.Inf(-1)
	for _, k := range keys {
		m, ok := meanOf(res, k, task)
		switch {
		case !ok:
		case m > bv:
			second, sv = best, bv
			best, bv = k, m
		case m > sv:
			second, sv = k, m
		}
	}
	return best, second
}

// bestClaim judges "who is the best of keys" on every task where who and at least one other
// key have a value. Where who has the best mean, the claim holds, fails or is inconclusive as
// who against the second best does (pairedVerdict), and rel gets who's relative margin over
// it; elsewhere it fails when the best beats who for sure, else it is inconclusive. wins
// counts the tasks where who has the best mean.
func bestClaim(res map[string]map[string]*cellResult, keys []string, who string, tasks []string) (t tally, wins int, rel []float64) {
	for _, task := range tasks {
		best, second := bestOf(res, keys, task)
		if _, ok := meanOf(res, who, task); !ok || best == "" || second == "" {
			continue
		}
		if best != who {
			if v, _, _ := pairedVerdict(res, best, who, task); v == verdictHolds {
				t.add(verdictFails)
			} else {
				t.add(verdictInconclusive)
			}
			continue
		}
		wins++
		v, _, _ := pairedVerdict(res, who, second, task)
		t.add(v)
		w, _ := meanOf(res, who, task)
		o, _ := meanOf(res, second, task)
		rel = append(rel, (w-o)/o)
	}
	return t, wins, rel
}

// claimsSection is the claims lines under their heading, which says how they are judged.
func claimsSection(lines []string) string {
	if len(lines) == 0 {
		return "No claim can be judged: too few rows ran.\n"
	}
	return "Claims (\"holds\": the paired per-seed difference is positive on average and larger than its standard deviation; one seed is inconclusive):\n\n" +
		strings.Join(lines, "\n") + "\n"
}
