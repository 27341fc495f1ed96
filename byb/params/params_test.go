package params_test

import (
	"strings"
	"testing"

	"github.com/byb-dev/byb/byb/params"
	"github.com/gomlx/gomlx/pkg/ml/context"
)

func init() {
	params.Register("test",
		params.Param{Name: "learning_rate_t", Default: 1e-3, Help: "a rate"},
		params.Param{Name: "ft_hidden_t", Default: 64, Help: "a width"},
		params.Param{Name: "mode_t", Default: "a", Help: "a mode"},
		params.Param{Name: "size_t", Default: 8, Help: "a size", Range: params.Positive},
		params.Param{Name: "rate_t", Default: 0.1, Help: "a rate", Range: params.Fraction},
		params.Param{Name: "count_t", Default: 0, Help: "a count", Range: params.NonNegative},
	)
}

// Every declared parameter is in a context after SetDefaults, with its type; settings
// override it; an unknown name is refused with the closest known name suggested.
func TestApplySuggestsAndSets(t *testing.T) {
	ctx := context.New()
	params.SetDefaults(ctx)
	set, err := params.Apply(ctx, "ft_hidden_t=32;mode_t=b")
	if err != nil || len(set) != 2 {
		t.Fatalf("set %v: %v", set, err)
	}
	if v := context.GetParamOr(ctx, "ft_hidden_t", 0); v != 32 {
		t.Fatalf("ft_hidden_t = %v, want 32", v)
	}
	_, err = params.Apply(ctx, "lerning_rate_t=1e-2")
	if err == nil || !strings.Contains(err.Error(), `did you mean "learning_rate_t"`) || !strings.Contains(err.Error(), "mode_t") {
		t.Fatalf("unknown name: %v", err)
	}
	if _, err := params.Apply(ctx, "ft_hidden_t=wide"); err == nil {
		t.Fatal("a string for an int parameter was accepted")
	}
	if c := params.Closest("zzzzzz", []string{"learning_rate_t"}); c != "" {
		t.Fatalf("a far name got the suggestion %q", c)
	}
}

func TestDuplicateDeclarationPanics(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Fatal("declaring a name twice did not panic")
		}
	}()
	params.Register("test2", params.Param{Name: "mode_t", Default: "x"})
}

func TestHelpListsGroup(t *testing.T) {
	h := params.Help("test")
	for _, want := range []string{"test:", "learning_rate_t=0.001  a rate", "ft_hidden_t=64", "mode_t=a"} {
		if !strings.Contains(h, want) {
			t.Errorf("help lacks %q:\n%s", want, h)
		}
	}
}

// Values outside a parameter's range are refused in one line that names the parameter, the
// value and the range; values at an allowed bound are taken.
func TestApplyChecksRanges(t *testing.T) {
	for _, tc := range []struct {
		set  string
		want string // "" = accepted
	}{
		{"size_t=-4", "size_t=-4 must be > 0"},
		{"size_t=0", "size_t=0 must be > 0"},
		{"size_t=1", ""},
		{"rate_t=1", "rate_t=1 must be [0, 1)"},
		{"rate_t=-0.5", "rate_t=-0.5 must be [0, 1)"},
		{"rate_t=0", ""},
		{"count_t=-1", "count_t=-1 must be >= 0"},
		{"count_t=0", ""},
		{"/inner/size_t=-2", "/inner/size_t=-2 must be > 0"},
	} {
		ctx := context.New()
		params.SetDefaults(ctx)
		_, err := params.Apply(ctx, tc.set)
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("%s: refused: %v", tc.set, err)
		case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want) || strings.Contains(err.Error(), "\n")):
			t.Errorf("%s: %v; want one line saying %q", tc.set, err, tc.want)
		}
	}
}
