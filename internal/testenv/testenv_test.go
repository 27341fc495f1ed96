package testenv

import (
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
)

// fakeTB records what the helpers call. Its Skipf and Fatalf return instead of stopping the
// goroutine, so the helpers must not go on after them (checked by the counts).
type fakeTB struct {
	testing.TB
	skips, fatals, logs []string
}

func (f *fakeTB) Helper() {}
func (f *fakeTB) Skipf(format string, args ...any) {
	f.skips = append(f.skips, fmt.Sprintf(format, args...))
}
func (f *fakeTB) Fatalf(format string, args ...any) {
	f.fatals = append(f.fatals, fmt.Sprintf(format, args...))
}
func (f *fakeTB) Logf(format string, args ...any) {
	f.logs = append(f.logs, fmt.Sprintf(format, args...))
}

func (f *fakeTB) calls() string {
	return fmt.Sprintf("skips %q fatals %q logs %q", f.skips, f.fatals, f.logs)
}

func TestRequire(t *testing.T) {
	for _, strict := range []string{"", "0", "1"} {
		t.Run("BYB_CI="+strict, func(t *testing.T) {
			t.Setenv(Var, strict)
			if Strict() != (strict == "1") {
				t.Fatalf("Strict() = %v", Strict())
			}
			var f fakeTB
			Require(&f, true, "tmux", "apt-get install tmux")
			if len(f.skips)+len(f.fatals)+len(f.logs) != 0 {
				t.Fatalf("available: %s", f.calls())
			}
			Require(&f, false, "tmux", "apt-get install tmux")
			msgs := f.skips
			if strict == "1" {
				msgs = f.fatals
			}
			if len(msgs) != 1 || len(f.skips)+len(f.fatals) != 1 ||
				!strings.Contains(msgs[0], "tmux") || !strings.Contains(msgs[0], "apt-get install tmux") {
				t.Fatalf("missing: %s", f.calls())
			}
			if strict == "1" && !strings.Contains(msgs[0], "required under BYB_CI=1") {
				t.Fatalf("the failure should say BYB_CI=1 requires it: %q", msgs[0])
			}
		})
	}
}

func TestHave(t *testing.T) {
	for _, strict := range []string{"", "1"} {
		t.Run("BYB_CI="+strict, func(t *testing.T) {
			t.Setenv(Var, strict)
			var f fakeTB
			if !Have(&f, true, "the XLA CPU plugin", "just setup") || len(f.logs)+len(f.fatals)+len(f.skips) != 0 {
				t.Fatalf("available: %s", f.calls())
			}
			if Have(&f, false, "the XLA CPU plugin", "just setup") {
				t.Fatal("missing: Have returned true")
			}
			want, other := &f.logs, &f.fatals
			if strict == "1" {
				want, other = &f.fatals, &f.logs
			}
			if len(*want) != 1 || len(*other) != 0 || len(f.skips) != 0 || !strings.Contains((*want)[0], "just setup") {
				t.Fatalf("missing: %s", f.calls())
			}
		})
	}
}

func TestLastLine(t *testing.T) {
	for in, want := range map[string]string{"": "", "one\n": "one", "Traceback:\n  x\nModuleNotFoundError: numpy\n\n": "ModuleNotFoundError: numpy"} {
		if got := LastLine([]byte(in)); got != want {
			t.Errorf("LastLine(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestSeed(t *testing.T) {
	t.Setenv(SeedVar, "")
	var f fakeTB
	if s := Seed(&f, 42); s != 42 || len(f.logs) != 1 || !strings.Contains(f.logs[0], "42") {
		t.Fatalf("default: seed %d, %s", s, f.calls())
	}
	t.Setenv(SeedVar, "7")
	f = fakeTB{}
	if s := Seed(&f, 42); s != 7 || len(f.logs) != 1 || !strings.Contains(f.logs[0], SeedVar+"=7") {
		t.Fatalf("override: seed %d, %s", s, f.calls())
	}
	t.Setenv(SeedVar, "x")
	f = fakeTB{}
	if Seed(&f, 42); len(f.fatals) != 1 {
		t.Fatalf("bad override: %s", f.calls())
	}
}

// childVar marks a re-executed test binary, whose TestChild then plays a test with tools
// missing.
const childVar = "BYB_TESTENV_CHILD"

func TestChild(t *testing.T) {
	switch os.Getenv(childVar) {
	case "":
		t.Skip("runs only when TestRealTestBinary re-executes the test binary")
	case "require":
		Require(t, false, "the fake tool", "nothing to install: this is testenv's own test")
		t.Log("REACHED: Require let the test go on")
	case "short":
		SkipShort(t, "the fake slow test")
		t.Log("RAN the fake slow test")
	}
}

// TestRealTestBinary runs the real testing machinery: the test binary re-executed with a
// tool missing skips and passes, and under BYB_CI=1 fails, saying what is required.
func TestRealTestBinary(t *testing.T) {
	run := func(mode, ci string, extra ...string) (string, error) {
		cmd := exec.Command(os.Args[0], append([]string{"-test.run", "^TestChild$", "-test.v"}, extra...)...)
		cmd.Env = append(os.Environ(), childVar+"="+mode, Var+"="+ci)
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	out, err := run("require", "")
	if err != nil || !strings.Contains(out, "--- SKIP: TestChild") || strings.Contains(out, "REACHED") {
		t.Fatalf("without BYB_CI: want a skip, got %v:\n%s", err, out)
	}
	out, err = run("require", "1")
	if err == nil || !strings.Contains(out, "--- FAIL: TestChild") ||
		!strings.Contains(out, "the fake tool is required under BYB_CI=1") || strings.Contains(out, "REACHED") {
		t.Fatalf("BYB_CI=1: want a failure naming the tool, got %v:\n%s", err, out)
	}
	t.Logf("BYB_CI=1 with a tool missing fails as it should:\n%s", out)

	out, err = run("short", "", "-test.short")
	if err != nil || !strings.Contains(out, "--- SKIP: TestChild") || strings.Contains(out, "RAN") {
		t.Fatalf("-short without BYB_CI: want a skip, got %v:\n%s", err, out)
	}
	out, err = run("short", "1", "-test.short")
	if err != nil || !strings.Contains(out, "--- PASS: TestChild") || !strings.Contains(out, "RAN") {
		t.Fatalf("-short with BYB_CI=1: want the test run, got %v:\n%s", err, out)
	}
}
