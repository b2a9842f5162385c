package node_test

import (
	"context"
	"math/big"
	"strings"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"

	"github.com/gobcos/gobcos/crypto"
	"github.com/gobcos/gobcos/executor/precompiled"
	"github.com/gobcos/gobcos/internal/contracttest"
	"github.com/gobcos/gobcos/internal/cryptotest"
	"github.com/gobcos/gobcos/internal/nodetest"
	"github.com/gobcos/gobcos/node"
)

// TestGovernanceOnNode seeds the governance contracts from the genesis,
// changes a value by proposal (one governor: its proposal executes at
// once) and sees bcos_getSystemConfig report it; then freezes an account
// and sees the pool refuse its transaction.
func TestGovernanceOnNode(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cfg, gov := soloGovNode(t, node.CompatibilityVersion()) // as node init writes it
	g, err := node.LoadGenesis(cfg.Path(cfg.Genesis))
	if err != nil {
		t.Fatal(err)
	}
	n := runConfig(t, cfg)
	client := nodetest.Dial(t, ctx, n)
	get := func(key string) string {
		t.Helper()
		var out struct{ Key, Value string }
		if err := client.RPC().CallContext(ctx, &out, "bcos_getSystemConfig", key); err != nil {
			t.Fatal(err)
		}
		return out.Value
	}
	if v := get(precompiled.KeyTxCountLimit); v != "1000" {
		t.Fatalf("seeded tx_count_limit %q", v)
	}
	if v := get(precompiled.KeyCompatibilityVersion); v != node.CompatibilityVersion() {
		t.Fatalf("compatibility_version %q", v)
	}
	a, _ := precompiled.ABI(precompiled.CommitteeAddress)
	r, err := client.Contract(precompiled.CommitteeAddress, a).Transact(ctx, gov, "proposeConfig", precompiled.KeyTxCountLimit, "77", uint64(0))
	if err != nil || r.Status != 1 {
		t.Fatalf("proposeConfig: %v %+v", err, r)
	}
	// The value applies from the second block after the proposal's
	// (compatibility version 0.4.0): commit one more, then wait for it.
	commitSome(ctx, t, client, crypto.ECDSA(), 1)
	for deadline := time.Now().Add(20 * time.Second); get(precompiled.KeyTxCountLimit) != "77"; time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("tx_count_limit still %q", get(precompiled.KeyTxCountLimit))
		}
	}

	user := cryptotest.Key(t, crypto.ECDSA())
	// A tx before the freeze: the pool reads (and caches) the account's
	// status as not frozen; the freeze's commit must drop that.
	to := common.HexToAddress("0x1234")
	if _, err := client.SendNative(ctx, user, &to, nil, nil, 0); err != nil {
		t.Fatalf("tx of an account not frozen: %v", err)
	}
	r, err = client.Contract(precompiled.CommitteeAddress, a).Transact(ctx, gov, "proposeFreeze", user.Address(), precompiled.FreezeAccount, uint64(0))
	if err != nil || r.Status != 1 {
		t.Fatalf("proposeFreeze: %v %+v", err, r)
	}
	if _, err := client.SendNative(ctx, user, &to, nil, nil, 0); err == nil || !strings.Contains(err.Error(), "account is frozen") {
		t.Fatalf("tx of a frozen account: %v", err)
	}

	// The RPC lists the proposals and the node list; the Go accessor
	// gives the node list at a height.
	var props []struct {
		ID     hexutil.Uint64
		Kind   string
		Status string
	}
	if err := client.RPC().CallContext(ctx, &props, "bcos_getProposals"); err != nil {
		t.Fatal(err)
	}
	if len(props) != 2 || props[0].Kind != "config" || props[1].Kind != "freeze" || props[1].Status != "executed" {
		t.Fatalf("bcos_getProposals: %+v", props)
	}
	var one struct{ Proposer common.Address }
	if err := client.RPC().CallContext(ctx, &one, "bcos_getProposal", "0x1"); err != nil || one.Proposer != gov.Address() {
		t.Fatalf("bcos_getProposal: %+v %v", one, err)
	}
	if err := client.RPC().CallContext(ctx, &one, "bcos_getProposal", "0x9"); err == nil || !strings.Contains(err.Error(), "no proposal 9") {
		t.Fatalf("missing proposal: %v", err)
	}
	var nodes []struct {
		NodeID hexutil.Bytes
		Type   string
	}
	if err := client.RPC().CallContext(ctx, &nodes, "bcos_getConsensusNodes"); err != nil || len(nodes) != 1 || nodes[0].Type != "sealer" {
		t.Fatalf("bcos_getConsensusNodes: %+v %v", nodes, err)
	}
	if at, err := n.ConsensusNodes(1); err != nil || len(at) != 1 || string(at[0].ID) != string(g.Sealers[0]) {
		t.Fatalf("ConsensusNodes(1): %v %v", at, err)
	}

	// CNS: register a deployed contract, resolve it over the RPC.
	store := contracttest.Load(t, "Store")
	addr, _, err := client.Deploy(ctx, gov, store.ABI, store.Bin, big.NewInt(1))
	if err != nil {
		t.Fatal(err)
	}
	cns, _ := precompiled.ABI(precompiled.CNSAddress)
	if r, err := client.Contract(precompiled.CNSAddress, cns).Transact(ctx, gov, "register", "store", "1.0", addr, "[]"); err != nil || r.Status != 1 {
		t.Fatalf("register: %v %+v", err, r)
	}
	var res struct {
		Address common.Address
		Version string
	}
	if err := client.RPC().CallContext(ctx, &res, "bcos_resolveName", "store"); err != nil || res.Address != addr || res.Version != "1.0" {
		t.Fatalf("bcos_resolveName: %+v %v", res, err)
	}
	byName, err := client.ContractByName(ctx, "store", gov.Address(), store.ABI)
	if err != nil || byName.Address() != addr {
		t.Fatalf("ContractByName: %v", err)
	}
	if out, err := byName.Call(ctx, gov.Address(), "get"); err != nil || out[0].(*big.Int).Int64() != 1 {
		t.Fatalf("get() through the name: %v %v", out, err)
	}
	if _, _, err := client.ResolveName(ctx, "nothing", gov.Address()); err == nil || !strings.Contains(err.Error(), "no CNS name") {
		t.Fatalf("unknown name: %v", err)
	}
}
