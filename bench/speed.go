package bench

import (
	"bytes"
	"math"
	"runtime"
	"slices"
	"time"

	"github.com/ethereum/go-ethereum/crypto"
)

// Speed is what the machine speed probe saw during a run: the CPU time
// its own OS thread took for one Keccak-256 hash of 1 KiB, measured every
// half second as the fastest of speedProbeRounds rounds of
// speedProbeHashes hashes. Being the thread's CPU time, not the clock's,
// waiting for a core does not count; the fastest round leaves out the
// rounds an interrupt's work was charged to (a Linux kernel without IRQ
// time accounting counts it to the thread it interrupts). So the figure
// grows when the hardware runs slower, as a virtual machine's does while
// its host runs other work on the same cores. On one machine, a run whose
// P50 is well above another's ran on slower cores, whatever the software
// measured.
type Speed struct {
	Samples int     `json:"samples"`
	P50Ns   float64 `json:"p50NsPerHash"`
	P90Ns   float64 `json:"p90NsPerHash"`
	MinNs   float64 `json:"minNsPerHash"`
}

const (
	speedProbeRounds   = 10
	speedProbeHashes   = 20
	speedProbeInterval = 500 * time.Millisecond
)

// startSpeedProbe samples every interval until the returned function is
// called; that function stops the probe and returns what it saw, or nil
// where a thread's CPU time cannot be read (threadCPU).
func startSpeedProbe(interval time.Duration) func() *Speed {
	if _, ok := threadCPU(); !ok {
		return func() *Speed { return nil }
	}
	var (
		samples []time.Duration // the goroutine's until it exits
		done    = make(chan struct{})
		exited  = make(chan struct{})
	)
	go func() {
		defer close(exited)
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		buf := bytes.Repeat([]byte{0x5a}, 1024)
		t := time.NewTicker(interval)
		defer t.Stop()
		for {
			if d, ok := probeOnce(buf); ok {
				samples = append(samples, d)
			}
			select {
			case <-done:
				return
			case <-t.C:
			}
		}
	}()
	return func() *Speed {
		close(done)
		<-exited
		return speedOf(samples)
	}
}

// probeOnce returns the calling thread's CPU time per hash in the
// fastest of speedProbeRounds rounds of speedProbeHashes hashes of buf
// (changing it).
func probeOnce(buf []byte) (time.Duration, bool) {
	best := time.Duration(math.MaxInt64)
	for range speedProbeRounds {
		before, ok := threadCPU()
		if !ok {
			return 0, false
		}
		// Each hash covers the one before it, so none can be skipped.
		for range speedProbeHashes {
			copy(buf, crypto.Keccak256(buf))
		}
		after, ok := threadCPU()
		if !ok || after < before {
			return 0, false
		}
		best = min(best, after-before)
	}
	return best / speedProbeHashes, true
}

func speedOf(samples []time.Duration) *Speed {
	if len(samples) == 0 {
		return nil
	}
	s := slices.Clone(samples)
	slices.Sort(s)
	ns := func(d time.Duration) float64 { return float64(d.Nanoseconds()) }
	return &Speed{Samples: len(s), P50Ns: ns(Percentile(s, 50)), P90Ns: ns(Percentile(s, 90)), MinNs: ns(s[0])}
}
