package bench

import (
	"bufio"
	"fmt"
	"io"
	"iter"
	"math/rand/v2"
	"os"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/byb-dev/byb/byb/data"
	"github.com/byb-dev/byb/byb/encoder"
	"github.com/byb-dev/byb/byb/engine"
	"github.com/byb-dev/byb/byb/finetune"
	"github.com/byb-dev/byb/byb/objective"
	"github.com/byb-dev/byb/byb/params"
	"github.com/byb-dev/byb/byb/train"
	"github.com/gomlx/gomlx/pkg/ml/context"
)

// Config is one throughput measurement: training steps of a method on random inputs.
type Config struct {
	Name   string `json:"name"`
	Method string `json:"method"` // a registered pretraining method; "" = byb
	// Stage is "pretrain" (the method's objective; the default) or "finetune" (FT-train:
	// unfrozen finetuning of the method's encoder with a new head on labelled batches).
	Stage    string     `json:"stage"`
	Engine   string     `json:"engine"` // engine.Normalize value: "xla:cpu", "go", ...
	B        int        `json:"B"`
	N        int        `json:"n"`
	T        int        `json:"T"`
	Vocab    []int      `json:"vocab"`
	Pool     bool       `json:"pool"`
	Warmup   int        `json:"warmup"`   // untimed steps (compilation happens in the first)
	Steps    int        `json:"steps"`    // timed steps
	Settings params.Set `json:"settings"` // extra hyper-parameters
	// Devices > 1 splits each batch over that many devices of the engine (data parallelism);
	// 0 or 1 runs on one.
	Devices int `json:"devices,omitempty"`
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
	// FLOPsPerSample is a step's arithmetic per sample by byb's formulation (FLOPsPerSample),
	// GFLOPs what the timed steps achieved per second, and PeakShare that against the CPU's
	// assumed fp32 peak (PeakHow; 0 on a GPU engine or where no peak is known).
	FLOPsPerSample float64 `json:"flops_per_sample"`
	GFLOPs         float64 `json:"gflops"`
	PeakShare      float64 `json:"peak_share"`
	PeakHow        string  `json:"peak,omitempty"`
}

// Run measures cfg in this process: full training steps (forward and backward, Adam, and
// the method's own per-step work: BYB's teacher and EMA, a baseline's host-side transform)
// with the paper's architecture unless cfg.Settings says otherwise. lookup finds the method
// (methods.Lookup; this package does not link the methods itself, so that their tests may
// use its random batches).
func Run(cfg Config, lookup func(string) (objective.Method, error)) (*Result, error) {
	cfgName, err := engine.Normalize(cfg.Engine)
	if err != nil {
		return nil, err
	}
	backend, info, err := engine.OpenConfig(cfgName)
	if err != nil {
		return nil, err
	}
	if cfg.Method == "" {
		cfg.Method = "byb"
	}
	method, err := lookup(cfg.Method)
	if err != nil {
		return nil, err
	}
	ctx := context.New()
	params.SetDefaults(ctx)
	method.Defaults(ctx)
	settings := params.Set{}.With(encoder.ParamPool, cfg.Pool).With(train.ParamSteps, cfg.Warmup+cfg.Steps).
		With(train.ParamEpochs, 1).With(train.ParamMinSteps, 0).Then(cfg.Settings)
	if err := settings.Apply(ctx); err != nil {
		return nil, err
	}
	enc, err := encoder.New(ctx, cfg.Vocab, cfg.T)
	if err != nil {
		return nil, err
	}
	shape := Shape{N: cfg.N, T: cfg.T, M: len(cfg.Vocab), Pool: cfg.Pool, D: params.Get[int](ctx, encoder.ParamDim),
		FF: params.Get[int](ctx, encoder.ParamFF), Layers: params.Get[int](ctx, encoder.ParamLayers), TrainSteps: true}
	var obj objective.Objective
	switch cfg.Stage {
	case "", "pretrain":
		if obj, err = method.New(ctx, RandomFacts(cfg)); err != nil {
			return nil, err
		}
	case "finetune":
		obj = &finetune.Head{NumClasses: 2, Hidden: params.Get[int](ctx, finetune.ParamHidden)}
	default:
		return nil, fmt.Errorf("bench: stage %q: use pretrain or finetune", cfg.Stage)
	}
	rng := rand.New(rand.NewPCG(0, 0))
	pre := make([]*data.Batch, 4) // pre-generated and cycled, as the peer does
	for i := range pre {
		pre[i] = RandomBatch(rng, cfg.B, cfg.N, cfg.T, cfg.Vocab)
		if fr, ok := obj.(objective.FutureReader); ok {
			pre[i] = WithTargets(rng, pre[i], fr.FutureWindows(), min(cfg.N, 32), cfg.Vocab)
		}
		for r := range pre[i].Labels {
			pre[i].Labels[r] = int32(rng.IntN(2))
		}
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
	res, err := train.Train(ctx, enc, obj, batches, train.Options{Backend: backend, Progress: io.Discard, Devices: cfg.Devices,
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
	if fr, ok := obj.(objective.FutureReader); ok && fr.FutureWindows() > 0 {
		shape.TargetLen = min(cfg.N, 32) // WithTargets above
	}
	shape.Predictor = cfg.Method == "byb" && (cfg.Stage == "" || cfg.Stage == "pretrain") && params.Get[bool](ctx, objective.ParamPredictor)
	out.FLOPsPerSample = FLOPsPerSample(shape)
	out.GFLOPs = out.FLOPsPerSample * out.SamplesPerSec / 1e9
	if cfgName == engine.PureGo || strings.HasSuffix(cfgName, ":cpu") {
		if peak, err := machinePeak(); err == nil {
			out.PeakShare, out.PeakHow = out.GFLOPs/peak.GFLOPs, peak.How
		}
	}
	return out, nil
}

// machinePeak is this machine's assumed fp32 peak over its usable cores.
func machinePeak() (Peak, error) {
	f, err := os.Open("/proc/cpuinfo")
	if err != nil {
		return Peak{}, err
	}
	defer f.Close()
	return CPUPeak(f, runtime.NumCPU())
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

// RandomFacts are the facts of random inputs: every ID of a slot equally frequent.
func RandomFacts(cfg Config) objective.Facts {
	f := objective.Facts{Vocab: cfg.Vocab, Windows: cfg.T, MaxLen: cfg.N}
	for j, v := range cfg.Vocab {
		counts := make([]int64, v)
		for i := int(data.FirstValue); i < v; i++ {
			counts[i] = 1
		}
		f.Fields = append(f.Fields, fmt.Sprintf("f%d", j))
		f.Counts = append(f.Counts, counts)
	}
	return f
}
