package govtest

import (
	"context"
	"encoding/hex"
	"path/filepath"
	"testing"

	"github.com/gobcos/gobcos/chainbuild"
	"github.com/gobcos/gobcos/crypto"
	"github.com/gobcos/gobcos/executor/precompiled"
	"github.com/gobcos/gobcos/node"
	"github.com/gobcos/gobcos/sdk"
)

// OrgAdmin loads the admin key of organisation org of the chain built in
// dir.
func OrgAdmin(t testing.TB, dir, org string, suite crypto.Suite) crypto.PrivateKey {
	t.Helper()
	k, err := node.LoadKey(filepath.Join(dir, chainbuild.OrgsDir, org, chainbuild.AdminKeyFile), suite)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// NodeKey is the public key the committee's node proposals name for a
// node id of the chain's manifest (the hex of an uncompressed key without
// its 0x04 prefix).
func NodeKey(t testing.TB, nodeID string) []byte {
	t.Helper()
	b, err := hex.DecodeString(nodeID)
	if err != nil {
		t.Fatalf("node id %q: %v", nodeID, err)
	}
	return append([]byte{4}, b...)
}

// Committee is the committee contract reached through one client, and the
// governors who act in the test.
type Committee struct {
	t    testing.TB
	k    *sdk.Contract
	govs []crypto.PrivateKey
}

// New binds the committee through client; govs[0] proposes, the others
// vote for its proposals (as many as the chain's thresholds need to
// execute one: none on a chain with one governor).
func New(t testing.TB, client *sdk.Client, govs ...crypto.PrivateKey) *Committee {
	t.Helper()
	if len(govs) == 0 {
		t.Fatal("govtest: a committee needs a governor")
	}
	a, ok := precompiled.ABI(precompiled.CommitteeAddress)
	if !ok {
		t.Fatal("govtest: no committee ABI")
	}
	return &Committee{t: t, k: client.Contract(precompiled.CommitteeAddress, a), govs: govs}
}

// Contract is the committee contract's binding.
func (c *Committee) Contract() *sdk.Contract { return c.k }

// Pass has the first governor propose (method and args of the committee,
// e.g. "proposeConfig") and each other governor vote for the proposal,
// and returns the receipt of the last of those transactions: the one
// that executed the proposal.
func (c *Committee) Pass(ctx context.Context, method string, args ...any) *sdk.Receipt {
	c.t.Helper()
	r, err := c.k.Transact(ctx, c.govs[0], method, args...)
	if err != nil || !r.Succeeded() {
		c.t.Fatalf("%s: %v %+v", method, err, r)
	}
	if len(c.govs) == 1 {
		return r
	}
	id := ProposalID(c.t, c.k, r)
	for _, g := range c.govs[1:] {
		if r, err = c.k.Transact(ctx, g, "vote", id, true); err != nil || !r.Succeeded() {
			c.t.Fatalf("vote on proposal %d (%s): %v %+v", id, method, err, r)
		}
	}
	return r
}

// ProposeNode passes a change of the node list: op (a precompiled
// NodeOp) on the node with public key id, with weight (the vote weight an
// added sealer gets, or the one NodeOpSetWeight sets), without an expiry.
// It returns the receipt that executed the change, which is in force from
// the block the chain's compatibility version says (the second after it
// from 0.4.0).
func (c *Committee) ProposeNode(ctx context.Context, op uint8, id []byte, weight uint64) *sdk.Receipt {
	c.t.Helper()
	return c.Pass(ctx, "proposeNode", op, id, weight, uint64(0))
}

// ProposalID is the id of the proposal whose creation r records (its
// ProposalCreated event); committee is a binding of the committee.
func ProposalID(t testing.TB, committee *sdk.Contract, r *sdk.Receipt) uint64 {
	t.Helper()
	for _, l := range r.Logs {
		if ev, err := committee.ParseEvent("ProposalCreated", l); err == nil {
			return ev["id"].(uint64)
		}
	}
	t.Fatalf("no ProposalCreated event in the receipt of %s", r.TxHash)
	return 0
}
