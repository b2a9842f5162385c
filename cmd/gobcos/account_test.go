package main

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/ethereum/go-ethereum/common"

	"github.com/gobcos/gobcos/crypto"
	"github.com/gobcos/gobcos/keystore"
)

// noTerminal is the environment of a script: no prompting possible.
var noTerminal = accountEnv{
	isTerminal:   func() bool { return false },
	readPassword: func(string) (string, error) { return "", errors.New("no terminal") },
}

// typing answers prompts with the given lines, in order.
func typing(lines ...string) accountEnv {
	return accountEnv{
		isTerminal: func() bool { return true },
		readPassword: func(string) (string, error) {
			if len(lines) == 0 {
				return "", errors.New("no more input")
			}
			l := lines[0]
			lines = lines[1:]
			return l, nil
		},
	}
}

func runAccount(t *testing.T, env accountEnv, args ...string) (string, error) {
	t.Helper()
	cmd := newAccountCmdWith(env)
	var out, errOut bytes.Buffer
	cmd.SetOut(&out)
	cmd.SetErr(&errOut)
	cmd.SetArgs(args)
	err := cmd.Execute()
	return out.String(), err
}

func writeFile(t *testing.T, dir, name, content string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

var (
	addrLine = regexp.MustCompile(`address: (0x[0-9a-fA-F]{40})`)
	fileLine = regexp.MustCompile(`file:\s+(\S+)`)
)

func TestAccountNewBothSuites(t *testing.T) {
	tmp := t.TempDir()
	ks := filepath.Join(tmp, "ks")
	pwFile := writeFile(t, tmp, "pw", "s3cret\nignored second line\n")
	for _, suite := range []string{"ecdsa", "sm"} {
		out, err := runAccount(t, noTerminal, "new", "--keystore", ks, "--crypto", suite, "--password-file", pwFile, "--light-kdf")
		if err != nil {
			t.Fatalf("%s: %v", suite, err)
		}
		am, fm := addrLine.FindStringSubmatch(out), fileLine.FindStringSubmatch(out)
		if am == nil || fm == nil || !strings.Contains(out, "suite:   "+suite) {
			t.Fatalf("%s: output %q", suite, out)
		}
		key, err := keystore.LoadFile(fm[1], "s3cret")
		if err != nil {
			t.Fatalf("%s: the printed file does not open with the password: %v", suite, err)
		}
		if key.SuiteName() != suite || key.Address() != common.HexToAddress(am[1]) {
			t.Fatalf("%s: file holds a %s key for %s", suite, key.SuiteName(), key.Address().Hex())
		}
	}

	out, err := runAccount(t, noTerminal, "list", "--keystore", ks)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 3 || !strings.HasPrefix(lines[0], "ADDRESS") {
		t.Fatalf("list output %q", out)
	}
	suites := lines[1] + lines[2]
	if !strings.Contains(suites, " ecdsa ") || !strings.Contains(suites, " sm ") || !strings.Contains(suites, ks) {
		t.Fatalf("list output %q", out)
	}
}

func TestAccountListEmpty(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "none")
	out, err := runAccount(t, noTerminal, "list", "--keystore", dir)
	if err != nil || !strings.Contains(out, "no accounts in "+dir) {
		t.Fatalf("%q, %v", out, err)
	}
}

func TestAccountPasswords(t *testing.T) {
	tmp := t.TempDir()
	ks := filepath.Join(tmp, "ks")
	empty := writeFile(t, tmp, "empty", "\n")

	if _, err := runAccount(t, noTerminal, "new", "--keystore", ks, "--light-kdf"); err == nil || !strings.Contains(err.Error(), "--password-file") {
		t.Fatalf("no terminal and no file: err = %v", err)
	}
	if _, err := runAccount(t, noTerminal, "new", "--keystore", ks, "--password-file", empty, "--light-kdf"); err == nil || !strings.Contains(err.Error(), "--insecure-empty-password") {
		t.Fatalf("empty password: err = %v", err)
	}
	if _, err := runAccount(t, noTerminal, "new", "--keystore", ks, "--password-file", empty, "--insecure-empty-password", "--light-kdf"); err != nil {
		t.Fatalf("empty password allowed: %v", err)
	}
	if _, err := runAccount(t, typing("a", "b"), "new", "--keystore", ks, "--light-kdf"); err == nil || !strings.Contains(err.Error(), "do not match") {
		t.Fatalf("mismatched prompts: err = %v", err)
	}
	if _, err := runAccount(t, typing("", ""), "new", "--keystore", ks, "--light-kdf"); err == nil {
		t.Fatal("empty typed password accepted")
	}
	out, err := runAccount(t, typing("typed pw", "typed pw"), "new", "--keystore", ks, "--crypto", "sm", "--light-kdf")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := keystore.LoadFile(fileLine.FindStringSubmatch(out)[1], "typed pw"); err != nil {
		t.Fatalf("typed password: %v", err)
	}
	if _, err := runAccount(t, noTerminal, "new", "--keystore", ks, "--crypto", "rsa", "--password-file", empty); err == nil || !strings.Contains(err.Error(), "--crypto") {
		t.Fatalf("bad suite: err = %v", err)
	}
	if _, err := runAccount(t, noTerminal, "new", "--keystore", ks, "--password-file", filepath.Join(tmp, "missing")); err == nil {
		t.Fatal("missing password file accepted")
	}
	// Only the two successful runs wrote files.
	accts, err := keystore.NewStore(ks, true).List()
	if err != nil || len(accts) != 2 {
		t.Fatalf("keystore holds %d accounts (%v), want 2", len(accts), err)
	}
}

func TestAccountImport(t *testing.T) {
	tmp := t.TempDir()
	ks := filepath.Join(tmp, "ks")
	pwFile := writeFile(t, tmp, "pw", "pw")
	const hexKey = "7a28b5ba57c53603b0b07b56bba752f7784bf506fa95edc395f5cf6c7514fe9d"
	keyFile := writeFile(t, tmp, "key.hex", "  0x"+hexKey+"\n")

	for _, suite := range []crypto.Suite{crypto.ECDSA(), crypto.SM()} {
		want, err := suite.ParsePrivateKey(common.FromHex(hexKey))
		if err != nil {
			t.Fatal(err)
		}
		out, err := runAccount(t, noTerminal, "import", "--keystore", ks, "--crypto", suite.Name(), "--password-file", pwFile, "--light-kdf", keyFile)
		if err != nil {
			t.Fatalf("%s: %v", suite.Name(), err)
		}
		if m := addrLine.FindStringSubmatch(out); m == nil || common.HexToAddress(m[1]) != want.Address() {
			t.Fatalf("%s: output %q, want address %s", suite.Name(), out, want.Address().Hex())
		}
		got, err := keystore.NewStore(ks, true).Load(want.Address(), "pw")
		if err != nil || got.SuiteName() != suite.Name() {
			t.Fatalf("%s: load: %v", suite.Name(), err)
		}
	}
	if _, err := runAccount(t, noTerminal, "import", "--keystore", ks, "--password-file", pwFile, "--light-kdf", keyFile); !errors.Is(err, keystore.ErrAccountExists) {
		t.Fatalf("second import: err = %v", err)
	}

	bad := writeFile(t, tmp, "bad.hex", "not a key")
	_, err := runAccount(t, noTerminal, "import", "--keystore", ks, "--password-file", pwFile, bad)
	if err == nil || strings.Contains(err.Error(), "not a key") {
		t.Fatalf("bad key file: err = %v (must not echo the content)", err)
	}
	// A key passed on the command line is refused without being echoed.
	_, err = runAccount(t, noTerminal, "import", "--keystore", ks, "--password-file", pwFile, "11"+hexKey[2:])
	if err == nil || strings.Contains(err.Error(), hexKey[2:]) {
		t.Fatalf("key as argument: err = %v", err)
	}
	if _, err := runAccount(t, noTerminal, "import", "--keystore", ks, "--password-file", pwFile); err == nil {
		t.Fatal("import without a key file accepted")
	}
}
