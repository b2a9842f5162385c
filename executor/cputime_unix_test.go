//go:build unix

package executor

import (
	"syscall"
	"time"
)

// processCPU is the CPU time the test process used so far (user+system).
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
