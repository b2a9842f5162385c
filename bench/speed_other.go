//go:build !linux

package bench

import "time"

// threadCPU is not read outside Linux: the speed probe is off there.
func threadCPU() (time.Duration, bool) { return 0, false }
