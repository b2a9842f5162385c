package executor

import (
	"context"
	"math/big"
	"strings"
	"testing"

	"github.com/ethereum/go-ethereum/common"

	"github.com/gobcos/gobcos/crypto"
	"github.com/gobcos/gobcos/executor/precompiled"
	"github.com/gobcos/gobcos/types"
)

var (
	committee = precompiled.CommitteeAddress
	sysConfig = precompiled.SystemConfigAddress
	nodesAddr = precompiled.ConsensusNodesAddress
	permAddr  = precompiled.PermissionAddress
	cnsAddr   = precompiled.CNSAddress
)

func TestCommitteeVoting(t *testing.T) {
	gs := signers(t, 4) // three governors (weights 1, 1, 2) and an outsider
	g := newGovChain(t, precompiled.GovernanceGenesis{
		Governors:     []precompiled.Governor{{Address: gs[0].addr(), Weight: 1}, {Address: gs[1].addr(), Weight: 1}, {Address: gs[2].addr(), Weight: 2}},
		Participation: 75, Approval: 60,
		Sealers: [][]byte{nodeID(t)},
		Config:  map[string]string{precompiled.KeyTxCountLimit: "1000", precompiled.KeyBlockGasLimit: "300000000"},
	}, nil)
	limit := func() string {
		return g.view(common.Address{}, sysConfig, "getValueByKey", precompiled.KeyTxCountLimit)[0].(string)
	}

	g.refused("only governors may propose", gs[3], committee, "proposeConfig", precompiled.KeyTxCountLimit, "500", uint64(0))
	g.refused("must be a decimal integer from 1 to 100000", gs[0], committee, "proposeConfig", precompiled.KeyTxCountLimit, "0", uint64(0))
	g.refused("unknown system config key", gs[0], committee, "proposeConfig", "nope", "1", uint64(0))
	g.refused("upgrade proposal", gs[0], committee, "proposeConfig", precompiled.KeyCompatibilityVersion, "9.0.0", uint64(0))
	g.refused("at most", gs[0], committee, "proposeConfig", precompiled.KeyTxCountLimit, "500", uint64(precompiled.MaxProposalTTL+1))
	g.refused("values change only by proposal", gs[0], sysConfig, "setValueByKey", precompiled.KeyTxCountLimit, "500")

	// Proposal 1: the proposer's vote (1 of 4) and a second (2 of 4) are
	// below the 75% participation: nothing executes.
	r := g.ok(gs[0], committee, "proposeConfig", precompiled.KeyTxCountLimit, "500", uint64(0))
	if !hasEvent(r, committee, "ProposalCreated(uint64,address,uint8,uint64,bytes)") || !hasEvent(r, committee, "VoteCast(uint64,address,bool,uint64)") {
		t.Fatalf("propose logged %d events", len(r.Logs))
	}
	g.refused("already voted", gs[0], committee, "vote", uint64(1), true)
	g.refused("only governors may vote", gs[3], committee, "vote", uint64(1), true)
	g.ok(gs[1], committee, "vote", uint64(1), true)
	if st := g.proposalStatus(1); st != precompiled.StatusOpen || limit() != "1000" {
		t.Fatalf("below threshold: status %s, limit %s", st, limit())
	}
	// The weight-2 governor decides: executed in the same transaction.
	r = g.ok(gs[2], committee, "vote", uint64(1), true)
	if !hasEvent(r, committee, "ProposalExecuted(uint64)") || !hasEvent(r, sysConfig, "ConfigChanged(string,string,uint64)") {
		t.Fatalf("deciding vote did not execute: %d logs", len(r.Logs))
	}
	executedAt := g.number
	if st := g.proposalStatus(1); st != precompiled.StatusExecuted || limit() != "500" {
		t.Fatalf("after the deciding vote: status %s, limit %s", st, limit())
	}
	// The change applies from the next block: the reader shows both sides.
	for blk, want := range map[uint64]string{executedAt: "1000", executedAt + 1: "500"} {
		cfg, err := g.gov().SystemConfig(blk)
		if err != nil || cfg[precompiled.KeyTxCountLimit].Value != want {
			t.Fatalf("config at %d: %v %v, want %s", blk, cfg, err, want)
		}
	}
	g.refused("is executed, not open", gs[3-2], committee, "vote", uint64(1), true)

	// Proposal 2: rejected once approval can no longer be reached.
	g.ok(gs[0], committee, "proposeConfig", precompiled.KeyTxCountLimit, "700", uint64(0))
	r = g.ok(gs[2], committee, "vote", uint64(2), false)
	if st := g.proposalStatus(2); st != precompiled.StatusRejected || !hasEvent(r, committee, "ProposalRejected(uint64)") || limit() != "500" {
		t.Fatalf("proposal 2: %s, limit %s", st, limit())
	}

	// Proposal 3 expires: two blocks to live.
	g.ok(gs[0], committee, "proposeConfig", precompiled.KeyTxCountLimit, "800", uint64(2))
	g.block()
	g.block()
	g.refused("proposal 3 expired at block", gs[2], committee, "vote", uint64(3), true)
	if st := g.proposalStatus(3); st != precompiled.StatusExpired {
		t.Fatalf("proposal 3: %s", st)
	}

	// Proposal 4 is revoked by its proposer only.
	g.ok(gs[0], committee, "proposeConfig", precompiled.KeyTxCountLimit, "900", uint64(0))
	g.refused("only the proposer", gs[1], committee, "revoke", uint64(4))
	r = g.ok(gs[0], committee, "revoke", uint64(4))
	if !hasEvent(r, committee, "ProposalRevoked(uint64)") || g.proposalStatus(4) != precompiled.StatusRevoked {
		t.Fatalf("revoke")
	}
	g.refused("is revoked, not open", gs[2], committee, "vote", uint64(4), true)
	g.refused("no proposal 99", gs[2], committee, "vote", uint64(99), true)

	// Governor and threshold changes: a new governor, then thresholds that
	// let one heavy governor decide alone.
	id := g.view(common.Address{}, committee, "proposalCount")[0].(uint64) + 1
	g.ok(gs[2], committee, "proposeGovernor", gs[3].addr(), uint64(1), uint64(0))
	r = g.ok(gs[0], committee, "vote", id, true)
	if !hasEvent(r, committee, "GovernorChanged(address,uint64)") {
		t.Fatalf("governor change not executed")
	}
	govs := g.view(common.Address{}, committee, "getGovernors")
	if len(govs[0].([]common.Address)) != 4 {
		t.Fatalf("governors %v", govs)
	}
	g.refused("thresholds are percentages", gs[0], committee, "proposeThresholds", uint8(0), uint8(50), uint64(0))
	g.ok(gs[2], committee, "proposeThresholds", uint8(40), uint8(50), uint64(0))
	g.ok(gs[3], committee, "vote", id+1, true)
	g.ok(gs[0], committee, "vote", id+1, true)
	if th := g.view(common.Address{}, committee, "getThresholds"); th[0].(uint8) != 40 || th[1].(uint8) != 50 {
		t.Fatalf("thresholds %v", th)
	}
	g.ok(gs[2], committee, "proposeUpgrade", precompiled.CompatV0_2, uint64(0)) // 2 of 5 = 40%: executes at once
	g.refused("versions only rise", gs[2], committee, "proposeUpgrade", precompiled.CompatV0_1, uint64(0))
	if v := g.view(common.Address{}, sysConfig, "getValueByKey", precompiled.KeyCompatibilityVersion)[0].(string); v != precompiled.CompatV0_2 {
		t.Fatalf("compatibility version %q", v)
	}
	// A key the genesis did not set: absent until its first value applies.
	if out := g.call(gs[0].addr(), sysConfig, govPack(t, sysConfig, "getValueByKey", precompiled.KeyLeaderPeriod)); !strings.Contains(out.ErrorMessage(), "not set on this chain") {
		t.Fatalf("unset key: %q", out.ErrorMessage())
	}
	g.ok(gs[2], committee, "proposeConfig", precompiled.KeyLeaderPeriod, "5", uint64(0))
	for blk, want := range map[uint64]string{g.number: "", g.number + 1: "5"} {
		if cfg, err := g.gov().SystemConfig(blk); err != nil || cfg[precompiled.KeyLeaderPeriod].Value != want {
			t.Fatalf("leader_period at %d: %v %v", blk, cfg, err)
		}
	}

	// Through a contract: reads in a static call are fine, writes are not.
	caller := loadContract(t, "Caller")
	cAddr := g.receipt(gs[0].tx(t, nil, nil, caller.bin, 0)).ContractAddress
	for method, want := range map[string]string{"proposalCount": "", "proposeConfig": "changes state"} {
		data := govPack(t, committee, "proposalCount")
		if method == "proposeConfig" {
			data = govPack(t, committee, method, precompiled.KeyTxCountLimit, "5", uint64(0))
		}
		r := g.receipt(gs[0].tx(t, &cAddr, nil, caller.pack(t, "doStatic", committee, data), 0))
		mustSucceed(t, r)
		v := caller.unpack(t, "doStatic", r.Output)
		if v[0].(bool) != (want == "") || !strings.Contains(string(v[1].([]byte)), want) {
			t.Fatalf("static %s: %v %q", method, v[0], v[1])
		}
	}
}

func TestConsensusNodes(t *testing.T) {
	gs := signers(t, 2)
	a, b, c, d := nodeID(t), nodeID(t), nodeID(t), nodeID(t)
	g := newGovChain(t, precompiled.GovernanceGenesis{
		Governors:     []precompiled.Governor{{Address: gs[0].addr(), Weight: 1}, {Address: gs[1].addr(), Weight: 1}},
		Participation: 100, Approval: 100,
		Sealers: [][]byte{a, b}, Observers: [][]byte{c}, MinSealers: 1,
	}, nil)
	pass := func(op uint8, id []byte, w uint64) uint64 {
		t.Helper()
		g.ok(gs[0], committee, "proposeNode", op, id, w, uint64(0))
		n := g.view(common.Address{}, committee, "proposalCount")[0].(uint64)
		r := g.ok(gs[1], committee, "vote", n, true)
		if !hasEvent(r, nodesAddr, "NodeChanged(bytes,uint8,uint64,uint64)") {
			t.Fatalf("node change %d not executed", op)
		}
		return g.number
	}
	sealers := func(h uint64) int {
		ns, err := g.gov().Nodes(h)
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, x := range ns {
			if x.Type == precompiled.NodeSealer {
				n++
			}
		}
		return n
	}

	at := pass(precompiled.NodeOpAddObserver, d, 0)
	before, _ := g.gov().Nodes(at)
	after, _ := g.gov().Nodes(at + 1)
	if len(before) != 3 || len(after) != 4 {
		t.Fatalf("observer added in block %d: %d nodes at it, %d after", at, len(before), len(after))
	}
	at = pass(precompiled.NodeOpAddSealer, c, 3) // promote the observer
	if sealers(at) != 2 || sealers(at+1) != 3 {
		t.Fatalf("promotion: %d then %d sealers", sealers(at), sealers(at+1))
	}
	v := g.view(common.Address{}, nodesAddr, "getNode", c)
	if v[0].(uint8) != uint8(precompiled.NodeSealer) || v[1].(uint64) != 3 || v[2].(uint64) != at+1 {
		t.Fatalf("getNode %v", v)
	}
	pass(precompiled.NodeOpSetWeight, c, 5)
	if s := g.view(common.Address{}, nodesAddr, "getSealers"); len(s[0].([][]byte)) != 3 || s[1].([]uint64)[2] != 5 {
		t.Fatalf("getSealers %v", s)
	}
	pass(precompiled.NodeOpRemove, d, 0)
	if o := g.view(common.Address{}, nodesAddr, "getObservers"); len(o[0].([][]byte)) != 0 {
		t.Fatalf("observers %v", o)
	}

	g.refused("already a sealer", gs[0], committee, "proposeNode", precompiled.NodeOpAddSealer, a, uint64(1), uint64(0))
	g.refused("65-byte uncompressed public key", gs[0], committee, "proposeNode", precompiled.NodeOpAddSealer, []byte{1, 2}, uint64(1), uint64(0))
	g.refused("not in the node list", gs[0], committee, "proposeNode", precompiled.NodeOpRemove, d, uint64(0), uint64(0))
	g.refused("weight must be at least 1", gs[0], committee, "proposeNode", precompiled.NodeOpAddSealer, d, uint64(0), uint64(0))
	g.refused("only by proposal", gs[0], nodesAddr, "addSealer", d, uint64(1))

	// Down to one sealer, then the minimum refuses the last removal.
	pass(precompiled.NodeOpRemove, a, 0)
	g.ok(gs[0], committee, "proposeNode", precompiled.NodeOpRemove, b, uint64(0), uint64(0)) // proposal x
	x := g.view(common.Address{}, committee, "proposalCount")[0].(uint64)
	g.ok(gs[0], committee, "proposeNode", precompiled.NodeOpRemove, c, uint64(0), uint64(0)) // proposal x+1
	g.ok(gs[1], committee, "vote", x, true)
	g.refused("fewer than the minimum of 1", gs[0], committee, "proposeNode", precompiled.NodeOpRemove, c, uint64(0), uint64(0))
	// Proposal x+1 was valid when made; executing it now is refused and
	// recorded as failed, with the reason.
	r := g.ok(gs[1], committee, "vote", x+1, true)
	p := g.view(common.Address{}, committee, "getProposal", x+1)
	if !hasEvent(r, committee, "ProposalFailed(uint64,string)") || precompiled.ProposalStatus(p[4].(uint8)) != precompiled.StatusFailed ||
		!strings.Contains(p[8].(string), "fewer than the minimum") || sealers(g.number+1) != 1 {
		t.Fatalf("min-sealer refusal at execution: %v", p)
	}
}

func TestPermissions(t *testing.T) {
	store := loadContract(t, "Store")
	caller := loadContract(t, "Caller")
	u := signers(t, 5)
	gov, op, reg, dep, x := u[0], u[1], u[2], u[3], u[4]
	g := newGovChain(t, precompiled.GovernanceGenesis{
		Governors: []precompiled.Governor{{Address: gov.addr(), Weight: 1}},
		Sealers:   [][]byte{nodeID(t)},
		Config:    map[string]string{precompiled.KeyPermissionCheck: "1"},
	}, nil)

	r := g.ok(gov, committee, "proposeRole", op.addr(), uint8(precompiled.RoleOperator), true, uint64(0))
	if !hasEvent(r, permAddr, "RoleChanged(address,uint8,bool)") {
		t.Fatalf("role change not logged")
	}
	g.ok(gov, committee, "proposeRole", reg.addr(), uint8(precompiled.RoleRegulator), true, uint64(0))
	g.refused("governor proposal", gov, committee, "proposeRole", x.addr(), uint8(precompiled.RoleGovernor), true, uint64(0))
	g.refused("unknown role", gov, committee, "proposeRole", x.addr(), uint8(9), true, uint64(0))
	g.refused("removing the last governor", gov, committee, "proposeGovernor", gov.addr(), uint64(0), uint64(0))
	g.refused("is not a governor", gov, committee, "proposeGovernor", x.addr(), uint64(0), uint64(0))
	if m := g.view(common.Address{}, permAddr, "getRoleMembers", uint8(precompiled.RoleOperator))[0].([]common.Address); len(m) != 1 || m[0] != op.addr() {
		t.Fatalf("operators %v", m)
	}
	if m := g.view(common.Address{}, permAddr, "getRoleMembers", uint8(precompiled.RoleGovernor))[0].([]common.Address); len(m) != 1 || m[0] != gov.addr() {
		t.Fatalf("governors %v", m)
	}
	if !g.view(common.Address{}, permAddr, "hasRole", op.addr(), uint8(precompiled.RoleOperator))[0].(bool) ||
		!g.view(common.Address{}, permAddr, "hasRole", gov.addr(), uint8(precompiled.RoleGovernor))[0].(bool) {
		t.Fatalf("roles not granted")
	}

	// Deploy allow-list.
	g.ok(gov, committee, "proposeDeployMode", true, uint64(0))
	deploy := func(s nativeSigner) (common.Address, string) {
		r := g.receipt(s.tx(t, nil, nil, store.deployData(t, big.NewInt(1)), 0))
		return r.ContractAddress, r.ErrorMessage
	}
	if _, msg := deploy(x); !strings.Contains(msg, "deploy allow-list is on") {
		t.Fatalf("deploy by an outsider: %q", msg)
	}
	g.refused("only operators grant", x, permAddr, "grantDeployer", x.addr())
	g.ok(op, permAddr, "grantDeployer", dep.addr())
	sAddr, msg := deploy(dep)
	if msg != "" || !g.view(common.Address{}, permAddr, "canDeploy", dep.addr())[0].(bool) {
		t.Fatalf("deploy by a deployer: %q", msg)
	}
	callerRcpt := g.receipt(op.tx(t, nil, nil, caller.bin, 0)) // operators may deploy too
	mustSucceed(t, callerRcpt)
	callerAddr := callerRcpt.ContractAddress
	g.ok(op, permAddr, "revokeDeployer", dep.addr())
	if _, msg := deploy(dep); !strings.Contains(msg, "deploy not allowed") {
		t.Fatalf("deploy after revoke: %q", msg)
	}
	g.ok(gov, committee, "proposeConfig", precompiled.KeyPermissionCheck, "0", uint64(0))
	if _, msg := deploy(x); msg != "" {
		t.Fatalf("deploy with the permission check off: %q", msg)
	}

	// Account freeze by proposal, from the next block.
	r = g.ok(gov, committee, "proposeFreeze", x.addr(), precompiled.FreezeAccount, uint64(0))
	if !hasEvent(r, permAddr, "AccountStatusChanged(address,bool,uint64)") {
		t.Fatalf("freeze not logged")
	}
	frozenAt := g.number
	if r := g.receipt(x.tx(t, &sAddr, nil, store.pack(t, "set", big.NewInt(2)), 0)); !strings.Contains(r.ErrorMessage, "account is frozen") {
		t.Fatalf("frozen sender: %q", r.ErrorMessage)
	}
	for blk, want := range map[uint64]bool{frozenAt: false, frozenAt + 1: true} {
		if f, err := g.gov().AccountFrozen(x.addr(), blk); err != nil || f != want {
			t.Fatalf("AccountFrozen at %d = %v %v", blk, f, err)
		}
		if st, err := g.gov().AccountFreezeStatus(x.addr()); err != nil || st.FrozenAt(blk) != want {
			t.Fatalf("AccountFreezeStatus(...).FrozenAt(%d) = %v %v", blk, st.FrozenAt(blk), err)
		}
	}
	g.refused("already frozen", gov, committee, "proposeFreeze", x.addr(), precompiled.FreezeAccount, uint64(0))
	g.refused("only regulators freeze directly", dep, permAddr, "unfreezeAccount", x.addr())
	g.ok(reg, permAddr, "unfreezeAccount", x.addr())
	mustSucceed(t, g.receipt(x.tx(t, &sAddr, nil, store.pack(t, "set", big.NewInt(3)), 0)))

	// Contract freeze by a regulator: direct calls and calls from another
	// contract revert with the reason.
	g.refused("system contract", reg, permAddr, "freezeContract", committee)
	g.refused("not a contract", reg, permAddr, "freezeContract", x.addr())
	// The freeze applies from the next block: a call in the same block runs.
	res := g.block(reg.tx(t, &permAddr, nil, govPack(t, permAddr, "freezeContract", sAddr), 0),
		x.tx(t, &sAddr, nil, store.pack(t, "set", big.NewInt(4)), 0))
	mustSucceed(t, res.Receipts[0])
	mustSucceed(t, res.Receipts[1])
	if r := g.receipt(x.tx(t, &sAddr, nil, store.pack(t, "set", big.NewInt(4)), 0)); !strings.Contains(r.ErrorMessage, "is frozen") {
		t.Fatalf("call to a frozen contract: %q", r.ErrorMessage)
	}
	r = g.receipt(x.tx(t, &callerAddr, nil, caller.pack(t, "doCall", sAddr, store.pack(t, "set", big.NewInt(5))), 0))
	mustSucceed(t, r)
	if v := caller.unpack(t, "doCall", r.Output); v[0].(bool) || !strings.Contains(string(v[1].([]byte)), "is frozen") {
		t.Fatalf("inner call to a frozen contract: %v", v)
	}
	if st := g.view(common.Address{}, permAddr, "contractStatus", sAddr)[0].(uint8); st != precompiled.ContractFrozen {
		t.Fatalf("status %d", st)
	}
	g.ok(reg, permAddr, "unfreezeContract", sAddr)
	mustSucceed(t, g.receipt(x.tx(t, &sAddr, nil, store.pack(t, "set", big.NewInt(6)), 0)))
	g.refused("not frozen", reg, permAddr, "unfreezeContract", sAddr)
	// Abolish, by proposal only; final.
	g.ok(gov, committee, "proposeFreeze", sAddr, precompiled.AbolishContract, uint64(0))
	if r := g.receipt(x.tx(t, &sAddr, nil, store.pack(t, "set", big.NewInt(7)), 0)); !strings.Contains(r.ErrorMessage, "is abolished") {
		t.Fatalf("call to an abolished contract: %q", r.ErrorMessage)
	}
	g.refused("is abolished", reg, permAddr, "unfreezeContract", sAddr)

	// A revoked regulator loses its power.
	g.ok(gov, committee, "proposeRole", reg.addr(), uint8(precompiled.RoleRegulator), false, uint64(0))
	g.refused("is not a regulator", reg, permAddr, "freezeAccount", x.addr())
	if m := g.view(common.Address{}, permAddr, "getRoleMembers", uint8(precompiled.RoleRegulator))[0].([]common.Address); len(m) != 0 {
		t.Fatalf("regulators %v", m)
	}
}

func TestCNS(t *testing.T) {
	store := loadContract(t, "Store")
	u := signers(t, 3)
	gov, dep, x := u[0], u[1], u[2]
	g := newGovChain(t, precompiled.GovernanceGenesis{
		Governors: []precompiled.Governor{{Address: gov.addr(), Weight: 1}},
		Sealers:   [][]byte{nodeID(t)},
	}, nil)
	v1 := g.receipt(dep.tx(t, nil, nil, store.deployData(t, big.NewInt(1)), 0)).ContractAddress
	v2 := g.receipt(dep.tx(t, nil, nil, store.deployData(t, big.NewInt(2)), 0)).ContractAddress
	other := g.receipt(x.tx(t, nil, nil, store.deployData(t, big.NewInt(3)), 0)).ContractAddress

	r := g.ok(dep, cnsAddr, "register", "store", "1", v1, "[]")
	if !hasEvent(r, cnsAddr, "NameRegistered(address,address,string,string)") {
		t.Fatalf("register not logged")
	}
	g.refused("already registered", dep, cnsAddr, "register", "store", "1", v2, "[]")
	g.refused("belongs to", x, cnsAddr, "register", "store", "9", other, "[]")
	g.refused("did not deploy", x, cnsAddr, "register", "mine", "1", v1, "[]")
	g.refused("not a contract", dep, cnsAddr, "register", "store", "3", x.addr(), "[]")
	g.refused("none of them zero", dep, cnsAddr, "register", "a\x00b", "1", v1, "[]")
	g.ok(dep, cnsAddr, "register", "store", "2", v2, `[{"type":"function","name":"set"}]`)

	if v := g.view(x.addr(), cnsAddr, "resolve", "store"); v[0].(common.Address) != v2 || v[1].(string) != "2" {
		t.Fatalf("resolve latest: %v", v)
	}
	if v := g.view(x.addr(), cnsAddr, "resolveVersion", "store", "1"); v[0].(common.Address) != v1 || v[1].(string) != "[]" {
		t.Fatalf("resolve v1: %v", v)
	}
	if v := g.view(x.addr(), cnsAddr, "versions", "store")[0].([]string); len(v) != 2 || v[0] != "1" || v[1] != "2" {
		t.Fatalf("versions %v", v)
	}
	g.refused("no name", x, cnsAddr, "resolve", "nothing")

	// Gray routing: 25% of senders to version 2, by a rule on the sender.
	g.refused("only the owner", x, cnsAddr, "setGray", "store", "1", "2", uint16(2500))
	g.refused("no version", dep, cnsAddr, "setGray", "store", "1", "7", uint16(2500))
	g.refused("share of 0 to 10000", dep, cnsAddr, "setGray", "store", "1", "2", uint16(10001))
	r = g.ok(dep, cnsAddr, "setGray", "store", "1", "2", uint16(2500))
	if !hasEvent(r, cnsAddr, "GrayRouteSet(string,string,string,uint16)") {
		t.Fatalf("gray route not logged")
	}
	toV2 := 0
	const senders = 4000
	for i := 0; i < senders; i++ {
		s := common.BigToAddress(big.NewInt(int64(i*7919 + 1)))
		addr, version, ok, err := g.gov().Resolve("store", s)
		if err != nil || !ok {
			t.Fatal(ok, err)
		}
		if addr == v2 {
			toV2++
		}
		if i%400 == 0 { // the contract agrees with the reader, for the caller and for resolveFor
			if v := g.view(s, cnsAddr, "resolve", "store"); v[0].(common.Address) != addr || v[1].(string) != version {
				t.Fatalf("sender %v: contract %v, reader %v", s, v, addr)
			}
			if v := g.view(x.addr(), cnsAddr, "resolveFor", "store", s); v[0].(common.Address) != addr {
				t.Fatalf("resolveFor %v: %v", s, v)
			}
		}
	}
	if share := float64(toV2) / senders; share < 0.22 || share > 0.28 {
		t.Fatalf("gray share to version 2: %.3f, want about 0.25", share)
	}
	g.ok(dep, cnsAddr, "setGray", "store", "1", "2", uint16(0)) // roll back: everyone on 1
	if addr, _, _, _ := g.gov().Resolve("store", x.addr()); addr != v1 {
		t.Fatalf("rollback: %v", addr)
	}
	g.ok(dep, cnsAddr, "clearGray", "store")
	if v := g.view(x.addr(), cnsAddr, "resolve", "store"); v[0].(common.Address) != v2 {
		t.Fatalf("after clearGray: %v", v)
	}
}

func TestMethodAccess(t *testing.T) {
	store := loadContract(t, "Store")
	u := signers(t, 4)
	gov, dep, x, y := u[0], u[1], u[2], u[3]
	g := newGovChain(t, precompiled.GovernanceGenesis{
		Governors: []precompiled.Governor{{Address: gov.addr(), Weight: 1}},
		Sealers:   [][]byte{nodeID(t)},
	}, nil)
	sAddr := g.receipt(dep.tx(t, nil, nil, store.deployData(t, big.NewInt(1)), 0)).ContractAddress
	var set [4]byte
	copy(set[:], store.abi.Methods["set"].ID)
	callSet := func(s nativeSigner) string {
		return g.receipt(s.tx(t, &sAddr, nil, store.pack(t, "set", big.NewInt(2)), 0)).ErrorMessage
	}

	g.refused("did not deploy it", x, permAddr, "setMethodAuthMode", sAddr, set, precompiled.MethodAllowList)
	r := g.ok(dep, permAddr, "setMethodAuthMode", sAddr, set, precompiled.MethodAllowList)
	if !hasEvent(r, permAddr, "AdminChanged(address,address)") || !hasEvent(r, permAddr, "MethodAuthModeSet(address,bytes4,uint8)") {
		t.Fatalf("admin claim not logged")
	}
	if a := g.view(common.Address{}, permAddr, "contractAdmin", sAddr)[0].(common.Address); a != dep.addr() {
		t.Fatalf("admin %v", a)
	}
	if msg := callSet(x); !strings.Contains(msg, "method call not allowed") || !strings.Contains(msg, "allow-list") {
		t.Fatalf("unlisted caller: %q", msg)
	}
	g.ok(dep, permAddr, "setMethodAuth", sAddr, set, x.addr(), true)
	if msg := callSet(x); msg != "" {
		t.Fatalf("listed caller: %q", msg)
	}
	if v := g.view(common.Address{}, permAddr, "getMethodAuth", sAddr, set, y.addr()); v[0].(uint8) != 1 || v[1].(bool) || v[2].(bool) {
		t.Fatalf("getMethodAuth %v", v)
	}
	g.refused("unknown method access mode", dep, permAddr, "setMethodAuthMode", sAddr, set, uint8(7))
	// Deny-list: the listed x is now the one refused.
	g.ok(dep, permAddr, "setMethodAuthMode", sAddr, set, precompiled.MethodDenyList)
	if msg := callSet(x); !strings.Contains(msg, "deny-list") {
		t.Fatalf("denied caller: %q", msg)
	}
	if msg := callSet(y); msg != "" {
		t.Fatalf("other caller: %q", msg)
	}
	// A proposal hands the contract to another admin; the old one loses it.
	g.refused("not a user contract", gov, committee, "proposeResetAdmin", x.addr(), y.addr(), uint64(0))
	g.ok(gov, committee, "proposeResetAdmin", sAddr, y.addr(), uint64(0))
	g.refused("only the admin", dep, permAddr, "setMethodAuth", sAddr, set, x.addr(), false)
	g.ok(y, permAddr, "setMethodAuth", sAddr, set, x.addr(), false)
	if msg := callSet(x); msg != "" {
		t.Fatalf("after unlisting: %q", msg)
	}
	// With the permission check off, access lists are not enforced.
	g.ok(y, permAddr, "setMethodAuth", sAddr, set, x.addr(), true)
	g.ok(gov, committee, "proposeConfig", precompiled.KeyPermissionCheck, "0", uint64(0))
	if msg := callSet(x); msg != "" {
		t.Fatalf("permission check off: %q", msg)
	}
}

// TestInnerPermissions checks that contracts cannot be used to get around
// the permission rules: a creation made by a contract needs the
// transaction's sender on the deploy allow-list, and a call made by a
// contract to a function with method access needs the calling contract
// allowed. A breach fails the whole transaction (even when the contract
// catches the inner failure) and undoes its effects.
func TestInnerPermissions(t *testing.T) {
	store := loadContract(t, "Store")
	caller := loadContract(t, "Caller")
	u := signers(t, 3)
	gov, dep, x := u[0], u[1], u[2]
	g := newGovChain(t, precompiled.GovernanceGenesis{
		Governors: []precompiled.Governor{{Address: gov.addr(), Weight: 1}},
		Sealers:   [][]byte{nodeID(t)},
		Config:    map[string]string{precompiled.KeyPermissionCheck: "1", precompiled.KeyCompatibilityVersion: precompiled.CompatV0_1},
	}, nil)
	sAddr := g.receipt(dep.tx(t, nil, nil, store.deployData(t, big.NewInt(1)), 0)).ContractAddress
	cAddr := g.receipt(dep.tx(t, nil, nil, caller.bin, 0)).ContractAddress

	// Creations by a contract follow the deploy allow-list of the sender,
	// from compatibility version 0.2.0 on: before, only the transaction's
	// own deploy is checked.
	g.ok(gov, committee, "proposeDeployMode", true, uint64(0))
	g.ok(gov, committee, "proposeRole", dep.addr(), uint8(precompiled.RoleDeployer), true, uint64(0))
	mustSucceed(t, g.receipt(x.tx(t, &sAddr, nil, store.pack(t, "deploy", [32]byte{6}), 0)))
	g.ok(gov, committee, "proposeUpgrade", precompiled.CompatV0_2, uint64(0))
	salt := [32]byte{7}
	r := g.receipt(x.tx(t, &sAddr, nil, store.pack(t, "deploy", salt), 0))
	if r.Status == types.ReceiptSuccess || !strings.Contains(r.ErrorMessage, "deploy allow-list is on") ||
		!strings.Contains(r.ErrorMessage, "may not create") || len(r.Logs) != 0 {
		t.Fatalf("creation through a contract by an outsider: status %d %q", r.Status, r.ErrorMessage)
	}
	// The refused creation left nothing behind: the same CREATE2 salt is
	// free for a deployer.
	r = g.receipt(dep.tx(t, &sAddr, nil, store.pack(t, "deploy", salt), 0))
	mustSucceed(t, r)
	// With the allow-list off again, anyone may create through a contract.
	g.ok(gov, committee, "proposeDeployMode", false, uint64(0))
	mustSucceed(t, g.receipt(x.tx(t, &sAddr, nil, store.pack(t, "deploy", [32]byte{8}), 0)))

	// Calls by a contract follow the method access of the called contract,
	// with the calling contract as the caller.
	var set [4]byte
	copy(set[:], store.abi.Methods["set"].ID)
	g.ok(dep, permAddr, "setMethodAuthMode", sAddr, set, precompiled.MethodAllowList)
	g.ok(dep, permAddr, "setMethodAuth", sAddr, set, x.addr(), true)
	viaCaller := func(v int64) *types.Receipt {
		return g.receipt(x.tx(t, &cAddr, nil, caller.pack(t, "doCall", sAddr, store.pack(t, "set", big.NewInt(v))), 0))
	}
	if r := viaCaller(5); r.Status == types.ReceiptSuccess || !strings.Contains(r.ErrorMessage, "method call not allowed") {
		t.Fatalf("call through an unlisted contract: status %d %q", r.Status, r.ErrorMessage)
	}
	value := func() int64 {
		out := g.call(common.Address{}, sAddr, store.pack(t, "value"))
		if out.Err != nil {
			t.Fatalf("value(): %v", out.Err)
		}
		return store.unpack(t, "value", out.Return)[0].(*big.Int).Int64()
	}
	if v := value(); v != 1 {
		t.Fatalf("value %d after a refused call, want 1", v)
	}
	// A call (eth_call) sees the same refusal as a transaction.
	if out := g.call(x.addr(), cAddr, caller.pack(t, "doCall", sAddr, store.pack(t, "set", big.NewInt(5)))); out.Err == nil ||
		!strings.Contains(out.Err.Error(), "method call not allowed") {
		t.Fatalf("eth_call through an unlisted contract: %v", out.Err)
	}
	g.ok(dep, permAddr, "setMethodAuth", sAddr, set, cAddr, true)
	mustSucceed(t, viaCaller(6))
	if v := value(); v != 6 {
		t.Fatalf("value %d after an allowed call, want 6", v)
	}

	// Parallel execution reaches the same verdicts and results.
	g.ok(dep, permAddr, "setMethodAuth", sAddr, set, cAddr, false)
	g.ok(gov, committee, "proposeDeployMode", true, uint64(0))
	txs := []*types.Transaction{
		x.tx(t, &sAddr, nil, store.pack(t, "deploy", [32]byte{9}), 0),                                   // refused creation
		dep.tx(t, &sAddr, nil, store.pack(t, "deploy", [32]byte{10}), 0),                                // allowed creation
		x.tx(t, &cAddr, nil, caller.pack(t, "doCall", sAddr, store.pack(t, "set", big.NewInt(7))), 0),   // refused call
		x.tx(t, &sAddr, nil, store.pack(t, "set", big.NewInt(8)), 0),                                    // allowed call
		dep.tx(t, &cAddr, nil, caller.pack(t, "doCall", sAddr, store.pack(t, "set", big.NewInt(9))), 0), // refused call
	}
	want, err := g.e.ExecuteBlock(context.Background(), g.env(), g.root, txs, g.kv)
	if err != nil {
		t.Fatal(err)
	}
	for i, ok := range []bool{false, true, false, true, false} {
		if (want.Receipts[i].Status == types.ReceiptSuccess) != ok {
			t.Fatalf("tx %d: status %d (%q), want success %v", i, want.Receipts[i].Status, want.Receipts[i].ErrorMessage, ok)
		}
	}
	for _, strategy := range parallelStrategies {
		cfg := testConfig()
		cfg.Workers, cfg.Parallel = 3, strategy
		par, err := New(cfg, crypto.ECDSA(), nil)
		if err != nil {
			t.Fatal(err)
		}
		got, err := par.ExecuteBlock(context.Background(), g.env(), g.root, txs, g.kv)
		if err != nil {
			t.Fatal(err)
		}
		if par.parallelBlocks.Load() != 1 {
			t.Fatalf("%s: the block did not run in parallel (%d fallbacks)", strategy, par.serialFallbacks.Load())
		}
		sameResult(t, strategy+": inner permissions", want, got)
	}
}
