package executor

import (
	"strings"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	ethcrypto "github.com/ethereum/go-ethereum/crypto"

	"github.com/gobcos/gobcos/crypto"
	"github.com/gobcos/gobcos/executor/precompiled"
	"github.com/gobcos/gobcos/types"
)

// govChain is a test chain with governance state from a genesis.
type govChain struct {
	*chain
	t testing.TB
}

func newGovChain(t testing.TB, g precompiled.GovernanceGenesis, alloc map[common.Address]GenesisAccount) *govChain {
	t.Helper()
	st, err := g.Storage()
	if err != nil {
		t.Fatal(err)
	}
	if alloc == nil {
		alloc = map[common.Address]GenesisAccount{}
	}
	for a, s := range st {
		alloc[a] = GenesisAccount{Storage: s}
	}
	return &govChain{chain: newChain(t, crypto.ECDSA(), testConfig(), alloc), t: t}
}

func govPack(t testing.TB, to common.Address, method string, args ...any) []byte {
	t.Helper()
	a, ok := precompiled.ABI(to)
	if !ok {
		t.Fatalf("no ABI at %v", to)
	}
	b, err := a.Pack(method, args...)
	if err != nil {
		t.Fatalf("pack %s: %v", method, err)
	}
	return b
}

// send runs one tx calling a governance contract as the next block.
func (g *govChain) send(s nativeSigner, to common.Address, method string, args ...any) *types.Receipt {
	g.t.Helper()
	return g.receipt(s.tx(g.t, &to, nil, govPack(g.t, to, method, args...), 0))
}

// ok sends and requires success.
func (g *govChain) ok(s nativeSigner, to common.Address, method string, args ...any) *types.Receipt {
	g.t.Helper()
	r := g.send(s, to, method, args...)
	mustSucceed(g.t, r)
	return r
}

// refused sends and requires a failure whose message holds want.
func (g *govChain) refused(want string, s nativeSigner, to common.Address, method string, args ...any) {
	g.t.Helper()
	r := g.send(s, to, method, args...)
	if r.Status == types.ReceiptSuccess || !strings.Contains(r.ErrorMessage, want) {
		g.t.Fatalf("%s: status %d, error %q; want a failure with %q", method, r.Status, r.ErrorMessage, want)
	}
}

// view calls a read function in the next block's context.
func (g *govChain) view(from, to common.Address, method string, args ...any) []any {
	g.t.Helper()
	out := g.call(from, to, govPack(g.t, to, method, args...))
	if out.Err != nil {
		g.t.Fatalf("%s: %s", method, out.ErrorMessage())
	}
	a, _ := precompiled.ABI(to)
	v, err := a.Unpack(method, out.Return)
	if err != nil {
		g.t.Fatalf("unpack %s: %v", method, err)
	}
	return v
}

func (g *govChain) gov() *precompiled.GovernanceReader {
	return precompiled.NewGovernanceReader(g.reader())
}

// proposalStatus reads a proposal's status through the EVM.
func (g *govChain) proposalStatus(id uint64) precompiled.ProposalStatus {
	g.t.Helper()
	return precompiled.ProposalStatus(g.view(common.Address{}, precompiled.CommitteeAddress, "getProposal", id)[4].(uint8))
}

// hasEvent reports whether r logged the event sig from addr.
func hasEvent(r *types.Receipt, addr common.Address, sig string) bool {
	topic := ethcrypto.Keccak256Hash([]byte(sig))
	for _, l := range r.Logs {
		if l.Address == addr && len(l.Topics) > 0 && l.Topics[0] == topic {
			return true
		}
	}
	return false
}

func nodeID(t testing.TB) []byte {
	t.Helper()
	k, err := crypto.ECDSA().GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	return k.PublicKey()
}

func signers(t testing.TB, n int) []nativeSigner {
	out := make([]nativeSigner, n)
	for i := range out {
		out[i] = newNativeSigner(t, crypto.ECDSA())
	}
	return out
}
