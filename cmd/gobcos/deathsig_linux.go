package main

import (
	"os/exec"
	"syscall"
)

// superviseProcess puts a node process in its own process group, so that a
// Ctrl-C at the terminal reaches only the supervisor (which then stops the
// nodes in order), and makes the kernel send it SIGTERM when the supervisor
// dies, even by SIGKILL, so no node outlives it.
func superviseProcess(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGTERM}
}
