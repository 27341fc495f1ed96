// Command byb-bench measures BYB pretraining throughput (samples/s) and peak memory on every
// available engine, with and without behavior pooling, and — when Debian's python3-torch is
// installed — the PyTorch peer (../shared/peers/torch_byb/byb_ref.py) on the same shapes, and
// prints a Markdown table with the ratios.
//
//	go run ./cmd/byb-bench                      # all configs (slow: every shape on every engine)
//	go run ./cmd/byb-bench -configs a -engines xla:cpu -steps 5
//
// Every measurement runs in a fresh child process (this binary with -one), so each peak RSS
// is its own.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/byb-dev/byb/byb/bench"
	"github.com/byb-dev/byb/byb/engine"
	"github.com/byb-dev/byb/byb/params"
	"github.com/byb-dev/byb/methods"
)

// shape is one of the brief's two benchmark shapes.
type shape struct {
	name      string
	B, n, T   int
	steps     int
	peerSteps int
}

var shapes = map[string]shape{
	"a": {name: "a", B: 64, n: 128, T: 60, steps: 10, peerSteps: 20},
	"b": {name: "b", B: 32, n: 1024, T: 180, steps: 5, peerSteps: 10},
}

func main() {
	bench.ServeIsolated(methods.Lookup)
	configs := flag.String("configs", "a,b", "shapes to run: a (B=64 n=128 T=60), b (B=32 n=1024 T=180)")
	engines := flag.String("engines", "", "comma-separated engines (default: xla:cpu when installed, and go)")
	pools := flag.String("pool", "true,false", "pooling modes to run")
	steps := flag.Int("steps", 0, "timed steps per measurement, the peer's too (default: 10 at a, 5 at b; pure Go without pooling at b: 1; the peer 20 at a, 10 at b, 3 without pooling at b)")
	warmup := flag.Int("warmup", 2, "untimed steps")
	setText := flag.String("set", "", "extra hyper-parameters for byb, \"name=value;...\"")
	peer := flag.String("peer", "../shared/peers/torch_byb/byb_ref.py", "PyTorch peer script ('' = skip)")
	python := flag.String("python", "/usr/bin/python3", "Python with torch (Debian's)")
	jsonOut := flag.String("json", "", "also write every result as JSON lines to this file")
	methodList := flag.String("methods", "", "Table 3 mode: these methods' pretraining and FT-train samples/s and peak RSS, e.g. byb,nbp,mbmv1,mbmv2,cts,msdp (raw sequences for the baselines, pooled for BYB, as the paper)")
	deviceList := flag.String("devices", "", "devices mode: BYB pretraining samples/s with each batch split over each of these device counts, e.g. 1,2,4 (data parallelism; on one CPU the devices share its cores)")
	flag.Parse()
	settings, err := params.Parse(*setText)
	if err != nil {
		fail(fmt.Errorf("--set: %w", err))
	}

	// The devices and methods modes measure on one engine: the first of -engines, else the default.
	eng := engine.DefaultConfig()
	if l := splitList(*engines); len(l) > 0 {
		eng = l[0]
	}
	switch {
	case *deviceList != "":
		if err := devicesTable(splitList(*configs), splitList(*deviceList), eng, *warmup, *steps, settings, *jsonOut); err != nil {
			fail(err)
		}
		return
	case *methodList != "":
		if err := methodTable(splitList(*configs), splitList(*methodList), eng, *warmup, *steps, settings, *jsonOut); err != nil {
			fail(err)
		}
		return
	}
	engineList := splitList(*engines)
	if len(engineList) == 0 {
		if engine.XLACPUPluginPath() != "" {
			engineList = append(engineList, "xla:cpu")
		} else {
			fmt.Fprintln(os.Stderr, "XLA CPU plugin not installed: benchmarking the pure-Go engine only")
		}
		engineList = append(engineList, "go")
	}
	vocab := []int{10000, 100, 10}
	var rows []row
	var jsonLines []string
	for _, cname := range splitList(*configs) {
		sh, ok := shapes[cname]
		if !ok {
			fail(fmt.Errorf("unknown config %q (use a, b)", cname))
		}
		for _, poolStr := range splitList(*pools) {
			pool := poolStr == "true"
			r := row{shape: sh, pool: pool, byEngine: map[string]*bench.Result{}}
			for _, eng := range engineList {
				n := sh.steps
				if *steps > 0 {
					n = *steps
				} else if norm, _ := engine.Normalize(eng); strings.HasPrefix(norm, "go:") && !pool && sh.name == "b" {
					n = 1 // pure Go, unpooled b: by far the slowest step (XLA on a GPU keeps the default)
				}
				cfg := bench.Config{Name: sh.name, Engine: eng, B: sh.B, N: sh.n, T: sh.T, Vocab: vocab, Pool: pool,
					Warmup: *warmup, Steps: n, Settings: settings}
				fmt.Fprintf(os.Stderr, "byb  %s pool=%v engine=%s ...", sh.name, pool, eng)
				res, line, err := runChild(cfg)
				if err != nil {
					fmt.Fprintf(os.Stderr, " failed: %v\n", err)
					continue
				}
				fmt.Fprintf(os.Stderr, " %.1f samples/s\n", res.SamplesPerSec)
				r.byEngine[eng] = res
				jsonLines = append(jsonLines, line)
			}
			if *peer != "" {
				fmt.Fprintf(os.Stderr, "peer %s pool=%v ...", sh.name, pool)
				p, line, err := runPeer(*python, *peer, sh, pool, *steps)
				if err != nil {
					fmt.Fprintf(os.Stderr, " skipped: %v\n", err)
				} else {
					fmt.Fprintf(os.Stderr, " %.1f samples/s\n", p.SamplesPerS)
					r.peer = p
					jsonLines = append(jsonLines, line)
				}
			}
			rows = append(rows, r)
		}
	}
	if *peer != "" {
		fmt.Println(peerInfo(*python, peerDevice(rows)))
	}
	printTable(rows, engineList)
	printPeak(rows)
	if *jsonOut != "" {
		if err := os.WriteFile(*jsonOut, []byte(strings.Join(jsonLines, "\n")+"\n"), 0o644); err != nil {
			fail(err)
		}
	}
}

type peerResult struct {
	SamplesPerS float64 `json:"samples_per_s"`
	PeakRSSMB   float64 `json:"peak_rss_mb"`
	SecPerStep  float64 `json:"sec_per_step"`
	CPUSPerStep float64 `json:"cpu_s_per_step"`
	Threads     int     `json:"threads"` // torch's intra-op threads in the run itself
	// Device is where the peer ran: "cpu" or absent (byb_ref.py), or a CUDA device
	// (scripts/gpu_peer.py), e.g. "cuda:0 NVIDIA H100 80GB HBM3".
	Device string `json:"device"`
}

type row struct {
	shape    shape
	pool     bool
	byEngine map[string]*bench.Result
	peer     *peerResult
}

func runChild(cfg bench.Config) (*bench.Result, string, error) { return bench.RunIsolated(cfg) }

// runPeer measures the peer at one shape; steps > 0 (byb-bench -steps) sets its timed steps
// too, so that a GPU run, where each step takes milliseconds, times both sides over as many.
func runPeer(python, script string, sh shape, pool bool, steps int) (*peerResult, string, error) {
	if _, err := os.Stat(script); err != nil {
		return nil, "", fmt.Errorf("peer script: %v", err)
	}
	if err := exec.Command(python, "-c", "import torch").Run(); err != nil {
		return nil, "", fmt.Errorf("%s cannot import torch (apt-get install python3-torch python3-numpy python3-sklearn)", python)
	}
	args := []string{script, "--bench", "--B", fmt.Sprint(sh.B), "--n", fmt.Sprint(sh.n), "--T", fmt.Sprint(sh.T),
		"--m", "3", "--vocab", "10000,100,10", "--steps", fmt.Sprint(sh.peerSteps)}
	if steps > 0 {
		args[len(args)-1] = fmt.Sprint(steps)
	}
	if !pool {
		args = append(args, "--no-pool")
		if sh.name == "b" && steps == 0 {
			args[len(args)-2] = "3" // fewer peer steps: unpooled shape b is the slowest to run
		}
	}
	abs, _ := filepath.Abs(script)
	cmd := exec.Command(python, append([]string{abs}, args[1:]...)...)
	start := time.Now()
	out, err := cmd.Output()
	if err != nil {
		return nil, "", fmt.Errorf("%v after %s", err, time.Since(start))
	}
	line := lastLine(string(out))
	var p peerResult
	if err := json.Unmarshal([]byte(line), &p); err != nil {
		return nil, "", fmt.Errorf("bad peer output %q: %v", line, err)
	}
	return &p, line, nil
}

func printTable(rows []row, engines []string) {
	fmt.Println("| config | pooled | engine | samples/s | s/step | CPU s/step | GFLOP/s | % of peak | peak RSS MiB | peer samples/s | byb/peer | pooling speed-up |")
	fmt.Println("|---|---|---|---|---|---|---|---|---|---|---|---|")
	// pooling speed-up = pooled samples/s / unpooled samples/s of the same shape and engine.
	speed := map[string]float64{}
	for _, r := range rows {
		for eng, res := range r.byEngine {
			speed[fmt.Sprintf("%s/%s/%v", r.shape.name, eng, r.pool)] = res.SamplesPerSec
		}
		if r.peer != nil {
			speed[fmt.Sprintf("%s/peer/%v", r.shape.name, r.pool)] = r.peer.SamplesPerS
		}
	}
	up := func(shapeName, eng string) string {
		p, u := speed[shapeName+"/"+eng+"/true"], speed[shapeName+"/"+eng+"/false"]
		if p == 0 || u == 0 {
			return ""
		}
		return fmt.Sprintf("%.1f×", p/u)
	}
	for _, r := range rows {
		desc := fmt.Sprintf("(%s) B=%d n=%d T=%d", r.shape.name, r.shape.B, r.shape.n, r.shape.T)
		peerSps, ratio := "", ""
		for _, eng := range engines {
			res := r.byEngine[eng]
			if res == nil {
				continue
			}
			if r.peer != nil {
				peerSps = fmt.Sprintf("%.1f", r.peer.SamplesPerS)
				ratio = fmt.Sprintf("%.2f", res.SamplesPerSec/r.peer.SamplesPerS)
			}
			sp := ""
			if r.pool {
				sp = up(r.shape.name, eng)
			}
			share := ""
			if res.PeakShare > 0 {
				share = fmt.Sprintf("%.1f%%", 100*res.PeakShare)
			}
			fmt.Printf("| %s | %v | %s | %.1f | %.3f | %.2f | %.1f | %s | %.0f | %s | %s | %s |\n", desc, r.pool, eng, res.SamplesPerSec,
				res.SecPerStep, res.CPUPerStep, res.GFLOPs, share, res.PeakRSSMiB, peerSps, ratio, sp)
		}
		if r.peer != nil {
			sp := ""
			if r.pool {
				sp = up(r.shape.name, "peer")
			}
			fmt.Printf("| %s | %v | torch peer (%d threads) | %.1f | %.3f | %.2f | | | %.0f | | | %s |\n", desc, r.pool, r.peer.Threads, r.peer.SamplesPerS,
				r.peer.SecPerStep, r.peer.CPUSPerStep, r.peer.PeakRSSMB, sp)
		}
	}
}

// printPeak says how the "% of peak" column's peak was assumed, and each shape's FLOPs a
// sample (byb's formulation: bench.FLOPsPerSample).
func printPeak(rows []row) {
	how := ""
	var flops []string
	for _, r := range rows {
		for _, res := range r.byEngine {
			if res.PeakHow != "" {
				how = res.PeakHow
			}
			flops = append(flops, fmt.Sprintf("(%s) pooled=%v %.3f GFLOP", r.shape.name, r.pool, res.FLOPsPerSample/1e9))
			break
		}
	}
	if len(flops) > 0 {
		fmt.Printf("\nFLOPs a sample (matrix products of a training step, forward + backward + teacher): %s\n", strings.Join(flops, ", "))
	}
	if how != "" {
		fmt.Printf("peak: %s\n", how)
	}
}

func splitList(s string) []string {
	var out []string
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return strings.TrimSpace(lines[len(lines)-1])
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "byb-bench:", err)
	os.Exit(1)
}

// peerDevice is the device the peer's measurements ran on, "" when none ran or on the CPU.
func peerDevice(rows []row) string {
	for _, r := range rows {
		if r.peer != nil && r.peer.Device != "" && r.peer.Device != "cpu" {
			return r.peer.Device
		}
	}
	return ""
}

// peerInfo says what the PyTorch peer ran on. On the CPU: its BLAS (reference BLAS makes torch
// about ten times slower, which makes every ratio meaningless), beside byb's threads; the
// peer's own threads are the ones its runs report (torch may pick fewer than the machine
// has). On a GPU the BLAS does not matter: the device is named instead.
func peerInfo(python, device string) string {
	if device != "" {
		return "peer: torch on " + device
	}
	blas := "unknown"
	for _, link := range []string{"/etc/alternatives/libblas.so.3-x86_64-linux-gnu", "/etc/alternatives/libblas.so.3"} {
		if target, err := filepath.EvalSymlinks(link); err == nil {
			blas = target
			break
		}
	}
	warn := ""
	if !strings.Contains(blas, "openblas") && !strings.Contains(blas, "mkl") {
		warn = " — NOT an optimized BLAS: peer figures are meaningless (just bench-peer-setup installs libopenblas0-pthread)"
	}
	return fmt.Sprintf("peer: BLAS %s%s; torch's threads as each peer run reported them (table); byb: GOMAXPROCS %d, XLA CPU uses every core (%d)",
		blas, warn, runtime.GOMAXPROCS(0), runtime.NumCPU())
}
