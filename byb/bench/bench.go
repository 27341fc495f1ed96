package bench

import (
	"bufio"
	"fmt"
	"io"
	"iter"
	"math/rand/v2"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/byb-dev/byb/byb/data"
	"github.com/byb-dev/byb/byb/encoder"
	"github.com/byb-dev/byb/byb/engine"
	"github.com/byb-dev/byb/byb/objective"
	"github.com/byb-dev/byb/byb/train"
	"github.com/gomlx/gomlx/pkg/ml/context"
)

// Config is one throughput measurement: BYB pretraining steps on random inputs.
type Config struct {
	Name     string `json:"name"`
	Engine   string `json:"engine"` // engine.Normalize value: "xla:cpu", "go", ...
	B        int    `json:"B"`
	N        int    `json:"n"`
	T        int    `json:"T"`
	Vocab    []int  `json:"vocab"`
	Pool     bool   `json:"pool"`
	Warmup   int    `json:"warmup"`   // untimed steps (compilation happens in the first)
	Steps    int    `json:"steps"`    // timed steps
	Settings string `json:"settings"` // extra hyper-parameters, "name=value;..."
}

// Result of one measurement.
type Result struct {
	Config
	EngineInfo    string  `json:"engine_info"`
	SamplesPerSec float64 `json:"samples_per_s"`
	SecPerStep    float64 `json:"sec_per_step"`
	FirstStepSec  float64 `json:"first_step_s"`   // includes graph building and compilation
	CPUPerStep    float64 `json:"cpu_s_per_step"` // user+system CPU seconds per timed step (less sensitive to a busy machine)
	PeakRSSMiB    float64 `json:"peak_rss_mib"`   // VmHWM of this process (run one config per process)
	FinalLoss     float64 `json:"final_loss"`
}

// Run measures cfg in this process: full pretraining steps (student forward and backward,
// teacher forward, Adam, EMA) with the paper's architecture unless cfg.Settings says otherwise.
func Run(cfg Config) (*Result, error) {
	cfgName, err := engine.Normalize(cfg.Engine)
	if err != nil {
		return nil, err
	}
	backend, info, err := engine.OpenConfig(cfgName)
	if err != nil {
		return nil, err
	}
	ctx := context.New()
	encoder.SetDefaults(ctx)
	objective.BYBDefaults(ctx)
	train.SetDefaults(ctx)
	settings := fmt.Sprintf("pool=%v;steps=%d;epochs=1", cfg.Pool, cfg.Warmup+cfg.Steps)
	if cfg.Settings != "" {
		settings += ";" + cfg.Settings
	}
	if _, err := encoder.ApplySettings(ctx, settings); err != nil {
		return nil, err
	}
	enc, err := encoder.New(ctx, cfg.Vocab, cfg.T)
	if err != nil {
		return nil, err
	}
	obj, err := objective.NewBYB(ctx)
	if err != nil {
		return nil, err
	}
	rng := rand.New(rand.NewPCG(0, 0))
	pre := make([]*data.Batch, 4) // pre-generated and cycled, as the peer does
	for i := range pre {
		pre[i] = RandomBatch(rng, cfg.B, cfg.N, cfg.T, cfg.Vocab)
	}
	batches := func(int) iter.Seq[*data.Batch] {
		return func(yield func(*data.Batch) bool) {
			for i := 0; ; i++ {
				if !yield(pre[i%len(pre)]) {
					return
				}
			}
		}
	}
	var stamps []time.Time
	var cpuAtWarmup float64
	start := time.Now()
	res, err := train.Train(ctx, enc, obj, batches, train.Options{Backend: backend, Progress: io.Discard,
		OnStep: func(step int64, _ float64) {
			stamps = append(stamps, time.Now())
			if int(step) == cfg.Warmup {
				cpuAtWarmup = cpuSeconds()
			}
		}})
	if err != nil {
		return nil, err
	}
	out := &Result{Config: cfg, EngineInfo: info.String(), FinalLoss: res.Losses[len(res.Losses)-1]}
	out.FirstStepSec = stamps[0].Sub(start).Seconds()
	timed := stamps[cfg.Warmup-1:]
	if cfg.Warmup == 0 {
		timed = append([]time.Time{start}, stamps...)
	}
	elapsed := timed[len(timed)-1].Sub(timed[0]).Seconds()
	out.SecPerStep = elapsed / float64(len(timed)-1)
	out.SamplesPerSec = float64(cfg.B) / out.SecPerStep
	out.CPUPerStep = (cpuSeconds() - cpuAtWarmup) / float64(len(timed)-1)
	out.PeakRSSMiB = peakRSSMiB()
	return out, nil
}

// peakRSSMiB reads VmHWM from /proc/self/status (0 when unavailable).
func peakRSSMiB() float64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "VmHWM:"); ok {
			kb, _ := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 64)
			return kb / 1024
		}
	}
	return 0
}

// cpuSeconds is the user+system CPU time of this process so far.
func cpuSeconds() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()).Seconds()
}
