package console_test

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common/hexutil"

	"github.com/gobcos/gobcos/console"
	"github.com/gobcos/gobcos/crypto"
	"github.com/gobcos/gobcos/internal/cryptotest"
)

var reProposal = regexp.MustCompile(`proposalId: (\d+)`)

// proposed runs a propose line and returns the new proposal's id.
func (s *session) proposed(line string, status string) string {
	s.t.Helper()
	got := s.has(line, "event: ProposalCreated", "proposalStatus: "+status)
	m := reProposal.FindStringSubmatch(got)
	if m == nil {
		s.t.Fatalf("%s: no proposal id:\n%s", line, got)
	}
	return m[1]
}

// TestGovernanceCommands drives every proposal kind through the console
// with two governors (the second's vote executes), plus the refusals: a
// non-governor proposes, a vote on an expired proposal, a revoke by
// someone else, a doomed proposal.
func TestGovernanceCommands(t *testing.T) {
	g1 := cryptotest.Key(t, crypto.ECDSA())
	g2 := cryptotest.Key(t, crypto.ECDSA())
	user := cryptotest.Key(t, crypto.ECDSA())
	fake := cryptotest.Key(t, crypto.ECDSA()) // a node that never runs
	client := startChain(t, g1.Address(), g2.Address())
	ctx, cancel := context.WithTimeout(context.Background(), 180*time.Second)
	defer cancel()
	s1 := newSession(t, ctx, console.Options{Key: g1}, client)
	s2 := newSession(t, ctx, console.Options{Key: g2}, client)
	u := newSession(t, ctx, console.Options{Key: user}, client)
	userAddr := user.Address().Hex()
	// pass has g1 propose and g2 vote for; the vote executes the change.
	pass := func(line string) string {
		t.Helper()
		id := s1.proposed(line, "open")
		s2.has("vote "+id+" yes", "event: VoteCast", "event: ProposalExecuted")
		s1.has("proposal "+id, "status: executed")
		return id
	}

	// Status changes apply from the next block: tick makes one.
	tick := func() {
		t.Helper()
		s2.deployed("deploy " + artifacts + "Store.abi " + artifacts + "Store.bin 3")
	}
	s1.has("committee", "governors:", g1.Address().Hex(), g2.Address().Hex(), "deployAllowList: false", "proposalCount: 0")
	u.fails("propose-config tx_count_limit 5", nil, "is not a governor: only governors may propose")
	u.fails("propose-governor "+userAddr+" 1", nil, "only governors may propose")
	s1.fails("propose-config tx_count_limit x", nil, "tx_count_limit")
	s1.fails("propose-freeze melt "+userAddr, console.ErrBadArg, "want one of")
	s1.fails("propose-role "+userAddr+" king grant", console.ErrBadArg, "role \"king\"")
	s1.fails("propose-deploy-mode maybe", console.ErrBadArg, "allow-list or open")
	s1.fails("propose-thresholds 300 50", console.ErrBadArg, "participation")
	s1.fails("propose-add-observer nothex", console.ErrBadArg, "node id")
	s1.fails("propose-upgrade 0.1.0", nil, "versions only rise")
	s1.fails("propose-upgrade 99.0.0", nil, "not supported by this binary")

	// Config.
	pass("propose-config tx_count_limit 77")
	s1.has("config tx_count_limit", "value: 77")

	// Roles; the operator grants the deployer role directly.
	pass("propose-role " + userAddr + " operator grant")
	s1.has("role-members operator", userAddr)
	s1.has("permissions "+userAddr, "roles:", "- operator", "frozen: false")
	u.has("grant-deployer "+g2.Address().Hex(), "event: RoleChanged")
	s1.has("role-members deployer", g2.Address().Hex())
	u.has("revoke-deployer "+g2.Address().Hex(), "event: RoleChanged")
	s1.fails("grant-deployer "+userAddr, nil, "operator")

	// The deploy allow-list mode.
	pass("propose-deploy-mode allow-list")
	s1.has("committee", "deployAllowList: true")
	pass("propose-deploy-mode open")

	// Thresholds.
	pass("propose-thresholds 60 60")
	s1.has("committee", "participation: 60", "approval: 60")

	// Freeze and unfreeze an account, by proposal and by a regulator.
	victim := cryptotest.Key(t, crypto.ECDSA())
	pass("propose-freeze freeze-account " + victim.Address().Hex())
	tick()
	s1.has("permissions "+victim.Address().Hex(), "frozen: true")
	pass("propose-freeze unfreeze-account " + victim.Address().Hex())
	tick()
	s1.has("permissions "+victim.Address().Hex(), "frozen: false")
	pass("propose-role " + userAddr + " regulator grant")
	u.has("freeze-account "+victim.Address().Hex(), "event: AccountStatusChanged")
	tick()
	s1.has("permissions "+victim.Address().Hex(), "frozen: true")
	u.has("unfreeze-account "+victim.Address().Hex(), "event: AccountStatusChanged")

	// A contract: its admin manages method access; a proposal resets the
	// admin; a regulator freezes it; a proposal abolishes it.
	store := s1.deployed("deploy " + artifacts + "Store.abi " + artifacts + "Store.bin 7")
	s1.has("permissions "+store, "contractStatus: normal")
	pass("propose-reset-admin " + store + " " + userAddr)
	s1.has("permissions "+store, "admin: "+userAddr)
	s1.fails("method-mode "+store+" set(uint256) allow-list", nil, "admin")
	u.has("method-mode "+store+" 'set(uint256)' allow-list", "event: MethodAuthModeSet")
	s1.has("method-auth "+store+" set(uint256) "+g1.Address().Hex(), "mode: allow-list", "listed: false", "allowed: false")
	u.has("method-list "+store+" set(uint256) "+g1.Address().Hex()+" add", "event: MethodAuthSet")
	s1.has("method-auth "+store+" 0x60fe47b1 "+g1.Address().Hex(), "listed: true", "allowed: true", "selector: 0x60fe47b1")
	// With permission_check on, only the listed account may call set.
	pass("propose-config permission_check 1")
	tick()
	s1.has("send "+store+" "+artifacts+"Store.abi set 9", "status: 1", "event: ValueSet")
	s2.fails("send "+store+" "+artifacts+"Store.abi set 10", nil, "may not call function 0x60fe47b1")
	s1.has("call "+store+" "+artifacts+"Store.abi get", "(uint256) 9")
	s1.fails("method-mode "+store+" set allow-list", console.ErrBadArg, "signature")
	s1.fails("method-list "+store+" set(uint256) "+g1.Address().Hex()+" maybe", console.ErrBadArg, "add or remove")
	s1.fails("method-mode "+store+" set(uint256) sometimes", console.ErrBadArg, "open, allow-list or deny-list")
	u.has("freeze-contract "+store, "event: ContractStatusChanged")
	tick()
	s1.has("permissions "+store, "contractStatus: frozen")
	u.has("unfreeze-contract "+store, "event: ContractStatusChanged")
	pass("propose-freeze abolish-contract " + store)
	tick()
	s1.has("permissions "+store, "contractStatus: abolished")

	// Consensus nodes: add an observer, reweigh the sealer, remove the
	// observer; adding the absent node as a sealer is voted down; removing
	// the only sealer is refused.
	var nodesOut bytes.Buffer
	jn := console.New(client, console.Options{Out: &nodesOut, JSON: true})
	if err := jn.Exec(ctx, "nodes"); err != nil {
		t.Fatal(err)
	}
	var nodes []struct {
		NodeID string `json:"nodeId"`
	}
	if err := json.Unmarshal(nodesOut.Bytes(), &nodes); err != nil || len(nodes) != 1 {
		t.Fatalf("nodes json %q: %v", nodesOut.String(), err)
	}
	sealer, fakeID := nodes[0].NodeID, hexutil.Encode(fake.PublicKey())
	pass("propose-add-observer " + fakeID)
	s1.has("nodes", "type: observer", "type: sealer")
	pass("propose-node-weight " + sealer + " 3")
	s1.has("nodes", "weight: 3")
	pass("propose-remove-node " + fakeID)
	s1.fails("propose-remove-node "+sealer, nil, "fewer than the minimum")
	id := s1.proposed("propose-add-sealer "+fakeID+" 2", "open")
	s1.has("proposal "+id, "change: add sealer "+fakeID+" weight 2")
	s2.has("vote "+id+" no", "event: ProposalRejected")
	s1.has("proposal "+id, "status: rejected")

	// Revoke: only the proposer, only while open.
	id = s1.proposed("propose-upgrade 0.2.0", "open")
	s1.has("proposal "+id, "change: compatibility_version = 0.2.0")
	s2.fails("revoke "+id, nil, "only the proposer")
	s1.has("revoke "+id, "event: ProposalRevoked")
	s1.has("proposal "+id, "status: revoked")
	s2.fails("vote "+id+" yes", nil, "is revoked, not open")

	// Expiry: a proposal open for 1 block cannot be voted two blocks on.
	id = s1.proposed("propose-config tx_count_limit 500 1", "open")
	s1.deployed("deploy " + artifacts + "Store.abi " + artifacts + "Store.bin 1")
	s1.deployed("deploy " + artifacts + "Store.abi " + artifacts + "Store.bin 2")
	s1.has("proposal "+id, "status: expired")
	s2.fails("vote "+id+" yes", nil, "expired at block")

	// Governors: add the user, then remove it.
	pass("propose-governor " + userAddr + " 2")
	s1.has("committee", userAddr)
	id = s1.proposed("propose-governor "+userAddr+" 0", "open")
	s1.has("proposal "+id, "change: remove governor "+userAddr)
	s2.has("vote "+id+" yes", "VoteCast")
	u.has("vote "+id+" yes", "ProposalExecuted")

	// The listing, with statuses and changes.
	s1.has("proposals 1 100", "change: tx_count_limit = 77", "change: grant operator "+userAddr,
		"change: deploy allow-list on", "change: participation 60%, approval 60%",
		"change: freeze-account "+victim.Address().Hex(), "change: admin of "+store+" = "+userAddr,
		"change: abolish-contract "+store, "change: add observer "+fakeID, "change: set weight "+sealer+" weight 3",
		"status: executed", "status: rejected", "status: revoked", "status: expired")

	// The history has every action as an event.
	h := s1.has("history", "Committee.ProposalCreated(", "Committee.VoteCast(", "Committee.ProposalExecuted(",
		"Committee.ProposalRejected(", "Committee.ProposalRevoked(", "Committee.GovernorChanged(", "Committee.ThresholdsChanged(",
		"SystemConfig.ConfigChanged(key=\"tx_count_limit\", value=\"77\"", "Permission.RoleChanged(account="+userAddr,
		"Permission.AccountStatusChanged(", "Permission.ContractStatusChanged(", "Permission.DeployModeChanged(allowList=true)",
		"Permission.AdminChanged(", "Permission.MethodAuthModeSet(", "Permission.MethodAuthSet(", "ConsensusNodes.NodeChanged(")
	if strings.Count(h, "ProposalCreated(") != 19 {
		t.Fatalf("history has too few proposals:\n%s", h)
	}
	s1.has("events committee 0 latest", "ProposalCreated(id=1, proposer="+g1.Address().Hex(), `change="tx_count_limit = 77"`)
	s1.has("events permission", "RoleChanged(")
	// An event name keeps only those events.
	if got := s1.has("events committee VoteCast 0 latest", "VoteCast(id=1, voter="); strings.Contains(got, "ProposalCreated(") {
		t.Fatalf("events filtered by VoteCast show other events:\n%s", got)
	}
	s1.has("events committee ProposalExecuted", "ProposalExecuted(id=1)")
	s1.fails("events committee NoSuchEvent", console.ErrBadArg, `no event "NoSuchEvent"`)
	s1.fails("history 10 5", console.ErrBadArg, "empty")
	s1.fails("history 100000", console.ErrBadArg, "past the head")
	s1.has("history 0 18446744073709551615", "events") // TO is capped at the head
	s1.fails("events committee 0 x", console.ErrBadArg, "want a number or latest")

	// --json for a proposal and the history.
	var jout bytes.Buffer
	jc := console.New(client, console.Options{Key: g1, Out: &jout, JSON: true})
	if err := jc.Exec(ctx, "propose-config tx_gas_limit 400000000"); err != nil {
		t.Fatal(err)
	}
	var res map[string]any
	if err := json.Unmarshal(jout.Bytes(), &res); err != nil || res["proposalStatus"] != "open" || res["proposalId"] == nil {
		t.Fatalf("propose json %q: %v", jout.String(), err)
	}
	jout.Reset()
	if err := jc.Exec(ctx, "history"); err != nil {
		t.Fatal(err)
	}
	var evs []map[string]any
	if err := json.Unmarshal(jout.Bytes(), &evs); err != nil || len(evs) < 40 || evs[0]["contract"] == nil {
		t.Fatalf("history json: %v", err)
	}
}

// TestAccountCommands creates, imports, lists and switches keystore
// accounts, then signs with the new account.
func TestAccountCommands(t *testing.T) {
	for _, suite := range []string{crypto.NameECDSA, crypto.NameSM} {
		t.Run(suite, func(t *testing.T) { testAccountCommands(t, suite) })
	}
}

func testAccountCommands(t *testing.T, suite string) {
	client := startChainSuite(t, suite)
	ctx, cancel := context.WithTimeout(context.Background(), 120*time.Second)
	defer cancel()
	dir := t.TempDir()
	ks := filepath.Join(dir, "keys")
	pw := filepath.Join(dir, "pw")
	if err := os.WriteFile(pw, []byte("secret\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	s := newSession(t, ctx, console.Options{KeystoreDir: ks, LightKDF: true}, client)
	s.has("accounts", "no accounts in "+ks)
	s.fails("account", console.ErrNoKey)
	s.fails("account-new", console.ErrBadArg, "password file")
	got := s.has("account-new "+pw, "address: 0x", "file: "+ks)
	first := regexp.MustCompile(`address: (0x[0-9a-fA-F]{40})`).FindStringSubmatch(got)[1]
	s.has("account", "address: "+first)
	s.deployed("deploy " + artifacts + "Store.abi " + artifacts + "Store.bin 7") // signs with the new key

	imported := cryptotest.Key(t, client.Suite())
	hexFile := filepath.Join(dir, "key.hex")
	if err := os.WriteFile(hexFile, []byte(hexutil.Encode(imported.Bytes())+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	got = s.has("account-import "+hexFile+" "+pw, "address: "+imported.Address().Hex())
	s.fails("account-import "+hexFile+" "+pw, nil, "already holds a key")
	s.has("accounts", first, imported.Address().Hex(), "current: true")
	s.has("account-use "+imported.Address().Hex()+" "+pw, "address: "+imported.Address().Hex())
	s.has("account", "address: "+imported.Address().Hex())
	s.fails("account-use "+first+" "+hexFile, nil, "")
	s.fails("account-import "+pw+" "+pw, console.ErrBadArg, "neither a keystore file nor")
	s.fails("account-import "+filepath.Join(dir, "missing")+" "+pw, nil, "key file")

	// An encrypted keystore file from elsewhere imports with its own password.
	other := newSession(t, ctx, console.Options{KeystoreDir: filepath.Join(dir, "other"), LightKDF: true}, client)
	got = other.has("account-new "+pw, "file: ")
	file := regexp.MustCompile(`file: (\S+)`).FindStringSubmatch(got)[1]
	addr := regexp.MustCompile(`address: (0x[0-9a-fA-F]{40})`).FindStringSubmatch(got)[1]
	s.has("account-import "+file+" "+pw, "address: "+addr)
	s.has("account-use "+file+" "+pw, "address: "+addr)

	// With a terminal, the console prompts (twice for a new key).
	var prompts []string
	answers := []string{"pw1", "pw1", "pw2", "other"}
	p := newSession(t, ctx, console.Options{KeystoreDir: ks, LightKDF: true, Password: func(prompt string) (string, error) {
		prompts = append(prompts, prompt)
		a := answers[0]
		answers = answers[1:]
		return a, nil
	}}, client)
	p.has("account-new", "address: 0x")
	p.fails("account-new", nil, "do not match")
	if len(prompts) != 4 || !strings.Contains(prompts[1], "Repeat") {
		t.Fatalf("prompts: %q", prompts)
	}

	// --json lists the accounts.
	var jout bytes.Buffer
	jc := console.New(client, console.Options{KeystoreDir: ks, Out: &jout, JSON: true})
	if err := jc.Exec(ctx, "accounts"); err != nil {
		t.Fatal(err)
	}
	var list []map[string]any
	if err := json.Unmarshal(jout.Bytes(), &list); err != nil || len(list) != 4 {
		t.Fatalf("accounts json %q: %v", jout.String(), err)
	}
}
