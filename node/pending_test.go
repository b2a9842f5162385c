package node

import (
	"errors"
	"testing"

	"github.com/ethereum/go-ethereum/common"

	"github.com/gobcos/gobcos/consensus"
	"github.com/gobcos/gobcos/crypto"
	"github.com/gobcos/gobcos/executor"
	"github.com/gobcos/gobcos/executor/precompiled"
	"github.com/gobcos/gobcos/ledger"
	"github.com/gobcos/gobcos/state"
	"github.com/gobcos/gobcos/storage"
	"github.com/gobcos/gobcos/types"
)

// chainOf makes n headers, each the child of the one before.
func chainOf(suite crypto.Suite, n int) []*types.Header {
	hs := []*types.Header{{Number: 0, StateRoot: common.Hash{1}}}
	for i := 1; i < n; i++ {
		hs = append(hs, &types.Header{Number: uint64(i), ParentHash: hs[i-1].Hash(suite), StateRoot: common.Hash{byte(i + 1)}})
	}
	return hs
}

// TestPendingLayers checks which pending blocks an execution layers over
// the store: those above the head, and only when they extend it.
func TestPendingLayers(t *testing.T) {
	suite := crypto.ECDSA()
	e := &engineExecutor{n: &Node{suite: suite}}
	hs := chainOf(suite, 6)
	other := &types.Header{Number: 3, ParentHash: hs[2].Hash(suite), StateRoot: common.Hash{0xee}}
	pend := func(hs ...*types.Header) ([]consensus.Pending, []*state.WriteSet) {
		var ps []consensus.Pending
		var ls []*state.WriteSet
		for _, h := range hs {
			l := new(state.WriteSet).ForBlock(h.Number)
			ps = append(ps, consensus.Pending{Header: h, State: l})
			ls = append(ls, l)
		}
		return ps, ls
	}
	for _, c := range []struct {
		name    string
		head    *types.Header
		pending []*types.Header
		want    int // layers kept (the last ones), -1 for ErrParentMoved
	}{
		{"one above the head", hs[2], []*types.Header{hs[3]}, 1},
		{"two above the head", hs[2], []*types.Header{hs[3], hs[4]}, 2},
		{"first committed meanwhile", hs[3], []*types.Header{hs[3], hs[4]}, 1},
		{"all committed meanwhile", hs[4], []*types.Header{hs[3], hs[4]}, 0},
		{"gap above the head", hs[1], []*types.Header{hs[3]}, -1},
		{"not the head's child", hs[2], []*types.Header{hs[4]}, -1},
		{"another block at the head's height", hs[3], []*types.Header{other, hs[4]}, -1},
		{"fork above the head", hs[2], []*types.Header{other}, 1},
		{"broken pending chain", hs[2], []*types.Header{hs[3], hs[5]}, -1},
	} {
		ps, ls := pend(c.pending...)
		got, err := e.uncommitted(c.head, ps, ls)
		switch {
		case c.want < 0:
			if !errors.Is(err, ErrParentMoved) {
				t.Errorf("%s: err %v, want ErrParentMoved", c.name, err)
			}
		case err != nil:
			t.Errorf("%s: %v", c.name, err)
		case len(got) != c.want || (c.want > 0 && got[len(got)-1] != ls[len(ls)-1]):
			t.Errorf("%s: %d layers, want the last %d", c.name, len(got), c.want)
		}
	}
}

// TestPendingGovernanceRefused: a pending block writing a system
// contract's state is not executed on while the block is not pipelined
// (the compatibility version at its parent below 0.4.0: its rules may
// change); from 0.4.0 it is, when that block is the parent.
func TestPendingGovernanceRefused(t *testing.T) {
	suite := crypto.ECDSA()
	ex, err := executor.New(executor.Config{ChainID: 1, TxGasLimit: 30_000_000, BlockGasLimit: 30_000_000}, suite, nil)
	if err != nil {
		t.Fatal(err)
	}
	kv := storage.NewMemory()
	l, err := ledger.Open(kv, suite, nil)
	if err != nil {
		t.Fatal(err)
	}
	writes, root, err := ex.Genesis(nil, kv, "")
	if err != nil {
		t.Fatal(err)
	}
	g := &types.Header{StateRoot: root, TxRoot: types.TxRoot(suite, nil), ReceiptRoot: types.ReceiptRoot(suite, nil)}
	if err := l.Commit(&types.Block{Header: g}, nil, nil, writes, nil); err != nil {
		t.Fatal(err)
	}
	e := &engineExecutor{n: &Node{suite: suite, exec: ex, kv: kv, ledger: l}}
	write := func(addr common.Address, slots map[common.Hash]common.Hash) *state.WriteSet {
		s := state.New(storage.NewMemory())
		s.SetNonce(addr, 1, 0) // not empty: kept with its storage
		for k, v := range slots {
			s.SetState(addr, k, v)
		}
		ws, err := s.WriteSet()
		if err != nil {
			t.Fatal(err)
		}
		return ws.ForBlock(1)
	}
	one := map[common.Hash]common.Hash{{1}: {2}}
	if e.touchesSystem(write(common.HexToAddress("0x1234"), one)) {
		t.Fatal("a user contract's slot counted as system state")
	}
	if !e.touchesSystem(write(precompiled.SystemConfigAddress, one)) {
		t.Fatal("a SystemConfig slot not counted as system state")
	}
	child := func(n uint64) *types.Header {
		return &types.Header{Number: n, ParentHash: g.Hash(suite), StateRoot: common.Hash{9}}
	}
	// Below 0.4.0 (the genesis sets no version: 0.1.0): refused.
	p1 := child(1)
	_, err = e.ExecuteBlockOn(t.Context(), consensus.BlockEnv{Number: 2}, p1.StateRoot, nil,
		[]consensus.Pending{{Header: p1, State: write(precompiled.CommitteeAddress, one)}})
	if !errors.Is(err, ErrPendingGovernance) {
		t.Fatalf("err %v, want ErrPendingGovernance", err)
	}
	// The parent sets version 0.4.0 (in force at it): executed on.
	gg := precompiled.GovernanceGenesis{Config: map[string]string{precompiled.KeyCompatibilityVersion: precompiled.CompatV0_4}}
	st, err := gg.Storage()
	if err != nil {
		t.Fatal(err)
	}
	res, err := e.ExecuteBlockOn(t.Context(), consensus.BlockEnv{Number: 2}, p1.StateRoot, nil,
		[]consensus.Pending{{Header: p1, State: write(precompiled.SystemConfigAddress, st[precompiled.SystemConfigAddress])}})
	if err != nil {
		t.Fatalf("pipelined block on a governance parent: %v", err)
	}
	// The executor's bloom comes with the result, as from ExecuteBlock, so
	// that BuildHeader does not hash the logs again.
	if res.Bloom == nil || *res.Bloom != types.LogsBloom(res.Receipts) {
		t.Fatalf("pipelined result's bloom %v, want the receipts' bloom", res.Bloom)
	}
}
