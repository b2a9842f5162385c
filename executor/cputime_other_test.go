//go:build !unix

package executor

import "time"

func processCPU() time.Duration { return 0 }
