// Package engine chooses and opens the GoMLX backend (the "engine") that runs byb's graphs.
//
// Two engines exist: XLA through a PJRT plugin (CPU here, CUDA on a GPU machine) and GoMLX's
// pure-Go "simplego" engine, which needs nothing installed. The choice comes from, in order:
// the --backend flag, the GOMLX_BACKEND environment variable, and the default — XLA on CPU
// when its plugin is installed, else the pure-Go engine in its sequential mode (its parallel
// mode can deadlock on GoMLX v0.26.0).
//
// byb never downloads a plugin: GoMLX's auto-install is switched off, and a missing plugin is
// reported as one line that says what to install.
package engine

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/backends/simplego"
	"github.com/gomlx/gomlx/backends/xla"
	"k8s.io/klog/v2"
)

// EnvVar is the environment variable GoMLX itself reads to choose a backend.
const EnvVar = backends.ConfigEnvVar

// PureGo is the configuration of the always-available fallback engine.
const PureGo = "go:ops_sequential"

// InstallHint says how to get the XLA CPU plugin; every plugin error ends with it.
const InstallHint = "run `just setup` (installs the xla-cpu-pjrt plugin into ~/.local/lib/go-xla), " +
	"or use --backend go for the pure-Go engine"

func init() {
	// No network at run time: a missing plugin is an error, never a download.
	xla.EnableAutoInstall(false)
	_ = os.Setenv("GOMLX_NO_AUTO_INSTALL", "1")
	// GoMLX and go-xla log load failures through klog; byb reports them itself, in one line.
	klog.LogToStderr(false)
	klog.SetOutput(io.Discard)
}

// Info describes the engine a run used; it is printed and recorded with every run.
type Info struct {
	Config  string `json:"config"`            // the normalized configuration, e.g. "xla:cpu" or "go:ops_sequential"
	Name    string `json:"name"`              // "xla" or "go"
	Plugin  string `json:"plugin,omitempty"`  // absolute path of the PJRT plugin file (XLA only)
	Version string `json:"version,omitempty"` // PJRT plugin API version or GoMLX version
	Devices string `json:"description"`       // the backend's own one-line description
}

func (i Info) String() string {
	if i.Plugin != "" {
		return fmt.Sprintf("%s (plugin %s, %s)", i.Config, i.Plugin, i.Version)
	}
	return fmt.Sprintf("%s (%s)", i.Config, i.Version)
}

// Error is a one-line, user-facing engine error.
type Error struct{ Msg string }

func (e *Error) Error() string { return e.Msg }

// XLACPUPluginPath returns the path of an installed XLA CPU PJRT plugin, or "" when none is found.
// It looks for pjrt_c_api_cpu_plugin.so where GoMLX looks: in the PJRT_PLUGIN_LIBRARY_PATH
// directories when that variable is set, else in ~/.local/lib/go-xla and /usr/local/lib/go-xla.
func XLACPUPluginPath() string {
	var dirs []string
	if p := os.Getenv("PJRT_PLUGIN_LIBRARY_PATH"); p != "" {
		dirs = append(dirs, filepath.SplitList(p)...)
	} else {
		if home, err := os.UserHomeDir(); err == nil {
			dirs = append(dirs, filepath.Join(home, ".local", "lib", "go-xla"))
		}
		dirs = append(dirs, "/usr/local/lib/go-xla")
	}
	for _, d := range dirs {
		f := filepath.Join(d, "pjrt_c_api_cpu_plugin.so")
		if st, err := os.Stat(f); err == nil && !st.IsDir() {
			if abs, err := filepath.EvalSymlinks(f); err == nil {
				return abs
			}
			return f
		}
	}
	return ""
}

// DefaultConfig is the configuration used when neither --backend nor GOMLX_BACKEND is set.
func DefaultConfig() string {
	if XLACPUPluginPath() != "" {
		return "xla:cpu"
	}
	return PureGo
}

// Normalize turns a user's --backend value into a GoMLX configuration string, or explains
// what is wrong with it. Accepted: "xla", "xla:cpu", "xla:cuda", "xla:/path/plugin.so",
// "go", "simplego", "go:ops_sequential" and other simplego options.
func Normalize(value string) (string, error) {
	v := strings.TrimSpace(value)
	name, opts, _ := strings.Cut(v, ":")
	switch strings.ToLower(name) {
	case "go", "simplego", "purego":
		if opts == "" {
			return PureGo, nil
		}
		return "go:" + opts, nil
	case "xla", "stablehlo", "pjrt":
		if opts == "" {
			opts = "cpu"
		}
		return "xla:" + opts, nil
	case "":
		return "", &Error{"empty --backend value: use one of xla, xla:cpu, xla:cuda, xla:/path/to/plugin.so, go"}
	default:
		return "", &Error{fmt.Sprintf("unknown backend %q: use one of xla, xla:cpu, xla:cuda, xla:/path/to/plugin.so, go", value)}
	}
}

// Choose resolves the configuration from the flag value (may be ""), then $GOMLX_BACKEND,
// then DefaultConfig.
func Choose(flagValue string) (string, error) {
	switch {
	case flagValue != "":
		return Normalize(flagValue)
	case os.Getenv(EnvVar) != "":
		cfg, err := Normalize(os.Getenv(EnvVar))
		if err != nil {
			return "", &Error{fmt.Sprintf("$%s: %v", EnvVar, err)}
		}
		return cfg, nil
	default:
		return DefaultConfig(), nil
	}
}

// opened caches backends by configuration: a PJRT client is expensive and a process
// needs only one per configuration.
var (
	openedMu sync.Mutex
	opened   = map[string]backends.Backend{}
)

// Open chooses (see Choose) and opens the engine. Errors are one line that says what to do.
func Open(flagValue string) (backends.Backend, Info, error) {
	cfg, err := Choose(flagValue)
	if err != nil {
		return nil, Info{}, err
	}
	return OpenConfig(cfg)
}

// OpenConfig opens an already-normalized configuration.
func OpenConfig(cfg string) (backends.Backend, Info, error) {
	openedMu.Lock()
	defer openedMu.Unlock()
	info := Info{Config: cfg}
	name, opts, _ := strings.Cut(cfg, ":")
	gomlxCfg := cfg
	if name == "xla" {
		info.Name = "xla"
		plugin := opts
		if plugin == "cpu" {
			plugin = XLACPUPluginPath()
			if plugin == "" {
				return nil, info, &Error{"XLA CPU plugin not found (no pjrt_c_api_cpu_plugin.so in $PJRT_PLUGIN_LIBRARY_PATH, ~/.local/lib/go-xla or /usr/local/lib/go-xla): " + InstallHint}
			}
			// An absolute path keeps GoMLX from searching; shared buffers are what it
			// would enable itself for a plugin named "cpu".
			gomlxCfg = "xla:" + plugin + ",shared_buffers"
		} else if filepath.IsAbs(plugin) {
			if _, err := os.Stat(plugin); err != nil {
				return nil, info, &Error{fmt.Sprintf("PJRT plugin file %s: %v: check the path given to --backend", plugin, err)}
			}
		}
		info.Plugin = plugin
	} else {
		info.Name = simplego.BackendName
	}
	if b, ok := opened[gomlxCfg]; ok {
		return b, describe(info, b), nil
	}
	b, err := newBackend(gomlxCfg)
	if err != nil {
		if info.Name == "xla" {
			return nil, info, &Error{fmt.Sprintf("cannot load XLA plugin for %q: %s: %s", cfg, firstLine(err.Error()), InstallHint)}
		}
		return nil, info, &Error{fmt.Sprintf("cannot start engine %q: %s", cfg, firstLine(err.Error()))}
	}
	opened[gomlxCfg] = b
	return b, describe(info, b), nil
}

// newBackend calls GoMLX, turning a panic inside a plugin loader into an error.
func newBackend(cfg string) (b backends.Backend, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%v", r)
		}
	}()
	return backends.NewWithConfig(cfg)
}

func describe(info Info, b backends.Backend) Info {
	info.Devices = b.Description()
	if info.Name == "xla" {
		// The description reads "... PJRT plugin (PATH) vX.Y [StableHLO] ...": keep the version.
		for _, f := range strings.Fields(info.Devices) {
			if len(f) > 1 && f[0] == 'v' && f[1] >= '0' && f[1] <= '9' {
				info.Version = "PJRT API " + f
				break
			}
		}
	} else {
		info.Version = "GoMLX simplego " + gomlxVersion
	}
	return info
}

// gomlxVersion is the GoMLX release pinned in go.mod.
const gomlxVersion = "v0.26.0"

func firstLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	return s
}
