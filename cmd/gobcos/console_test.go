package main

import (
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gobcos/gobcos/crypto"
	"github.com/gobcos/gobcos/internal/nodetest"
	"github.com/gobcos/gobcos/keystore"
)

// TestConsoleCommand runs gobcos console with a keystore key, in -c and
// script-file modes, against an in-process single-node chain.
func TestConsoleCommand(t *testing.T) {
	cfg := nodetest.DevConfig(t, crypto.NameECDSA, nil)
	dir := t.TempDir() // scratch files
	n := nodetest.Start(t, cfg)
	url := "http://" + n.RPCAddr()

	key, err := crypto.ECDSA().GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	enc, err := keystore.Encrypt(key, "secret", true)
	if err != nil {
		t.Fatal(err)
	}
	keyFile := writeFile(t, dir, "key.json", string(enc))
	pwFile := writeFile(t, dir, "pw", "secret\n")
	art, err := filepath.Abs(filepath.Join("..", "..", "testdata", "contracts"))
	if err != nil {
		t.Fatal(err)
	}
	abiFile, binFile := filepath.Join(art, "Store.abi"), filepath.Join(art, "Store.bin")

	out, err := runRoot(t, "console", "--rpc", url, "--key", keyFile, "--password-file", pwFile, "--json",
		"-c", "account\ndeploy "+abiFile+" "+binFile+" 5")
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 2 {
		t.Fatalf("output:\n%s", out)
	}
	var acct, dep map[string]any
	if json.Unmarshal([]byte(lines[0]), &acct) != nil || acct["address"] != key.Address().Hex() {
		t.Fatalf("account line %q", lines[0])
	}
	if json.Unmarshal([]byte(lines[1]), &dep) != nil || dep["contractAddress"] == nil {
		t.Fatalf("deploy line %q", lines[1])
	}
	addr := dep["contractAddress"].(string)

	script := writeFile(t, dir, "s.txt", "# read the value\ncall "+addr+" "+abiFile+" get\n\nsend "+addr+" "+abiFile+" set 0\ninfo\n")
	out, err = runRoot(t, "console", "--rpc", url, "--key", keyFile, "--password-file", pwFile, script)
	if err == nil || !strings.Contains(err.Error(), "line 4") || !strings.Contains(err.Error(), "zero not allowed") {
		t.Fatalf("script: err %v\n%s", err, out)
	}
	if !strings.Contains(out, "(uint256) 5") || strings.Contains(out, "groupId") {
		t.Fatalf("script output:\n%s", out)
	}

	// The account commands use --keystore; --light-kdf keeps new files cheap.
	ks := filepath.Join(dir, "ks")
	out, err = runRoot(t, "console", "--rpc", url, "--keystore", ks, "--light-kdf",
		"-c", "account-new "+pwFile+"\naccounts\ndeploy "+abiFile+" "+binFile+" 3")
	if err != nil {
		t.Fatalf("account commands: %v\n%s", err, out)
	}
	if !strings.Contains(out, "file: "+ks) || !strings.Contains(out, "current: true") || !strings.Contains(out, "contractAddress: 0x") {
		t.Fatalf("account commands output:\n%s", out)
	}

	if _, err := runRoot(t, "console", "--rpc", url, "--key", keyFile, "--password-file", writeFile(t, dir, "bad", "wrong"), "-c", "info"); err == nil {
		t.Fatal("wrong password accepted")
	}
	if _, err := runRoot(t, "console", "--rpc", url, "-c", "info", script); err == nil {
		t.Fatal("-c and a script file accepted together")
	}
	if _, err := runRoot(t, "console", "--rpc", url, filepath.Join(dir, "missing.txt")); err == nil {
		t.Fatal("missing script accepted")
	}
}

// TestLoadConsoleKey: --key takes an encrypted keystore file or a hex
// private key file (an organisation's admin.key from chain build).
func TestLoadConsoleKey(t *testing.T) {
	dir := t.TempDir()
	suite := crypto.ECDSA()
	key, err := suite.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	hexFile := filepath.Join(dir, "admin.key")
	if err := os.WriteFile(hexFile, []byte(hex.EncodeToString(key.Bytes())+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if k, err := loadConsoleKey(hexFile, "", suite); err != nil || k.Address() != key.Address() {
		t.Fatalf("hex key file: %v", err)
	}
	enc, err := keystore.Encrypt(key, "pw", true)
	if err != nil {
		t.Fatal(err)
	}
	jsonFile, pwFile := filepath.Join(dir, "key.json"), filepath.Join(dir, "pw")
	if err := os.WriteFile(jsonFile, enc, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(pwFile, []byte("pw\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if k, err := loadConsoleKey(jsonFile, pwFile, suite); err != nil || k.Address() != key.Address() {
		t.Fatalf("keystore file: %v", err)
	}
	bad := filepath.Join(dir, "bad")
	if err := os.WriteFile(bad, []byte("not a key"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := loadConsoleKey(bad, "", suite); err == nil || !strings.Contains(err.Error(), "neither a keystore file nor a hex") {
		t.Fatalf("garbage key file: %v", err)
	}
	if _, err := loadConsoleKey(filepath.Join(dir, "missing"), "", suite); err == nil {
		t.Fatal("missing key file loaded")
	}
}
