//go:build !linux

package main

import (
	"os/exec"
	"syscall"
)

// superviseProcess puts a node process in its own process group, so that a
// Ctrl-C at the terminal reaches only the supervisor.
func superviseProcess(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
}
