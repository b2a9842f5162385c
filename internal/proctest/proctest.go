package proctest

import (
	"bufio"
	"fmt"
	"io"
	"os/exec"
	"strings"
	"sync"
	"time"
)

// Build compiles the command package pkg (as `go build` names it, for
// example "../../cmd/gobcos") into the executable out, with extra build
// flags (for example -ldflags) before the package. The error holds the
// compiler's output.
func Build(out, pkg string, flags ...string) error {
	args := append(append([]string{"build", "-o", out}, flags...), pkg)
	if b, err := exec.Command("go", args...).CombinedOutput(); err != nil {
		return fmt.Errorf("go build %s: %w\n%s", pkg, err, b)
	}
	return nil
}

// Log collects a process's output, across restarts too; it is safe to
// write and read at the same time.
type Log struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *Log) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

// String is everything written so far.
func (l *Log) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// Len is how many bytes were written so far.
func (l *Log) Len() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Len()
}

// rpcPrefix starts the line a gobcos node prints on stdout once it serves
// JSON-RPC: "JSON-RPC: <url> ...".
const rpcPrefix = "JSON-RPC: "

// StartRPC starts cmd with its stdout and stderr copied into log and waits
// up to within for the line that gives its JSON-RPC URL. done is closed
// once the process has exited (and been waited for: read
// cmd.ProcessState after it, never call cmd.Wait). cmd must not have its
// Stdout or Stderr set. When the process exits first, or does not print
// the URL in time (then it is killed), StartRPC returns an error after
// the process is gone.
func StartRPC(cmd *exec.Cmd, log io.Writer, within time.Duration) (url string, done <-chan struct{}, err error) {
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return "", nil, err
	}
	cmd.Stderr = log
	if err := cmd.Start(); err != nil {
		return "", nil, err
	}
	exited := make(chan struct{})
	urls := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			line := sc.Text()
			fmt.Fprintln(log, line)
			if rest, ok := strings.CutPrefix(line, rpcPrefix); ok {
				if f := strings.Fields(rest); len(f) > 0 {
					select {
					case urls <- f[0]:
					default:
					}
				}
			}
		}
		io.Copy(io.Discard, stdout)
		cmd.Wait()
		close(exited)
	}()
	timer := time.NewTimer(within)
	defer timer.Stop()
	select {
	case url := <-urls:
		return url, exited, nil
	case <-exited:
		return "", exited, fmt.Errorf("%s exited before serving JSON-RPC", cmd.Path)
	case <-timer.C:
		cmd.Process.Kill()
		<-exited
		return "", exited, fmt.Errorf("%s did not print its JSON-RPC URL within %s", cmd.Path, within)
	}
}
