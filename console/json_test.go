package console_test

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common/hexutil"

	"github.com/gobcos/gobcos/console"
	"github.com/gobcos/gobcos/crypto"
	"github.com/gobcos/gobcos/internal/cryptotest"
)

// TestJSONEveryCommand runs every command with --json and checks each
// prints exactly one line of valid JSON.
func TestJSONEveryCommand(t *testing.T) {
	g1 := cryptotest.Key(t, crypto.ECDSA())
	g2 := cryptotest.Key(t, crypto.ECDSA())
	fake := cryptotest.Key(t, crypto.ECDSA())
	client := startChain(t, g1.Address(), g2.Address())
	ctx, cancel := context.WithTimeout(context.Background(), 180*time.Second)
	defer cancel()
	dir := t.TempDir()
	pw := filepath.Join(dir, "pw")
	if err := os.WriteFile(pw, []byte("secret\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	hexKey := filepath.Join(dir, "key.hex")
	if err := os.WriteFile(hexKey, []byte(hexutil.Encode(fake.Bytes())), 0o600); err != nil {
		t.Fatal(err)
	}

	var out bytes.Buffer
	c := console.New(client, console.Options{Key: g1, Out: &out, JSON: true, KeystoreDir: filepath.Join(dir, "ks"), LightKDF: true})
	s2 := newSession(t, ctx, console.Options{Key: g2}, client)
	seen := map[string]bool{}
	// run runs line and returns its JSON result.
	run := func(line string) any {
		t.Helper()
		out.Reset()
		if err := c.Exec(ctx, line); err != nil {
			t.Fatalf("%s: %v", line, err)
		}
		text := strings.TrimSuffix(out.String(), "\n")
		var v any
		if strings.Contains(text, "\n") || json.Unmarshal([]byte(text), &v) != nil {
			t.Fatalf("%s: not one line of JSON:\n%s", line, out.String())
		}
		seen[strings.Fields(line)[0]] = true
		return v
	}
	field := func(v any, key string) string {
		t.Helper()
		m, ok := v.(map[string]any)
		if !ok {
			t.Fatalf("not an object: %v", v)
		}
		s, _ := m[key].(string)
		if s == "" {
			if f, ok := m[key].(float64); ok {
				return hexutil.EncodeUint64(uint64(f))
			}
			t.Fatalf("no %s in %v", key, v)
		}
		return s
	}
	// passed has g1 propose (JSON) and g2 vote for.
	passed := func(line string) {
		t.Helper()
		id := field(run(line), "proposalId")
		s2.has("vote "+id+" yes", "ProposalExecuted")
	}
	user := g2.Address().Hex()
	store := artifacts + "Store.abi"

	run("info")
	d := run("deploy " + store + " " + artifacts + "Store.bin 7")
	addr, txh := field(d, "contractAddress"), field(d, "transactionHash")
	run("block latest")
	run("tx " + txh)
	run("receipt " + txh)
	run("balance " + addr)
	run("call " + addr + " " + store + " get")
	run("send " + addr + " " + store + " set 8")
	run("nodes")
	run("config")
	run("committee")
	passed("propose-config tx_count_limit 900")
	passed("propose-role " + g1.Address().Hex() + " operator grant")
	passed("propose-role " + g1.Address().Hex() + " regulator grant")
	passed("propose-add-observer " + hexutil.Encode(fake.PublicKey()))
	run("propose-remove-node " + hexutil.Encode(fake.PublicKey()))
	run("propose-add-sealer " + hexutil.Encode(fake.PublicKey()) + " 1")
	sealers := run("nodes").([]any)
	run("propose-node-weight " + field(sealers[0], "nodeId") + " 2")
	run("propose-governor " + user + " 3")
	run("propose-freeze freeze-account " + fake.Address().Hex())
	id := field(run("propose-upgrade 0.2.0"), "proposalId")
	run("revoke " + id)
	run("propose-thresholds 70 70")
	run("propose-deploy-mode allow-list")
	run("propose-reset-admin " + addr + " " + user)
	run("vote " + s2.proposed("propose-config tx_count_limit 901", "open") + " no")
	run("proposals")
	if p := run("proposal 1"); field(p, "change") != "tx_count_limit = 900" || field(p, "status") != "executed" {
		t.Fatalf("proposal json: %v", p)
	}
	run("permissions " + user)
	run("role-members operator")
	run("grant-deployer " + user)
	run("revoke-deployer " + user)
	run("freeze-account " + fake.Address().Hex())
	run("unfreeze-account " + fake.Address().Hex())
	run("freeze-contract " + addr)
	run("unfreeze-contract " + addr)
	run("method-mode " + addr + " set(uint256) deny-list")
	run("method-list " + addr + " set(uint256) " + user + " add")
	run("method-auth " + addr + " set(uint256) " + user)
	run("cns-register Store 1 " + addr + " " + store)
	run("cns-resolve Store")
	run("cns-versions Store")
	run("cns-route Store " + user)
	run("cns-register Store 2 " + field(run("deploy "+store+" "+artifacts+"Store.bin 9"), "contractAddress"))
	run("cns-gray Store 1 2 50%")
	run("cns-gray-clear Store")
	run("events Store")
	run("history")
	run("accounts")
	run("account-new " + pw)
	run("account-import " + hexKey + " " + pw)
	run("account-use " + fake.Address().Hex() + " " + pw)
	run("account")

	for _, name := range c.Names() {
		if name != "help" && name != "exit" && !seen[name] {
			t.Errorf("%s was not run with --json", name)
		}
	}
}
