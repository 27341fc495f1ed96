package experiments

import (
	"image/png"
	"os"
	"strings"
	"testing"

	"github.com/byb-dev/byb/byb/data/synth"
	"github.com/byb-dev/byb/internal/testenv"
)

// Each size's pretraining budget: two epochs over its users, never fewer steps than the
// table's, and steps the user fixes hold at every size.
func TestScalingBudgetPerSize(t *testing.T) {
	c := Config{Scale: "small", Presets: []string{synth.TmallLike}}
	sets, err := scalingDatasets(c, c.Presets)
	if err != nil {
		t.Fatal(err)
	}
	// small: 1,000 steps of 32; two epochs are 250, 1,000 and 4,000 steps.
	want := map[string]string{"tmall-like-4k": "", "tmall-like-16k": "", "tmall-like-64k": "steps=4000"}
	if len(sets) != len(want) {
		t.Fatalf("data sets %v, want %v", sets, want)
	}
	for _, d := range sets {
		if w, ok := want[d.name]; !ok || d.pretrain.String() != w || d.generate != synth.TmallLike {
			t.Errorf("%s: pretrain %q, preset %q; want %q, %s", d.name, d.pretrain, d.generate, w, synth.TmallLike)
		}
	}
	c.Budget, c.Users, c.MaxTime = "steps=500", []int{4000, 256000}, "1h"
	sets, err = scalingDatasets(c, c.Presets)
	if err != nil || len(sets) != 2 || sets[1].name != "tmall-like-256k" || sets[1].pretrain.String() != "time_budget=1h" {
		t.Errorf("--budget steps=500 --users 4000,256000 --max-time 1h: %+v, %v; want the budget's steps at every size and the time limit", sets, err)
	}
	c.Users = []int{1000}
	if _, err := scalingDatasets(c, c.Presets); err == nil || !strings.Contains(err.Error(), "fewer than the 4000 labelled users") {
		t.Errorf("a size below the labelled users: %v; want a refusal", err)
	}
}

// The claims are computed from the numbers: hand-made cells at three sizes, two seeds.
func TestScalingClaims(t *testing.T) {
	sizes := []tableData{{name: "a", users: 1000}, {name: "b", users: 4000}, {name: "c", users: 16000}}
	res := map[string]map[string]map[string]*cellResult{}
	set := func(size, row string, v ...float64) {
		if res[size] == nil {
			res[size] = map[string]map[string]*cellResult{}
		}
		res[size][row] = map[string]*cellResult{"5-day": {values: v}}
	}
	// BYB − random: +0.01/+0.02 at 1k, +0.06/+0.08 at 16k: it grows by 0.05 and 0.06.
	set("a", "byb-freeze", 0.61, 0.62)
	set("a", "random-freeze", 0.60, 0.60)
	set("b", "byb-freeze", 0.70, 0.70)
	set("b", "random-freeze", 0.60, 0.60)
	set("c", "byb-freeze", 0.76, 0.78)
	set("c", "random-freeze", 0.70, 0.70)
	// The bag: 0.75 everywhere; BYB reaches it at 16k (0.77 by the mean).
	for _, s := range []string{"a", "b", "c"} {
		set(s, "bag", 0.75, 0.75)
	}
	// E adds +0.001 and −0.001 at 1k (inconclusive), +0.02 and +0.03 at 4k (holds).
	set("a", "bag-e-byb", 0.751, 0.749)
	set("b", "bag-e-byb", 0.77, 0.78)
	set("c", "bag-e-byb", 0.78, 0.78)
	got := strings.Join(scalingClaims("5-day", sizes, res), "\n")
	for _, want := range []string{
		"- 5-day: BYB(freeze) − Random init (freeze) grows from 1k to 16k users (+0.0150 → +0.0700, +0.0550): holds.",
		"- 5-day: BYB(freeze) reaches the bag-of-IDs regression at 16k users (0.7700 against 0.7500, by the mean).",
		"- 5-day: E adds to the bag from 4k users (+0.0250): holds.",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("claims lack %q:\n%s", want, got)
		}
	}
	// Never reaching the bag, and E never adding, say so up to the largest size.
	set("c", "byb-freeze", 0.71, 0.72)
	set("b", "bag-e-byb", 0.75, 0.75)
	set("c", "bag-e-byb", 0.75, 0.75)
	got = strings.Join(scalingClaims("5-day", sizes, res), "\n")
	for _, want := range []string{
		"does not reach the bag-of-IDs regression up to 16k users (0.7150 against 0.7500 there)",
		"E adds to the bag at no size up to 16k users (+0.0000 there): inconclusive",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("claims lack %q:\n%s", want, got)
		}
	}
}

// The experiment end to end at a smoke size: two sizes, one seed, one task; cells, PNG,
// claims, and a rerun that computes nothing.
func TestScalingAtASmokeSize(t *testing.T) {
	testenv.SkipShort(t, "generates two data sets, pretrains BYB and NBP on each and fills 12 cells")
	backend, info := smokeEngine(t)
	var log strings.Builder
	c := Config{Scale: "ci", Seeds: 1, Out: t.TempDir(), Backend: backend, Engine: info, Tracking: "off",
		Log: &log, Quiet: true, Methods: []string{"all"}, Presets: []string{synth.TmallLike}, Tasks: []string{"5-day"},
		Users: []int{1000, 1500}, PretrainSettings: smokePretrain, FinetuneSettings: smokeFinetune}
	rep, err := runTable(scalingSpec, c)
	if err != nil {
		t.Fatalf("%v\n%s", err, log.String())
	}
	for _, want := range []string{"## tmall-like-1k", "## tmall-like-1.5k", "# Test AUROC against the pretraining users",
		"| Row | 1k users | 1.5k users |", "| BYB(freeze) | 0.", "| Bag-of-IDs + E (BYB) | 0.",
		"- 5-day: BYB(freeze) − Random init (freeze) grows from 1k to 1.5k users", "| 1.5k | byb | 2 |"} {
		if !strings.Contains(rep.Markdown, want) {
			t.Errorf("the report lacks %q:\n%s", want, rep.Markdown)
		}
	}
	// The other tasks' cells are not asked for; every cell of the summary has a value.
	if summary := rep.Markdown[strings.Index(rep.Markdown, "# Test AUROC against"):]; strings.Contains(summary, "not run") || strings.Contains(summary, "—") {
		t.Errorf("a cell of the summary has no value:\n%s", summary)
	}
	f, err := os.Open(rep.Files["scaling tmall-like 5-day"])
	if err != nil {
		t.Fatalf("no scaling chart: %v (files %v)", err, rep.Files)
	}
	img, err := png.Decode(f)
	f.Close()
	if err != nil || img.Bounds().Dx() < 400 {
		t.Errorf("the scaling chart does not decode at its size: %v", err)
	}
	if !strings.Contains(log.String(), "cell 12/12") {
		t.Errorf("progress does not count 12 cells:\n%s", log.String())
	}
	log.Reset()
	again, err := runTable(scalingSpec, c)
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(log.String(), "(cached)"); n != 12 || strings.Contains(log.String(), ": pretraining ") || strings.Contains(log.String(), "[data] generating") {
		t.Errorf("the rerun generated, pretrained or computed again (%d cached):\n%s", n, log.String())
	}
	if again.Markdown[strings.Index(again.Markdown, "\n"):] != rep.Markdown[strings.Index(rep.Markdown, "\n"):] {
		t.Errorf("the rerun's report differs:\n%s\nvs\n%s", again.Markdown, rep.Markdown)
	}
}
