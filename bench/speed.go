package bench

import (
	"bytes"
	"math"
	"runtime"
	"slices"
	"sync"
	"time"

	"github.com/ethereum/go-ethereum/crypto"
)

// Speed is what the machine speed probe saw during a run: the CPU time
// its own OS thread took, each time, for a fixed amount of hashing
// (speedProbeHashes Keccak-256 hashes of 1 KiB). Being the thread's CPU
// time, not the clock's, waiting for a core does not count: the figure
// grows only when the hardware runs slower, as a virtual machine's does
// while its host runs other work on the same cores. On one machine, a run
// whose P50 is well above another's ran on slower cores, whatever the
// software measured.
type Speed struct {
	Samples int     `json:"samples"`
	P50Us   float64 `json:"p50Us"`
	P90Us   float64 `json:"p90Us"`
	MinUs   float64 `json:"minUs"`
}

const (
	speedProbeHashes   = 200
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
		mu      sync.Mutex
		samples []time.Duration
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
				mu.Lock()
				samples = append(samples, d)
				mu.Unlock()
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
		mu.Lock()
		defer mu.Unlock()
		return speedOf(samples)
	}
}

// probeOnce hashes buf speedProbeHashes times (changing it) and returns
// the CPU time the calling thread spent on it.
func probeOnce(buf []byte) (time.Duration, bool) {
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
	return after - before, true
}

func speedOf(samples []time.Duration) *Speed {
	if len(samples) == 0 {
		return nil
	}
	s := slices.Clone(samples)
	slices.Sort(s)
	us := func(d time.Duration) float64 { return math.Round(float64(d) / float64(time.Microsecond)) }
	return &Speed{Samples: len(s), P50Us: us(Percentile(s, 50)), P90Us: us(Percentile(s, 90)), MinUs: us(s[0])}
}
