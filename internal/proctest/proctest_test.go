package proctest

import (
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestStartRPC(t *testing.T) {
	var log Log
	cmd := exec.Command("sh", "-c", `echo starting >&2; echo "JSON-RPC: http://127.0.0.1:1 (group0)"; exec sleep 30`)
	url, done, err := StartRPC(cmd, &log, 30*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if url != "http://127.0.0.1:1" {
		t.Fatalf("url %q", url)
	}
	cmd.Process.Kill()
	<-done
	if cmd.ProcessState == nil || cmd.ProcessState.ExitCode() == 0 {
		t.Fatalf("process state after kill: %v", cmd.ProcessState)
	}
	for _, want := range []string{"starting\n", "JSON-RPC: http://127.0.0.1:1 (group0)\n"} {
		if !strings.Contains(log.String(), want) {
			t.Fatalf("log %q lacks %q", log.String(), want)
		}
	}
	if log.Len() != len(log.String()) {
		t.Fatal("Len differs from the log's length")
	}
}

func TestStartRPCExits(t *testing.T) {
	cmd := exec.Command("sh", "-c", "echo no url; exit 3")
	_, done, err := StartRPC(cmd, new(Log), 30*time.Second)
	if err == nil || !strings.Contains(err.Error(), "exited before serving") {
		t.Fatalf("err = %v", err)
	}
	<-done
	if code := cmd.ProcessState.ExitCode(); code != 3 {
		t.Fatalf("exit code %d", code)
	}
}

func TestStartRPCTimeout(t *testing.T) {
	cmd := exec.Command("sh", "-c", "exec sleep 30")
	_, done, err := StartRPC(cmd, new(Log), 50*time.Millisecond)
	if err == nil || !strings.Contains(err.Error(), "did not print") {
		t.Fatalf("err = %v", err)
	}
	select {
	case <-done:
	default:
		t.Fatal("the process still runs after StartRPC gave up on it")
	}
}

func TestBuildReportsCompilerOutput(t *testing.T) {
	err := Build(filepath.Join(t.TempDir(), "x"), "./no-such-package")
	if err == nil || !strings.Contains(err.Error(), "no-such-package") {
		t.Fatalf("err = %v", err)
	}
}
