package tracking

import (
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

// HandleSignals ends run as killed when the process receives SIGINT or SIGTERM — with the
// signal's name as the reason, after flushing its buffered metrics — and then exits with
// status 128+signal, as a shell would report. It says so on stderr, on a line of its own (a
// progress bar may be mid-line), followed by hint when given (say, how to resume). Call the
// returned stop function once the run has ended normally to restore the default behaviour.
//
// Commands that can stop gracefully (finish the step, write a checkpoint) should instead
// watch a signal.NotifyContext and end the run themselves with StatusKilled.
func HandleSignals(run Run, hint string) (stop func()) {
	return OnSignal(hint, func(reason string) {
		if err := run.End(StatusKilled, reason); err != nil {
			fmt.Fprintf(os.Stderr, "byb: %v\n", err)
		}
	})
}

// OnSignal is HandleSignals for work that records several runs at once (a reproduction and
// its child under way): end ends them all with the reason.
func OnSignal(hint string, end func(reason string)) (stop func()) {
	return OnSignalGraceful(hint, nil, end)
}

// OnSignalGraceful is OnSignal for work that can stop at a safe point (a training step,
// with a checkpoint written): the first SIGINT or SIGTERM calls graceful with the reason and
// lets the work end itself; a second one ends it at once as OnSignal does. A nil graceful
// is OnSignal.
func OnSignalGraceful(hint string, graceful func(reason string), end func(reason string)) (stop func()) {
	ch := make(chan os.Signal, 2)
	signal.Notify(ch, os.Interrupt, syscall.SIGTERM)
	quit := make(chan struct{})
	go func() {
		if graceful != nil {
			select {
			case sig := <-ch:
				fmt.Fprintf(os.Stderr, "\nbyb: %s: stopping after this step and writing a checkpoint (%s again to stop at once, losing the steps since the last checkpoint)\n",
					SignalName(sig), SignalName(sig))
				graceful("interrupted by " + SignalName(sig))
			case <-quit:
				return
			}
		}
		select {
		case sig := <-ch:
			reason := "interrupted by " + SignalName(sig)
			msg := "\nbyb: " + reason
			if hint != "" {
				msg += "; " + hint
			}
			fmt.Fprintln(os.Stderr, msg)
			end(reason)
			code := 1
			if s, ok := sig.(syscall.Signal); ok {
				code = 128 + int(s)
			}
			os.Exit(code)
		case <-quit:
		}
	}()
	return func() {
		signal.Stop(ch)
		close(quit)
	}
}

// SignalName returns "SIGINT", "SIGTERM", ... for the signals byb handles.
func SignalName(sig os.Signal) string {
	switch sig {
	case os.Interrupt:
		return "SIGINT"
	case syscall.SIGTERM:
		return "SIGTERM"
	case syscall.SIGHUP:
		return "SIGHUP"
	}
	return sig.String()
}
