//go:build unix

package testports

import (
	"fmt"
	"os"
	"path/filepath"
	"syscall"
)

// lockPort takes this machine's lock on port: an exclusive flock on a file
// named for it under the temporary directory, which the kernel releases
// when the returned release runs or the process ends, however it ends. It
// reports false, without waiting, when another holder has it.
func lockPort(port int) (release func(), ok bool) {
	dir := filepath.Join(os.TempDir(), "gobcos-testports")
	if err := os.MkdirAll(dir, 0o777); err != nil {
		return func() {}, true // no shared directory: the listen check alone
	}
	f, err := os.OpenFile(filepath.Join(dir, fmt.Sprintf("%d.lock", port)), os.O_CREATE|os.O_RDWR, 0o666)
	if err != nil {
		return func() {}, true
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		return nil, false
	}
	return func() { f.Close() }, true
}
