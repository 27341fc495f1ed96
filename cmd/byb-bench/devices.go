package main

import (
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/byb-dev/byb/byb/bench"
	"github.com/byb-dev/byb/byb/params"
)

// devicesTable measures BYB's pretraining (pooled) with each batch split over each device
// count of the list ("all" = every device of the engine), each in a fresh process, and
// prints samples/s with the ratio to one device.
func devicesTable(shapeNames, deviceList []string, eng string, warmup, steps int, settings params.Set, jsonOut string) error {
	vocab := []int{10000, 100, 10}
	var lines []string
	fmt.Printf("engine %s; BYB pretraining (pooled), data-parallel over N devices; ratio = samples/s / samples/s on one device\n\n", eng)
	fmt.Println("| shape | devices | samples/s | s/step | CPU s/step | peak RSS MiB | ratio to 1 device |")
	fmt.Println("|---|---|---|---|---|---|---|")
	for _, name := range shapeNames {
		sh, ok := shapes[name]
		if !ok {
			return fmt.Errorf("unknown config %q (use a, b)", name)
		}
		n := sh.steps
		if steps > 0 {
			n = steps
		}
		var one *bench.Result
		for _, d := range deviceList {
			devices := 0 // all
			if d != "all" {
				var err error
				if devices, err = strconv.Atoi(d); err != nil || devices < 1 {
					return fmt.Errorf("-devices: %q is not a device count or all", d)
				}
			}
			cfg := bench.Config{Name: sh.name, Method: "byb", Engine: eng, B: sh.B, N: sh.n, T: sh.T, Vocab: vocab,
				Pool: true, Warmup: warmup, Steps: n, Settings: settings, Devices: devices}
			fmt.Fprintf(os.Stderr, "%s devices=%s ...", sh.name, d)
			res, line, err := runChild(cfg)
			if err != nil {
				fmt.Fprintf(os.Stderr, " failed: %v\n", err)
				fmt.Printf("| %s | %s | failed: %s | | | | |\n", sh.name, d, lastLine(err.Error()))
				continue
			}
			fmt.Fprintf(os.Stderr, " %.1f samples/s\n", res.SamplesPerSec)
			lines = append(lines, line)
			if one == nil && devices == 1 {
				one = res
			}
			fmt.Printf("| %s | %s | %.1f | %.3f | %.3f | %.0f | %s |\n", sh.name, d, res.SamplesPerSec, res.SecPerStep, res.CPUPerStep, res.PeakRSSMiB, ratio(res, one))
		}
	}
	if jsonOut != "" {
		return os.WriteFile(jsonOut, []byte(strings.Join(lines, "\n")+"\n"), 0o644)
	}
	return nil
}
