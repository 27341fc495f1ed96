package synth

import (
	"fmt"
	"strings"
)

// Presets and scales.
const (
	TmallLike  = "tmall-like"
	MobileLike = "mobile-like"

	ScaleCI    = "ci"
	ScaleSmall = "small"
	ScalePaper = "paper"
)

// Presets lists the preset names; Scales the scale names.
var (
	Presets = []string{TmallLike, MobileLike}
	Scales  = []string{ScaleCI, ScaleSmall, ScalePaper}
)

// Config is everything that determines a generated dataset. Same Config → byte-identical
// data files (meta.json differs only in its creation time). Scale changes only the sizes
// (users, behaviors per active day, size of the long tail, vocabulary caps); the latent
// dynamics — drift, periodicity, signals, churn and unbind hazards — are the same at every
// scale, so that class balances and the structure of the data do not depend on the scale.
type Config struct {
	Preset string
	Scale  string
	Seed   int64

	Users int
	// PerDay is the median number of extra behaviors on an active day (a user's active day
	// has 1 + Poisson(PerDay × user factor × weekday factor) behaviors).
	PerDay float64
	// Tail is the size of the long-tail ID space: items (tmall-like) or pages (mobile-like).
	Tail int
	// BrandsPerCategory is the number of sellers/brands of each category (tmall-like).
	BrandsPerCategory int
	// MinCount and MaxVocab cap the vocabularies as a real import would: a value is in the
	// vocabulary when its expected pretraining-span count is at least MinCount, and at most
	// MaxVocab values (the most frequent) are kept per field; the rest map to OOV.
	MinCount int
	MaxVocab int
	// PilotUsers is the number of independent pilot users simulated to estimate expected
	// value frequencies before streaming (see the package doc).
	PilotUsers int
	// Workers is the number of goroutines generating users (output order is fixed).
	Workers int
	// LabelledUsers, if > 0, are the users in the finetune and test splits: users
	// 0..LabelledUsers-1; the others are pretraining data only. User u's behaviors depend on
	// the seed and u alone, so that a larger set holds a smaller one's users (the
	// vocabularies, fitted to the expected counts of all the users, grow with them).
	LabelledUsers int
}

// NewConfig returns the configuration of a preset at a scale.
func NewConfig(preset, scale string, seed int64) (Config, error) {
	c := Config{Preset: preset, Scale: scale, Seed: seed, MinCount: 2, PilotUsers: 1000, Workers: 2}
	switch preset {
	case TmallLike:
		c.BrandsPerCategory = 40
		switch scale {
		case ScaleCI:
			c.Users, c.PerDay, c.Tail, c.MaxVocab, c.BrandsPerCategory = 1000, 1.2, 20_000, 5_000, 12
		case ScaleSmall:
			c.Users, c.PerDay, c.Tail, c.MaxVocab = 4000, 3.2, 100_000, 20_000
		case ScalePaper:
			c.Users, c.PerDay, c.Tail, c.MaxVocab, c.BrandsPerCategory = 3_900_000, 3.2, 8_000_000, 1_000_000, 1000
		}
	case MobileLike:
		c.Tail = 30_000
		switch scale {
		case ScaleCI:
			c.Users, c.PerDay = 1000, 0.6
		case ScaleSmall:
			c.Users, c.PerDay = 4000, 2.5
		case ScalePaper:
			c.Users, c.PerDay = 10_000_000, 23
		}
	default:
		return c, fmt.Errorf("unknown preset %q (%s)", preset, strings.Join(Presets, ", "))
	}
	if c.Users == 0 {
		return c, fmt.Errorf("unknown scale %q (%s)", scale, strings.Join(Scales, ", "))
	}
	return c, nil
}

// Source is the Meta.Source line of a generated dataset.
func (c Config) Source() string {
	if c.LabelledUsers > 0 {
		return fmt.Sprintf("synthetic %s scale=%s seed=%d users=%d labelled=%d", c.Preset, c.Scale, c.Seed, c.Users, c.LabelledUsers)
	}
	return fmt.Sprintf("synthetic %s scale=%s seed=%d users=%d", c.Preset, c.Scale, c.Seed, c.Users)
}
