package synth

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/byb-dev/byb/byb/data"
)

// mobile-like: page views of a payment app (section, page, dwell-time bucket), logins and
// account unbinding.

const (
	mobileRegular = 56 // regular app sections s00..s55
	secLogin      = mobileRegular
	secAccount    = mobileRegular + 1
	secSecurity   = mobileRegular + 2
	secHelp       = mobileRegular + 3
	mobileDwell   = 12 // dwell buckets d00 (<1 s), d01 [1,2) s, d02 [2,4) s ... d11 ≥ 1024 s
)

var (
	mobileSpecialSections = []string{"login", "account", "security", "help"}
	loginPages            = []string{"login/password", "login/face", "login/sms", "login/fingerprint", "login/qr"}
	accountPages          = []string{"account/profile", "account/cards", "account/bills", "account/settings", "account/limits"}
	securityPages         = []string{"security/center", "security/devices", "security/password", "security/freeze", "security/risk-alert"}
	helpPages             = []string{"help/faq-unbind", "help/faq-account", "help/customer-service", "help/complaint", "help/feedback"}
	unbindKinds           = []string{"card", "phone", "thirdparty"}
	unbindKindMix         = []float64{0.6, 0.25, 0.15}
	// A finance app is used a little more on workdays.
	mobileWeek = weekly{1.04, 1.04, 1.03, 1.04, 1.06, 0.93, 0.88}.normalized()
	// Hour of day: commute, lunch and evening peaks.
	mobileDiurnal = newCDF([]float64{1.2, .6, .3, .2, .2, .4, 1.2, 3, 4, 3.2, 3, 3.4, 4.4, 3.6, 3, 3, 3.2, 3.8, 4.2, 4, 4.4, 4.6, 3.8, 2.2})
)

type mobile struct {
	c       Config
	tl      timeline
	secCDF  cdf // popularity of the regular sections
	pageCDF []cdf
	pageOff []int // first global page index of each regular section
	special map[string]int
	names   []string // special page names, index - specialOff
	ip      interestParams
	ep      engagementParams
	eps     float64
}

func newMobile(c Config) *mobile {
	mb := &mobile{c: c, eps: 0.1, special: map[string]int{},
		tl: timeline{start: "2023-02-02", end: "2024-01-30",
			pretrain: "2023-02-02..2023-08-01", finetune: "2023-03-05..2023-09-01", test: "2023-05-05..2023-11-01",
			testUsers: 0.35},
		ip: interestParams{initMean: 2, sigma: 0.06, kappa: 0.03, rampKappa: 0.15, adoptHazard: 1.0 / 30,
			leadMin: 0, leadMax: 0, fadeDrop: 1.5, dropGap: 5, maxTopics: 8},
		ep: engagementParams{declineHazard: 1.0 / 200, tauMin: 10, tauMax: 50, recoverHazard: 1.0 / 120, recoverTau: 10},
	}
	pop := zipfWeights(mobileRegular, 0.9, 2)
	mb.secCDF = newCDF(pop)
	var specials []string
	specials = append(specials, loginPages...)
	specials = append(specials, accountPages...)
	specials = append(specials, securityPages...)
	specials = append(specials, helpPages...)
	for _, k := range unbindKinds {
		specials = append(specials, "account/unbind-"+k, "account/unbind-"+k+"-confirm")
	}
	nRegular := c.Tail - len(specials)
	s := 0.0
	for _, p := range pop {
		s += math.Pow(p, 0.6)
	}
	off := 0
	for _, p := range pop {
		n := max(30, int(float64(nRegular)*math.Pow(p, 0.6)/s))
		mb.pageOff = append(mb.pageOff, off)
		mb.pageCDF = append(mb.pageCDF, newCDF(zipfWeights(n, 1.1, 2)))
		off += n
	}
	mb.pageOff = append(mb.pageOff, off)
	for i, name := range specials {
		mb.special[name] = off + i
	}
	mb.names = specials
	return mb
}

func (mb *mobile) timeline() timeline { return mb.tl }

func (mb *mobile) confirmPages() string {
	v := ""
	for i, k := range unbindKinds {
		if i > 0 {
			v += "|"
		}
		v += "account/unbind-" + k + "-confirm"
	}
	return v
}

func (mb *mobile) tasks() []string {
	login := ""
	for i, p := range loginPages {
		if i > 0 {
			login += "|"
		}
		login += p
	}
	return []string{"Active-30d=active:30", "Login-90d=any_of:page:" + login + ":90",
		"Unbind-30d=any_of:page:" + mb.confirmPages() + ":30", "Unbind-90d=any_of:page:" + mb.confirmPages() + ":90"}
}

func (mb *mobile) secOfPage(i int) int {
	if i >= mb.pageOff[mobileRegular] {
		return -1
	}
	return groupOf(mb.pageOff[:mobileRegular+1], i)
}

func (mb *mobile) fields() []field {
	nRegular := mb.pageOff[mobileRegular]
	return []field{
		{name: "section", size: mobileRegular + len(mobileSpecialSections), value: func(i int) string {
			if i >= mobileRegular {
				return mobileSpecialSections[i-mobileRegular]
			}
			return fmt.Sprintf("s%02d", i)
		}},
		{name: "page", size: nRegular + len(mb.names), value: func(i int) string {
			if i >= nRegular {
				return mb.names[i-nRegular]
			}
			sec := mb.secOfPage(i)
			return fmt.Sprintf("s%02d/p%04d", sec, i-mb.pageOff[sec])
		},
			// Regular pages: pilot count of their section × Zipf share; each special page is
			// its own group (estimated directly).
			group: func(i int) int {
				if i >= nRegular {
					return mobileRegular + (i - nRegular)
				}
				return mb.secOfPage(i)
			}, groups: mobileRegular + len(mb.names),
			within: func(i int) float64 {
				if i >= nRegular {
					return 1
				}
				sec := mb.secOfPage(i)
				return mb.pageCDF[sec].prob(i - mb.pageOff[sec])
			}},
		{name: "dwell", size: mobileDwell, value: func(i int) string { return fmt.Sprintf("d%02d", i) }},
	}
}

func dwellBucket(secs float64) int32 {
	if secs < 1 {
		return 0
	}
	return int32(min(mobileDwell-1, 1+int(math.Log2(secs))))
}

func (mb *mobile) user(r *rand.Rand, out *userEvents) {
	day0, days := mb.tl.days()
	join := 0
	if r.Float64() < 0.2 {
		join = r.IntN(days)
	}
	p := beta(r, 1.6, 1.3)
	mu := math.Min(mb.c.PerDay*lognormal(r, 1, 0.7), 2.5*mb.c.PerDay)
	wk := userWeek(r, mobileWeek, 0.2)
	risk := lognormal(r, 1, 0.8)
	expiry := []int{3, 7, 14, 30}[pickWeighted(r, []float64{0.2, 0.35, 0.25, 0.2})]
	loginPref := make([]float64, len(loginPages))
	for i := range loginPref {
		loginPref[i] = 0.05
	}
	loginPref[pickWeighted(r, []float64{0.35, 0.35, 0.15, 0.1, 0.05})] = 1
	dwellMu := math.Log(15) + 0.5*r.NormFloat64() // a user's typical dwell time
	eng := engagement{e: 1}
	in := newInterests(r, mb.secCDF, mb.ip)
	intentEnd, intentKind := -1, 0
	lastActive := -1
	var bag dayBag
	sp := func(name string) int32 { return int32(mb.special[name]) }
	view := func(sec int32, page int32, dwellShift float64) {
		bag.add(sec, page, dwellBucket(math.Exp(dwellMu+dwellShift+0.9*r.NormFloat64())))
	}
	specialView := func(sec int, names []string) {
		view(int32(sec), sp(names[r.IntN(len(names))]), 0)
	}
	for d := join; d < days; d++ {
		eng.step(r, mb.ep, risk)
		in.step(r, mb.secCDF, mb.ip, d)
		// Unbind intent: a latent state whose hazard rises as engagement declines.
		if intentEnd < 0 && r.Float64() < risk/1600*(1+6*(1-eng.e)) {
			intentEnd = d + 5 + r.IntN(36)
			intentKind = pickWeighted(r, unbindKindMix)
		}
		unbind := intentEnd == d && r.Float64() < 0.7
		if intentEnd == d {
			intentEnd = -1
		}
		dow := weekday(day0 + int64(d))
		if !unbind && r.Float64() >= clamp(p*eng.e*wk[dow], 0, 0.98) {
			continue
		}
		in.prepare()
		bag.reset(3)
		n := 1 + poisson(r, mu*wk[dow])
		for i := 0; i < n; i++ {
			sec := in.sample(r, mb.secCDF, mb.eps)
			k := mb.pageCDF[sec].sample(r)
			view(int32(sec), int32(mb.pageOff[sec]+k), 0.1*float64(sec%5))
		}
		// Background visits to account, security and help pages (the same pages that signal
		// an unbind are also visited for other reasons).
		if r.Float64() < 0.15 {
			specialView(secAccount, accountPages)
		}
		if r.Float64() < 0.01 {
			specialView(secSecurity, securityPages)
		}
		if r.Float64() < 0.008 {
			specialView(secHelp, helpPages)
		}
		if r.Float64() < 0.001 {
			view(secAccount, sp("account/unbind-"+unbindKinds[r.IntN(len(unbindKinds))]), 0)
		}
		// Rare precursors during an unbind intent.
		if intentEnd >= 0 && r.Float64() < 0.45 {
			for i := 1 + poisson(r, 0.5); i > 0; i-- {
				switch pickWeighted(r, []float64{0.3, 0.2, 0.15, 0.1, 0.15, 0.1}) {
				case 0:
					view(secAccount, sp("account/unbind-"+unbindKinds[intentKind]), 0.5)
				case 1:
					view(secHelp, sp("help/faq-unbind"), 0.5)
				case 2:
					view(secSecurity, sp("security/center"), 0)
				case 3:
					view(secSecurity, sp("security/devices"), 0)
				case 4:
					view(secHelp, sp("help/customer-service"), 1)
				case 5:
					view(secAccount, sp("account/cards"), 0)
				}
			}
		}
		// Logins: after the session expired (a gap of at least the user's expiry), on the
		// first day, on a rare device change, and for re-authentication during an intent.
		if lastActive < 0 || d-lastActive >= expiry || r.Float64() < 0.004 || intentEnd >= 0 && r.Float64() < 0.25 {
			bag.add(secLogin, sp(loginPages[pickWeighted(r, loginPref)]), -1)
		}
		if unbind {
			k := unbindKinds[intentKind]
			view(secAccount, sp("account/unbind-"+k), 0.5)
			bag.add(secAccount, sp("account/unbind-"+k+"-confirm"), -1)
			eng.e *= 0.5
			if !eng.declining && r.Float64() < 0.5 {
				eng.declining, eng.tau = true, 5+15*r.Float64()
			}
		}
		lastActive = d
		bag.flush(r, mobileDiurnal, (day0+int64(d))*data.Day, out)
	}
}
