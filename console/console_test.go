package console_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"

	"github.com/gobcos/gobcos/console"
	"github.com/gobcos/gobcos/crypto"
	"github.com/gobcos/gobcos/internal/cryptotest"
	"github.com/gobcos/gobcos/internal/nodetest"
	"github.com/gobcos/gobcos/node"
	"github.com/gobcos/gobcos/sdk"
)

// startChain runs a single-node ECDSA chain in-process and returns a
// client. governors, when given, replace the genesis committee (weight 1
// each).
func startChain(t *testing.T, governors ...common.Address) *sdk.Client {
	t.Helper()
	return startChainSuite(t, crypto.NameECDSA, governors...)
}

// startChainSuite is startChain with the chain's crypto suite.
func startChainSuite(t *testing.T, suite string, governors ...common.Address) *sdk.Client {
	t.Helper()
	var edit func(*node.Genesis)
	if len(governors) > 0 {
		edit = func(g *node.Genesis) {
			g.Committee = nil
			// The first compatibility version, so that the tests can
			// propose a real upgrade (to the version this binary supports).
			g.CompatibilityVersion = "0.1.0"
			for _, a := range governors {
				g.Committee = append(g.Committee, node.CommitteeMember{Address: a, Weight: 1})
			}
		}
	}
	n := nodetest.Dev(t, suite, edit)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c, err := sdk.Dial(ctx, "http://"+n.RPCAddr())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c
}

const artifacts = "../testdata/contracts/"

// TestScriptedSession drives every command of the console in scripted mode
// against a real node and checks each output, on an ECDSA chain (Ethereum
// txs) and an SM chain (native txs signed with SM2).
func TestScriptedSession(t *testing.T) {
	for _, suite := range []string{crypto.NameECDSA, crypto.NameSM} {
		t.Run(suite, func(t *testing.T) { testScriptedSession(t, suite) })
	}
}

func testScriptedSession(t *testing.T, suite string) {
	client := startChainSuite(t, suite)
	key := cryptotest.Key(t, client.Suite())
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	var out bytes.Buffer
	c := console.New(client, console.Options{Key: key, Out: &out, Timeout: 30 * time.Second})
	run := func(line string) string {
		t.Helper()
		out.Reset()
		if err := c.Exec(ctx, line); err != nil {
			t.Fatalf("%s: %v", line, err)
		}
		return out.String()
	}
	mustContain := func(what, got string, subs ...string) {
		t.Helper()
		for _, s := range subs {
			if !strings.Contains(got, s) {
				t.Fatalf("%s: output lacks %q:\n%s", what, s, got)
			}
		}
	}

	mustContain("info", run("info"), "groupId: "+client.GroupID(), "cryptoSuite: "+suite)
	mustContain("account", run("account"), key.Address().Hex())

	got := run("deploy " + artifacts + "Store.abi " + artifacts + "Store.bin 7")
	m := regexp.MustCompile(`contractAddress: (0x[0-9a-fA-F]{40})`).FindStringSubmatch(got)
	if m == nil {
		t.Fatalf("deploy output:\n%s", got)
	}
	addr := m[1]
	txm := regexp.MustCompile(`transactionHash: (0x[0-9a-f]{64})`).FindStringSubmatch(got)
	if txm == nil {
		t.Fatalf("deploy output:\n%s", got)
	}
	bm := regexp.MustCompile(`blockNumber: (\d+)`).FindStringSubmatch(got)
	if bm == nil {
		t.Fatalf("deploy output:\n%s", got)
	}

	mustContain("call get", run("call "+addr+" "+artifacts+"Store.abi get"), "(uint256) 7")
	got = run("send " + addr + " " + artifacts + "Store.abi set 42")
	mustContain("send", got, "status: 1", "event: ValueSet", "newValue: 42", "oldValue: 7")
	mustContain("call after send", run("call "+addr+" "+artifacts+"Store.abi get"), "(uint256) 42")
	mustContain("tx", run("tx "+txm[1]), "hash: "+txm[1])
	mustContain("receipt", run("receipt "+txm[1]), strings.ToLower(addr[2:]))
	mustContain("block N", run("block "+bm[1]), "number: "+bm[1], txm[1])
	mustContain("block latest", run("block latest"), "hash: 0x")
	mustContain("balance", run("balance "+key.Address().Hex()), "balance: ")
	mustContain("nodes", run("nodes"), "0x")
	mustContain("config", run("config"), "tx_gas_limit")
	got = run("proposals")
	if strings.TrimSpace(got) == "" {
		t.Fatal("proposals printed nothing")
	}
	mustContain("help", run("help"), "deploy", "proposals", "receipt")
	mustContain("help send", run("help send"), "ADDR|CNSNAME [ABIFILE] METHOD", "arrays ", "tuples ")

	// --json output parses.
	var jout bytes.Buffer
	jc := console.New(client, console.Options{Key: key, Out: &jout, JSON: true})
	if err := jc.RunScript(ctx, strings.NewReader("# comment\n\ninfo\ncall "+addr+" "+artifacts+"Store.abi get\n")); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(jout.String()), "\n")
	if len(lines) != 2 {
		t.Fatalf("json output:\n%s", jout.String())
	}
	var info map[string]any
	if err := json.Unmarshal([]byte(lines[0]), &info); err != nil || info["groupId"] != client.GroupID() {
		t.Fatalf("info json %q: %v", lines[0], err)
	}
	var res []string
	if err := json.Unmarshal([]byte(lines[1]), &res); err != nil || len(res) != 1 || res[0] != "42" {
		t.Fatalf("call json %q: %v", lines[1], err)
	}

	// A revert is an error, not a panic.
	if err := c.Exec(ctx, "send "+addr+" "+artifacts+"Store.abi set 0"); err == nil || !strings.Contains(err.Error(), "zero not allowed") {
		t.Fatalf("reverting send: %v", err)
	}
}

// TestScriptStopsAtFirstError checks bad input gives clear errors and a
// script stops at its first failing line.
func TestScriptStopsAtFirstError(t *testing.T) {
	client := startChain(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	var out bytes.Buffer
	c := console.New(client, console.Options{Out: &out})
	err := c.RunScript(ctx, strings.NewReader("info\nbogus 1\ninfo\n"))
	if !errors.Is(err, console.ErrUnknownCommand) || !strings.Contains(err.Error(), "line 2") {
		t.Fatalf("err = %v", err)
	}
	if strings.Count(out.String(), "groupId") != 1 {
		t.Fatalf("script went on after the error:\n%s", out.String())
	}
	for line, want := range map[string]error{
		"block x":            console.ErrBadArg,
		"block":              console.ErrUsage,
		"tx 0x12":            console.ErrBadArg,
		"balance nope":       console.ErrBadArg,
		"deploy a.abi b.bin": console.ErrNoKey,
		"send 0x0000000000000000000000000000000000000001 x.abi set 1":                      console.ErrNoKey,
		"call 0x0000000000000000000000000000000000000001 " + artifacts + "Store.abi nope":  console.ErrBadArg,
		"call 0x0000000000000000000000000000000000000001 " + artifacts + "Store.abi set x": console.ErrBadArg,
		"call 0x0000000000000000000000000000000000000001 " + artifacts + "Store.abi set":   console.ErrBadArg,
		"call 0x0000000000000000000000000000000000000001 " + artifacts + "Store.bin get":   console.ErrBadArg,
		"proposal x":     console.ErrBadArg,
		"account":        console.ErrNoKey,
		`info "unclosed`: console.ErrBadArg,
		"help nope":      console.ErrUnknownCommand,
	} {
		if err := c.Exec(ctx, line); !errors.Is(err, want) {
			t.Errorf("%s: err = %v, want %v", line, err, want)
		}
	}
	// Errors that come from the node or the file system are reported too.
	for _, line := range []string{
		"tx 0x" + strings.Repeat("ab", 32),
		"call 0x0000000000000000000000000000000000000001 missing.abi get",
		"call NoSuchName " + artifacts + "Store.abi get",
		"proposal 999",
		"config no_such_key",
	} {
		if err := c.Exec(ctx, line); err == nil {
			t.Errorf("%s: no error", line)
		} else {
			fmt.Fprintln(&out, err)
		}
	}
}

func TestComplete(t *testing.T) {
	c := console.New(nil, console.Options{})
	if got := c.Complete("proposa"); strings.Join(got, ",") != "proposal,proposals" {
		t.Fatalf("Complete(proposa) = %v", got)
	}
	if got := c.Complete("propose-f"); strings.Join(got, ",") != "propose-freeze" {
		t.Fatalf("Complete(propose-f) = %v", got)
	}
	if got := c.Complete("cns-"); strings.Join(got, ",") != "cns-gray,cns-gray-clear,cns-register,cns-resolve,cns-route,cns-versions" {
		t.Fatalf("Complete(cns-) = %v", got)
	}
	if got := c.Complete("propose-freeze freeze-"); strings.Join(got, ",") != "propose-freeze freeze-account,propose-freeze freeze-contract" {
		t.Fatalf("Complete(propose-freeze freeze-) = %v", got)
	}
	if got := c.Complete("events comm"); len(got) != 1 || got[0] != "events committee" {
		t.Fatalf("Complete(events comm) = %v", got)
	}
	if got := c.Complete("role-members reg"); len(got) != 1 || got[0] != "role-members regulator" {
		t.Fatalf("Complete(role-members reg) = %v", got)
	}
	if got := c.Complete("help rec"); len(got) != 1 || got[0] != "help receipt" {
		t.Fatalf("Complete(help rec) = %v", got)
	}
	if got := c.Complete("block 1"); got != nil {
		t.Fatalf("Complete(block 1) = %v", got)
	}
}

// TestGovernance proposes a config change with one governor's console and
// approves it with the other's vote, then reads it back.
func TestGovernance(t *testing.T) {
	g1 := cryptotest.Key(t, crypto.ECDSA())
	g2 := cryptotest.Key(t, crypto.ECDSA())
	client := startChain(t, g1.Address(), g2.Address())
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	s1 := newSession(t, ctx, console.Options{Key: g1}, client)
	s2 := newSession(t, ctx, console.Options{Key: g2}, client)
	s1.has("propose-config tx_count_limit 77", "event: ProposalCreated", "id: 1")
	s1.has("config tx_count_limit", "value: 1000")
	s1.has("proposal 1", "status: open", "change: tx_count_limit = 77")
	s2.has("vote 1 yes", "event: VoteCast", "ProposalExecuted")
	s1.has("config tx_count_limit", "value: 77")
	s1.has("proposals", "change: tx_count_limit = 77", "status: executed")
	s2.fails("vote 1 maybe", console.ErrBadArg)
	s2.fails("vote 1 yes", nil) // a second vote on an executed proposal
}

// TestHelpEveryCommand checks every command has a usage line and a
// description, and that docs/console.md lists it.
func TestHelpEveryCommand(t *testing.T) {
	var out bytes.Buffer
	c := console.New(nil, console.Options{Out: &out})
	doc, err := os.ReadFile("../docs/console.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range c.Names() {
		out.Reset()
		if err := c.Exec(context.Background(), "help "+name); err != nil {
			t.Errorf("help %s: %v", name, err)
			continue
		}
		if !strings.HasPrefix(out.String(), name) || len(strings.TrimSpace(out.String())) <= len(name)+5 {
			t.Errorf("help %s:\n%s", name, out.String())
		}
		if !strings.Contains(string(doc), "`"+name) {
			t.Errorf("docs/console.md does not list %s", name)
		}
	}
}
