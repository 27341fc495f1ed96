package record_test

import (
	"os/exec"
	"strings"
	"testing"
)

// byb's library (byb/...) points down: no package of it depends on a top-level package
// (tracking, methods, baselines, experiments, ...). Methods are linked by the programs that
// import package methods; runs are reported through record.Recorder, which tracking
// implements.
func TestLibraryImportsNoTopLevelPackage(t *testing.T) {
	const module = "github.com/byb-dev/byb/"
	out, err := exec.Command("go", "list", "-deps", "-f", `{{range .Deps}}{{$.ImportPath}} {{.}}{{"\n"}}{{end}}`, module+"byb/...").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	lines := 0
	for _, l := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		pkg, dep, ok := strings.Cut(l, " ")
		if !ok || !strings.HasPrefix(pkg, module+"byb/") {
			continue
		}
		lines++
		if strings.HasPrefix(dep, module) && !strings.HasPrefix(dep, module+"byb/") && !strings.HasPrefix(dep, module+"internal/") {
			t.Errorf("%s depends on %s: the library must not import a top-level package", pkg, dep)
		}
	}
	if lines == 0 {
		t.Fatalf("go list printed no dependency of byb/...:\n%s", out)
	}
}
