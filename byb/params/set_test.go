package params_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/byb-dev/byb/byb/params"
	"github.com/gomlx/gomlx/pkg/ml/context"
)

// One configuration, however it is spelt, has one canonical encoding; another value is
// another encoding.
func TestSetCanonical(t *testing.T) {
	a := params.MustParse("rate_t=0.2;size_t=4").Canonical()
	for _, same := range []string{"size_t=4;rate_t=0.2", "size_t=4;rate_t=2e-1", "size_t=4;rate_t=0.2;mode_t=a", "size_t=8;size_t=4;rate_t=0.2"} {
		if b := params.MustParse(same).Canonical(); b != a {
			t.Errorf("Canonical(%q) = %q; want %q", same, b, a)
		}
	}
	if !strings.Contains(a, "rate_t=0.2") || !strings.Contains(a, "mode_t=a") || !strings.Contains(a, "count_t=0") {
		t.Errorf("Canonical spells out every value, defaults too: %q", a)
	}
	if b := params.MustParse("rate_t=0.3;size_t=4").Canonical(); b == a {
		t.Error("another value must encode differently")
	}
	built := params.Set{}.With("size_t", 4).With("rate_t", 0.2)
	if built.Canonical() != a {
		t.Errorf("a Set built with With encodes as %q, the parsed one as %q", built.Canonical(), a)
	}
	if (params.Set{}).Canonical() != params.MustParse("").Canonical() {
		t.Error("the zero Set is every default")
	}
}

// Parse types each value as its declaration, refuses unknown names, wrong types and values
// out of range, and keeps the later of two values; String reads back to the same Set.
func TestSetParse(t *testing.T) {
	s, err := params.Parse("ft_hidden_t=32;learning_rate_t=1e-2;mode_t=b;/head/size_t=3;ft_hidden_t=16")
	if err != nil {
		t.Fatal(err)
	}
	for path, want := range map[string]any{"ft_hidden_t": 16, "learning_rate_t": 0.01, "mode_t": "b", "/head/size_t": 3} {
		if v, ok := s.Lookup(path); !ok || v != want {
			t.Errorf("%s = %v (%T), %v; want %v (%T)", path, v, v, ok, want, want)
		}
	}
	if got := s.String(); got != "ft_hidden_t=16;learning_rate_t=0.01;mode_t=b;/head/size_t=3" {
		t.Errorf("String() = %q", got)
	}
	back, err := params.Parse(s.String())
	if err != nil || back.String() != s.String() {
		t.Errorf("String does not read back: %q, %v", back.String(), err)
	}
	for text, want := range map[string]string{
		"lerning_rate_t=1e-2": `did you mean "learning_rate_t"`,
		"ft_hidden_t=wide":    "ft_hidden_t",
		"size_t=0":            "size_t=0 must be > 0",
	} {
		if _, err := params.Parse(text); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Parse(%q) = %v; want an error saying %q", text, err, want)
		}
	}
}

// With and Then override in place, Without drops, and Apply puts the values in a context
// (scoped ones in their scope) and checks ranges.
func TestSetCombineAndApply(t *testing.T) {
	base := params.MustParse("size_t=4;mode_t=b")
	s := base.Then(params.MustParse("size_t=6;count_t=2"))
	if got := s.String(); got != "size_t=6;mode_t=b;count_t=2" {
		t.Errorf("Then: %q", got)
	}
	if got := base.String(); got != "size_t=4;mode_t=b" {
		t.Errorf("Then changed its receiver: %q", got)
	}
	if got := s.Without("mode_t", "nothing").String(); got != "size_t=6;count_t=2" {
		t.Errorf("Without: %q", got)
	}
	if v, _ := (params.Set{}).With("learning_rate_t", 1).Lookup("learning_rate_t"); v != 1.0 {
		t.Errorf("an int for a float parameter is stored as %v (%T), want the float 1", v, v)
	}
	ctx := context.New()
	params.SetDefaults(ctx)
	if err := s.With("/head/size_t", 2).Apply(ctx); err != nil {
		t.Fatal(err)
	}
	if v := params.Get[int](ctx, "size_t"); v != 6 {
		t.Errorf("size_t = %d", v)
	}
	if v := params.Get[int](ctx.In("head"), "size_t"); v != 2 {
		t.Errorf("/head/size_t = %d", v)
	}
	if err := (params.Set{}).With("size_t", -1).Apply(ctx); err == nil {
		t.Error("Apply took a value out of range")
	}
	defer func() {
		if recover() == nil {
			t.Error("With took a string for an int parameter")
		}
	}()
	_ = params.Set{}.With("size_t", "4")
}

// Values read back from JSON (every number a float64) take their declared types.
func TestSetWithRead(t *testing.T) {
	s, err := params.Set{}.WithRead("size_t", 4.0)
	if err != nil {
		t.Fatal(err)
	}
	if s, err = s.WithRead("learning_rate_t", 0.5); err != nil {
		t.Fatal(err)
	}
	if v, _ := s.Lookup("size_t"); v != 4 {
		t.Errorf("size_t = %v (%T), want the int 4", v, v)
	}
	for _, bad := range []struct {
		name string
		v    any
	}{{"size_t", 4.5}, {"size_t", "4"}, {"mode_t", 1.0}, {"nope_t", 1.0}} {
		if _, err := (params.Set{}).WithRead(bad.name, bad.v); err == nil {
			t.Errorf("WithRead(%s, %v) was taken", bad.name, bad.v)
		}
	}
}

// A Set in a JSON document reads back equal.
func TestSetJSON(t *testing.T) {
	type doc struct {
		Settings params.Set `json:"settings"`
	}
	in := doc{params.MustParse("size_t=4;/head/rate_t=0.5")}
	b, err := json.Marshal(in)
	if err != nil || string(b) != `{"settings":"size_t=4;/head/rate_t=0.5"}` {
		t.Fatalf("%s, %v", b, err)
	}
	var out doc
	if err := json.Unmarshal(b, &out); err != nil || out.Settings.Canonical() != in.Settings.Canonical() {
		t.Fatalf("read back %q, %v", out.Settings, err)
	}
	if err := json.Unmarshal([]byte(`{"settings":"nope_t=1"}`), &out); err == nil {
		t.Error("an unknown name was read")
	}
}
