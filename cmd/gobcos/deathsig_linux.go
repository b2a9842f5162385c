package main

import (
	"os/exec"
	"syscall"
)

// stopWithParent makes the kernel send SIGTERM to cmd's process when the
// supervisor dies, even by SIGKILL, so no node outlives it.
func stopWithParent(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGTERM}
}
