// Package synth generates synthetic analogues of the paper's two data sets (Tmall and the
// Alipay mobile application, paper section 5.1.1, Table 8, Appendix A): `byb data gen
// --preset tmall-like|mobile-like --scale ci|small|paper --seed S`.
//
// # Design rule
//
// The generative process below was designed from the properties the paper states for real
// behavior data (section 1) and fixed before any pretraining method was run on its output.
// Its constants were set only to match the paper's data statistics (users, lengths, windows,
// vocabulary sizes) and to give every task an imbalanced but non-degenerate class balance;
// they must never be tuned afterwards to make a method win. The tests check that the
// generated data has the stated properties (measured on the data, not on latent variables).
//
// # Properties and how they are produced
//
//   - Local randomness: the behaviors of one day are drawn from that day's mixture, then
//     shuffled uniformly and given sorted random times of day (from a diurnal profile), so
//     their order within a day is exchangeable and carries no information.
//   - Global orderliness: each user has latent interest weights over topics (categories,
//     app sections): a sparse set of 1+Poisson topics drawn by popularity, with log-weights
//     following a mean-reverting random walk (σ ≈ 0.06–0.08 per day). At a daily hazard
//     (1/20 tmall-like, 1/30 mobile-like) the user adopts a new topic, whose weight ramps up
//     over about a week while an old topic fades over about a month. A background share
//     (10%) of behaviors goes to topics by global popularity.
//   - Periodicity: a weekly profile (tmall-like: weekends ≈ +15%; mobile-like: workdays
//     ≈ +10%), personalised per user (exp(β) on weekends, β ~ N(0, 0.2–0.25)), multiplies
//     both the probability of being active and the number of behaviors on an active day, so
//     that the weekly swing in volume exceeds the profile's (TestWeeklyPeriodicity logs the
//     measured weekend/weekday ratio); times of day follow a diurnal profile.
//   - Activity: a user joins on day 0 (70–80%) or on a uniform later day; has an active-day
//     probability p ~ Beta and a behaviors-per-active-day rate 1 + Poisson(μ), μ log-normal
//     around the scale's PerDay (capped at 2.5× so that max/avg lengths resemble Table 8).
//     Engagement E ∈ [0,1] multiplies p: at a daily hazard a user enters a decline in which
//     E decays over weeks (time constant 10–50 days) and may recover — the source of churn
//     and missing activity.
//   - Long tail: items (tmall-like) and pages (mobile-like) are Zipf-distributed by rank
//     within their category/section (exponent 1.05–1.1), categories and sections are
//     Zipf-popular; vocabularies keep the values expected at least MinCount times in the
//     pretraining span, capped at MaxVocab, mapping the rest to OOV like a real import.
//   - Rare behaviors that signal the future: see each preset.
//   - Several IDs per behavior: tmall-like (item, category, brand, action); mobile-like
//     (section, page, dwell bucket), where logins and unbind confirmations have no dwell ID
//     (NoID), so the number of IDs differs across behaviors as in the paper's section 3.
//
// Labels are computed by the data layer's task rules (data.Task) from the generated future
// behaviors — never read off latent variables.
//
// # tmall-like
//
// 90 categories (popularity ∝ (k+3)^-1), items per category ∝ sqrt(popularity) (Tail items
// in all: 20k ci, 100k small, 8M paper), each item assigned to one of BrandsPerCategory
// sellers/brands by a fixed skewed hash. Actions click/cart/fav/buy with mix
// 0.86/0.06/0.05/0.03. Signals: while a category adoption is pending (3–12 days of lead
// time), on each active day with probability 0.5 the user adds 1+Poisson(0.3) behaviors on
// deep-tail items (rank in the last 80% of the category) of the coming category, mostly
// favourites and carts; a purchase lowers the interest in its category (satiation) from
// the next day on. Timeline (Table 8, 2013): data 2013-04-01..2013-10-01; pretrain
// 2013-04-01..2013-07-30 (120 days); finetune observation 2013-05-02..2013-07-01 (60 days)
// with labels in July; test observation 2013-07-03..2013-09-01 with labels in September.
// Tasks 5-day, 10-day, 15-day, 30-day = most_frequent:category (90 classes); users with no
// behavior in the label window have no label (reported as missing; TestClassBalance logs how
// many).
//
// # mobile-like
//
// 56 regular app sections with ≈ 30,000 pages (Zipf within a section), special sections
// login (5 login methods; each user prefers one), account (profile, cards, bills, ...),
// security and help pages, and unbind pages account/unbind-{card,phone,thirdparty} with
// their -confirm events. Dwell time per page view is log-normal around a per-user typical
// time, bucketed d00 (<1 s), d01 [1,2) s, ... d11 (≥ 1024 s).
//   - Login: on an active day after a gap of at least the user's session expiry (3, 7, 14 or
//     30 days), on the first active day, on a rare device change (0.4% of active days) and
//     for re-authentication during an unbind intent.
//   - Unbind: a latent intent starts at a daily hazard risk/1600 × (1 + 6(1−E)) — rising as
//     engagement declines — and lasts 5–40 days; on active days during the intent (p 0.45)
//     the user visits rare precursor pages (the unbind page itself, help/faq-unbind,
//     security center and devices, customer service, cards), which ordinary users also
//     visit at low background rates; at its end the user confirms the unbind with
//     probability 0.7, after which engagement halves and often declines (churn).
//   - Churn: declines start at a daily hazard risk/200 (risk log-normal per user).
//
// Timeline (Table 8, 2023): data 2023-02-02..2024-01-30; pretrain 2023-02-02..2023-08-01
// (180 days); finetune observation 2023-03-05..2023-09-01 (labels 2023-09-01..2023-11-30);
// test observation 2023-05-05..2023-11-01 (labels 2023-11-01..2024-01-30). Finetune and
// test users are disjoint (65/35 by user hash, as Table 8's 4.2M/2.3M samples suggest),
// because their 90-day label windows overlap in November as in the paper. Tasks:
// Active-30d = active:30, Login-90d = any_of login pages within 90 days, Unbind-30d and
// Unbind-90d = any_of unbind confirmations. The class balance is the same at every scale
// (the latent dynamics do not depend on it): imbalanced, most of all for Unbind, but not
// degenerate; TestClassBalance checks the ranges and logs the measured rates.
//
// # Scales
//
//	             users      PerDay   long tail      vocabulary cap
//	tmall ci     1,000      1.2      20k items      5k items
//	tmall small  4,000      3.2      100k items     20k items
//	tmall paper  3.9M       3.2      8M items       1M items
//	mobile ci    1,000      0.6      30k pages      (min count 2)
//	mobile small 4,000      2.5      30k pages      (min count 2)
//	mobile paper 10M        23       30k pages      (min count 2)
//
// PerDay was set so that the average pretraining sequence length at the paper scale is close
// to Table 8's (tmall 130.4, mobile 2130); `byb data stats DIR` prints the lengths and class
// balances of a generated set.
//
// # Determinism and streaming
//
// Every user draws from its own PCG stream seeded from (seed, user index), so the same
// configuration gives byte-identical data files whatever the number of worker goroutines
// (meta.json differs only in its creation time). Users are generated in chunks of 256 by
// Workers goroutines and written in order, so memory does not grow with the number of users.
//
// Vocabularies must exist before the first user is written. Their contents are decided from
// expected pretraining-span frequencies: PilotUsers independent users (a separate seed
// stream, not part of the dataset) estimate the frequency of every topic and special value,
// and long-tail values get their topic's frequency times their design share (Zipf within the
// category or section). Values named by a task (login pages, unbind confirmations) are always
// kept. The counts in vocab/FIELD.tsv are these expected counts; the
// observed RawValues and Coverage of each field are measured while streaming.
package synth
