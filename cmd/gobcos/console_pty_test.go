//go:build linux || darwin

package main

import (
	"bufio"
	"bytes"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/creack/pty"

	"github.com/gobcos/gobcos/crypto"
	"github.com/gobcos/gobcos/internal/nodetest"
)

// consoleChildEnv makes the test binary run `gobcos console` itself, so the
// pseudo-terminal test drives the real interactive console on its stdin.
const consoleChildEnv = "GOBCOS_CONSOLE_PTY_CHILD"

func TestConsolePTYChild(t *testing.T) {
	if os.Getenv(consoleChildEnv) == "" {
		t.Skip("run by TestConsolePTY")
	}
	root := newRootCmd()
	root.SetArgs(strings.Split(os.Getenv(consoleChildEnv), "\x1f"))
	if err := root.Execute(); err != nil {
		os.Exit(1)
	}
	os.Exit(0)
}

// TestConsolePTY opens the interactive console on a pseudo-terminal: a
// command runs, tab completes a command name and an argument, a failing
// command leaves the session going, a governance command reads the
// Committee, account-new prompts for a password without echo, history is
// written, exit leaves.
func TestConsolePTY(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a child process on a pseudo-terminal")
	}
	cfg := nodetest.DevConfig(t, crypto.NameECDSA, nil)
	dir := t.TempDir() // scratch files
	n := nodetest.Start(t, cfg)

	history := filepath.Join(dir, "history")
	cmd := exec.Command(os.Args[0], "-test.run=^TestConsolePTYChild$")
	cmd.Env = append(os.Environ(), "TERM=xterm", consoleChildEnv+"="+strings.Join([]string{"console", "--rpc", "http://" + n.RPCAddr(), "--history", history, "--keystore", filepath.Join(dir, "ks"), "--light-kdf"}, "\x1f"))
	tty, err := pty.StartWithSize(cmd, &pty.Winsize{Rows: 40, Cols: 200}) // liner needs a width
	if err != nil {
		t.Fatal(err)
	}
	defer tty.Close()
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	t.Cleanup(func() { _ = cmd.Process.Kill() }) // fails harmlessly once it exited

	var (
		buf   bytes.Buffer
		lines = make(chan string, 64)
	)
	go func() {
		r := bufio.NewReader(tty)
		chunk := make([]byte, 4096)
		for {
			k, err := r.Read(chunk)
			if k > 0 {
				lines <- string(chunk[:k])
			}
			if err != nil {
				close(lines)
				return
			}
		}
	}()
	waitFor := func(want string) {
		t.Helper()
		deadline := time.After(30 * time.Second)
		for !strings.Contains(buf.String(), want) {
			select {
			case s, ok := <-lines:
				if !ok {
					t.Fatalf("console ended before %q:\n%s", want, buf.String())
				}
				buf.WriteString(s)
			case <-deadline:
				t.Fatalf("no %q in:\n%s", want, buf.String())
			}
		}
	}
	send := func(s string) {
		t.Helper()
		if _, err := io.WriteString(tty, s); err != nil {
			t.Fatal(err)
		}
	}

	waitFor("Type help")
	waitFor("]> ")
	send("inf\t") // tab completes to "info"
	send("\r")
	waitFor("cryptoSuite: " + crypto.NameECDSA)
	send("bogus\r")
	waitFor("unknown command")
	send("nodes\r")
	waitFor("nodeId")
	send("committee\r")
	waitFor("participation: ")
	send("role-members gov\t") // tab completes the role argument
	send("\r")
	waitFor("role: governor")
	send("account-new\r") // prompts for the password twice, without echo
	waitFor("Password for the new key: ")
	send("s3cret\r")
	waitFor("Repeat password: ")
	send("s3cret\r")
	waitFor("file: " + filepath.Join(dir, "ks"))
	if strings.Contains(buf.String(), "s3cret") {
		t.Fatalf("the password was echoed:\n%s", buf.String())
	}
	send("exit\r")
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("console exit: %v\n%s", err, buf.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatalf("console did not exit:\n%s", buf.String())
	}
	h, err := os.ReadFile(history)
	if err != nil {
		t.Fatal(err)
	}
	if got := string(h); !strings.Contains(got, "info\n") || !strings.Contains(got, "bogus\n") || !strings.Contains(got, "exit\n") || !strings.Contains(got, "role-members governor\n") {
		t.Fatalf("history file:\n%s", got)
	}
}
