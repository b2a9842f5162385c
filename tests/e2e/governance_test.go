package e2e

import (
	"context"
	binenc "encoding/binary"
	"fmt"
	"math/big"
	"strings"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/accounts/abi"
	"github.com/ethereum/go-ethereum/common"
	ethcrypto "github.com/ethereum/go-ethereum/crypto"

	"github.com/gobcos/gobcos/chainbuild"
	"github.com/gobcos/gobcos/crypto"
	"github.com/gobcos/gobcos/executor/precompiled"
	"github.com/gobcos/gobcos/internal/contracttest"
	"github.com/gobcos/gobcos/internal/govtest"
	"github.com/gobcos/gobcos/sdk"
)

// govChain is a 4-organisation PBFT chain of real node processes whose
// committee is the four organisations' admin accounts (weight 1 each,
// default thresholds 51% participation and 51% approval: a proposal needs
// three of the four votes), with an SDK client per node.
type govChain struct {
	t       *testing.T
	ctx     context.Context
	c       *cluster
	clients []*sdk.Client
	govs    []crypto.PrivateKey
	suite   crypto.Suite
	abis    map[common.Address]abi.ABI
	next    int // round-robin over the clients
}

func startGovChain(t *testing.T, ctx context.Context) *govChain {
	c := startCluster(t, 4, crypto.NameECDSA, "--orgs", "4")
	g := &govChain{t: t, ctx: ctx, c: c, suite: crypto.ECDSA(), abis: map[common.Address]abi.ABI{}}
	m, err := chainbuild.ReadManifest(c.dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Orgs) != 4 {
		t.Fatalf("manifest lists %d organisations, want 4", len(m.Orgs))
	}
	for _, o := range m.Orgs {
		k := govtest.OrgAdmin(t, c.dir, o.Name, g.suite)
		if k.Address() != o.Admin {
			t.Fatalf("org %s: admin key is %v, manifest says %v", o.Name, k.Address(), o.Admin)
		}
		g.govs = append(g.govs, k)
	}
	for _, nd := range c.nodes {
		cl, err := sdk.Dial(ctx, nd.rpcURL())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(cl.Close)
		g.clients = append(g.clients, cl)
	}
	for _, a := range []common.Address{precompiled.CommitteeAddress, precompiled.SystemConfigAddress,
		precompiled.PermissionAddress, precompiled.CNSAddress, precompiled.ConsensusNodesAddress} {
		x, ok := precompiled.ABI(a)
		if !ok {
			t.Fatalf("no ABI for %v", a)
		}
		g.abis[a] = x
	}
	return g
}

// client returns the next node's client: the test's transactions enter
// the chain through every node in turn.
func (g *govChain) client() *sdk.Client {
	cl := g.clients[g.next%len(g.clients)]
	g.next++
	return cl
}

func (g *govChain) send(key crypto.PrivateKey, to common.Address, method string, args ...any) (*sdk.Receipt, error) {
	ctx, cancel := context.WithTimeout(g.ctx, 60*time.Second)
	defer cancel()
	r, err := g.client().Contract(to, g.abis[to]).Transact(ctx, key, method, args...)
	if r != nil {
		g.settle(r.BlockNumber)
	}
	return r, err
}

// settle waits until every node has committed block h, so that reads on
// any node see the effects of a transaction in it.
func (g *govChain) settle(h uint64) {
	g.t.Helper()
	waitHeight(g.t, g.c.nodes, h, time.Minute, "every node commits the transaction's block")
}

func (g *govChain) mustSend(key crypto.PrivateKey, to common.Address, method string, args ...any) *sdk.Receipt {
	g.t.Helper()
	r, err := g.send(key, to, method, args...)
	if err != nil {
		g.t.Fatalf("%s: %v", method, err)
	}
	return r
}

// propose makes gov[0] propose (it votes for its own proposal) and
// returns the proposal id from the ProposalCreated event.
func (g *govChain) propose(method string, args ...any) uint64 {
	g.t.Helper()
	r := g.mustSend(g.govs[0], precompiled.CommitteeAddress, method, args...)
	return govtest.ProposalID(g.t, g.client().Contract(precompiled.CommitteeAddress, g.abis[precompiled.CommitteeAddress]), r)
}

// status reads a proposal's status on every node and requires them to
// agree.
func (g *govChain) status(id uint64) uint8 {
	g.t.Helper()
	var st uint8
	for i, cl := range g.clients {
		out, err := cl.Contract(precompiled.CommitteeAddress, g.abis[precompiled.CommitteeAddress]).Call(g.ctx, common.Address{}, "getProposal", id)
		if err != nil {
			g.t.Fatalf("getProposal %d on node%d: %v", id, i, err)
		}
		s := out[4].(uint8)
		if i > 0 && s != st {
			g.t.Fatalf("proposal %d: node0 says status %d, node%d says %d", id, st, i, s)
		}
		st = s
	}
	return st
}

// pass has gov[1] and gov[2] vote for proposal id: with the proposer's own
// vote, three of four, which executes it.
func (g *govChain) pass(id uint64) {
	g.t.Helper()
	g.mustSend(g.govs[1], precompiled.CommitteeAddress, "vote", id, true)
	g.mustSend(g.govs[2], precompiled.CommitteeAddress, "vote", id, true)
	if st := g.status(id); st != 2 {
		g.t.Fatalf("proposal %d: status %d after three of four votes, want 2 (executed)", id, st)
	}
}

// advance commits one more block (the chain makes no empty blocks): a
// config change voted in block N applies from block N+2 (compatibility
// version 0.4.0, new chains), so after one more block the values in force
// for the next block hold it; a freeze applies from N+1.
func (g *govChain) advance() {
	g.t.Helper()
	k, err := g.suite.GenerateKey()
	if err != nil {
		g.t.Fatal(err)
	}
	to := common.HexToAddress("0xbeef")
	ctx, cancel := context.WithTimeout(g.ctx, 60*time.Second)
	defer cancel()
	r, err := g.client().SendNativeWait(ctx, k, &to, nil, nil, 0)
	if err != nil {
		g.t.Fatalf("advance: %v", err)
	}
	g.settle(r.BlockNumber)
}

func (g *govChain) configEverywhere(key string) []string {
	g.t.Helper()
	var vals []string
	for i, cl := range g.clients {
		var out struct{ Value string }
		if err := cl.RPC().CallContext(g.ctx, &out, "bcos_getSystemConfig", key); err != nil {
			g.t.Fatalf("bcos_getSystemConfig on node%d: %v", i, err)
		}
		vals = append(vals, out.Value)
	}
	return vals
}

// TestGovernanceOnRealNodes drives the committee of a 4-organisation chain
// of real processes as its governors would: refusals (a non-governor
// proposes, a vote below the thresholds, a vote on an expired proposal),
// then a config change, an account freeze, the deploy allow-list with a
// deployer role, and a CNS gray route, each seen on every node; finally
// every action is in the chain's event history and the nodes agree on
// every block.
func TestGovernanceOnRealNodes(t *testing.T) {
	skipShort(t)
	ctx, cancel := context.WithTimeout(context.Background(), 8*time.Minute)
	defer cancel()
	g := startGovChain(t, ctx)
	waitHeight(t, g.c.nodes, 0, time.Minute, "nodes answer")

	// A non-governor cannot propose.
	outsider, err := g.suite.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	_, err = g.send(outsider, precompiled.CommitteeAddress, "proposeConfig", precompiled.KeyTxCountLimit, "500", uint64(0))
	if err == nil || !strings.Contains(err.Error(), "only governors may propose") {
		t.Fatalf("a non-governor's proposal: %v", err)
	}

	// Below the thresholds nothing executes: two of four votes.
	pConfig := g.propose("proposeConfig", precompiled.KeyTxCountLimit, "500", uint64(0))
	g.mustSend(g.govs[1], precompiled.CommitteeAddress, "vote", pConfig, true)
	if st := g.status(pConfig); st != 1 {
		t.Fatalf("config proposal with 2 of 4 votes: status %d, want 1 (open)", st)
	}
	g.advance()
	for i, v := range g.configEverywhere(precompiled.KeyTxCountLimit) {
		if v == "500" {
			t.Fatalf("node%d applies tx_count_limit 500 from a proposal below the thresholds", i)
		}
	}
	// The third vote executes it; it applies from the second block after
	// on every node: once one more block is committed, the values in force
	// for the next block hold it.
	g.mustSend(g.govs[2], precompiled.CommitteeAddress, "vote", pConfig, true)
	if st := g.status(pConfig); st != 2 {
		t.Fatalf("config proposal with 3 of 4 votes: status %d, want 2 (executed)", st)
	}
	g.advance()
	for i, v := range g.configEverywhere(precompiled.KeyTxCountLimit) {
		if v != "500" {
			t.Fatalf("node%d: tx_count_limit %q after the proposal executed, want 500", i, v)
		}
	}

	// An expired proposal cannot be voted.
	pExpiring := g.propose("proposeConfig", precompiled.KeyMinSealIntervalMs, "10", uint64(1))
	g.advance()
	g.advance()
	_, err = g.send(g.govs[1], precompiled.CommitteeAddress, "vote", pExpiring, true)
	if err == nil || !strings.Contains(err.Error(), "expired") {
		t.Fatalf("vote on an expired proposal: %v", err)
	}

	// A frozen account's transactions are refused by every node's pool.
	user, err := g.suite.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	pFreeze := g.propose("proposeFreeze", user.Address(), precompiled.FreezeAccount, uint64(0))
	g.pass(pFreeze)
	g.advance()
	to := common.HexToAddress("0x1234")
	for i, cl := range g.clients {
		if _, err := cl.SendNative(ctx, user, &to, nil, nil, 0); err == nil || !strings.Contains(err.Error(), "frozen") {
			t.Fatalf("node%d accepted a frozen account's tx: %v", i, err)
		}
	}

	// The deploy allow-list: once on, an account without the deployer
	// role cannot deploy; granted the role by proposal, it can.
	store := contracttest.Load(t, "Store")
	dev, err := g.suite.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	deploy := func() (common.Address, error) {
		dctx, dcancel := context.WithTimeout(ctx, 60*time.Second)
		defer dcancel()
		addr, r, err := g.client().Deploy(dctx, dev, store.ABI, store.Bin, big.NewInt(1))
		if r != nil {
			g.settle(r.BlockNumber)
		}
		return addr, err
	}
	if _, err := deploy(); err != nil {
		t.Fatalf("deploy with the allow-list off: %v", err)
	}
	pMode := g.propose("proposeDeployMode", true, uint64(0))
	g.pass(pMode)
	g.advance()
	if _, err := deploy(); err == nil || !strings.Contains(err.Error(), "allow-list") {
		t.Fatalf("deploy without the deployer role, allow-list on: %v", err)
	}
	pRole := g.propose("proposeRole", dev.Address(), uint8(precompiled.RoleDeployer), true, uint64(0))
	g.pass(pRole)
	g.advance()
	v1, err := deploy()
	if err != nil {
		t.Fatalf("deploy with the deployer role: %v", err)
	}
	v2, err := deploy()
	if err != nil {
		t.Fatal(err)
	}

	// CNS: two versions of a name with a 30% gray share for version 2.
	const name, shareB = "store", 3000
	g.mustSend(dev, precompiled.CNSAddress, "register", name, "1", v1, "[]")
	g.mustSend(dev, precompiled.CNSAddress, "register", name, "2", v2, "[]")
	g.mustSend(dev, precompiled.CNSAddress, "setGray", name, "1", "2", uint16(shareB))
	const senders = 400
	toB := 0
	for i := range senders {
		sender := common.BytesToAddress(ethcrypto.Keccak256([]byte(fmt.Sprintf("sender %d", i))))
		// The rule CNS.sol documents, computed here on its own.
		bucket := binenc.BigEndian.Uint64(ethcrypto.Keccak256(append([]byte(name), sender[:]...))[:8]) % 10000
		wantAddr, wantVer := v1, "1"
		if bucket < shareB {
			wantAddr, wantVer = v2, "2"
			toB++
		}
		for j := range 2 { // two different nodes answer alike
			addr, ver, err := g.clients[(i+j)%len(g.clients)].ResolveName(ctx, name, sender)
			if err != nil {
				t.Fatal(err)
			}
			if addr != wantAddr || ver != wantVer {
				t.Fatalf("sender %v (bucket %d): resolved %v version %s, want %v version %s", sender, bucket, addr, ver, wantAddr, wantVer)
			}
		}
	}
	t.Logf("gray route: %d of %d senders resolved to version 2", toB, senders)
	if share := float64(toB) / senders; share < 0.2 || share > 0.4 {
		t.Fatalf("a 30%% gray route sent %.1f%% of %d senders to version 2", 100*share, senders)
	}

	// Every action is in the event history, the same on every node.
	want := map[string]int{
		"ProposalCreated":      5, // config, expiring config, freeze, deploy mode, role
		"VoteCast":             5 + 4*2,
		"ProposalExecuted":     4,
		"ConfigChanged":        1,
		"AccountStatusChanged": 1,
		"DeployModeChanged":    1,
		"RoleChanged":          1,
		"NameRegistered":       2,
		"GrayRouteSet":         1,
	}
	var first map[string]int
	for i, cl := range g.clients {
		got := g.eventCounts(cl)
		for ev, n := range want {
			if got[ev] != n {
				t.Fatalf("node%d: %d %s events, want %d (all: %v)", i, got[ev], ev, n, got)
			}
		}
		if i == 0 {
			first = got
		} else if fmt.Sprint(got) != fmt.Sprint(first) {
			t.Fatalf("node%d event history %v differs from node0's %v", i, got, first)
		}
	}
	h := g.c.maxHeight()
	waitHeight(t, g.c.nodes, h, time.Minute, "all nodes at the head")
	sameChain(t, g.c.nodes, h)
}

// eventCounts counts the governance contracts' events from genesis to
// the head, by event name, as one client sees them.
func (g *govChain) eventCounts(cl *sdk.Client) map[string]int {
	g.t.Helper()
	from := uint64(0)
	var addrs []common.Address
	for a := range g.abis {
		addrs = append(addrs, a)
	}
	logs, err := cl.FilterLogs(g.ctx, sdk.FilterQuery{FromBlock: &from, Addresses: addrs})
	if err != nil {
		g.t.Fatal(err)
	}
	counts := map[string]int{}
	for _, l := range logs {
		a := g.abis[l.Address]
		ev, err := a.EventByID(l.Topics[0])
		if err != nil {
			g.t.Fatalf("log of %v with unknown topic %v", l.Address, l.Topics[0])
		}
		counts[ev.Name]++
	}
	return counts
}
