package tracking

import (
	"os/exec"
	"runtime/debug"
	"strings"
)

// GitCommit returns the commit checked out in the git working tree that holds dir ("" for the
// current directory), with "+dirty" appended when tracked files have uncommitted changes — a
// result from modified code must not pass for one from the commit. It returns "" when dir is
// not in a git repository or git is not installed.
func GitCommit(dir string) string {
	out, err := git(dir, "rev-parse", "HEAD")
	if err != nil {
		return ""
	}
	commit := strings.TrimSpace(out)
	if st, err := git(dir, "status", "--porcelain", "--untracked-files=no"); err == nil && strings.TrimSpace(st) != "" {
		commit += "+dirty"
	}
	return commit
}

func git(dir string, args ...string) (string, error) {
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	out, err := cmd.Output()
	return string(out), err
}

// CodeVersion is the git commit the running binary was built from (stamped by `go build`
// inside the repository, "+dirty" when it had uncommitted changes), else the commit of the
// working directory's repository.
func CodeVersion() string {
	if bi, ok := debug.ReadBuildInfo(); ok {
		rev, dirty := "", false
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				rev = s.Value
			case "vcs.modified":
				dirty = s.Value == "true"
			}
		}
		if rev != "" {
			if dirty {
				rev += "+dirty"
			}
			return rev
		}
	}
	return GitCommit("")
}
