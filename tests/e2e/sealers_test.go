package e2e

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"

	"github.com/gobcos/gobcos/chainbuild"
	"github.com/gobcos/gobcos/crypto"
	"github.com/gobcos/gobcos/executor/precompiled"
	"github.com/gobcos/gobcos/internal/govtest"
	"github.com/gobcos/gobcos/sdk"
)

// TestSealersByGovernance runs 4 sealer processes and a fifth node made
// with `gobcos chain add-node` (not allow-listed). The committee (one
// governor, through the Go SDK) votes it in as an observer: the sealers
// admit it and it syncs. Promoted to sealer, it signs later commit
// certificates. A genesis sealer voted out signs no later certificate and
// loses every connection, and the other four go on with identical blocks.
func TestSealersByGovernance(t *testing.T) {
	skipShort(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	suite := crypto.ECDSA()
	c := startCluster(t, 4, crypto.NameECDSA)
	base := freeBase(t, 2)
	if out, err := runGobcos("chain", "add-node", "--dir", c.dir, "--org", "org1",
		"--p2p-port", fmt.Sprint(base), "--rpc-port", fmt.Sprint(base+1)); err != nil {
		t.Fatalf("chain add-node: %v\n%s", err, out)
	}
	extra := extraNode(t, filepath.Join(c.dir, "node4"), 4)
	m, err := chainbuild.ReadManifest(c.dir)
	if err != nil {
		t.Fatal(err)
	}
	newKey, removed := govtest.NodeKey(t, m.Nodes[4].NodeID), govtest.NodeKey(t, m.Nodes[3].NodeID)

	client, err := sdk.Dial(ctx, c.nodes[0].rpcURL())
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	committee := govtest.New(t, client, govtest.OrgAdmin(t, c.dir, "org1", suite))
	decide := func(op uint8, id []byte) uint64 {
		t.Helper()
		return committee.ProposeNode(ctx, op, id, 1).BlockNumber
	}
	user, err := suite.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	send := func() uint64 {
		t.Helper()
		to := common.Address{0x5e}
		r, err := client.SendNativeWait(ctx, user, &to, nil, []byte("sealers"), 0)
		if err != nil || !r.Succeeded() {
			t.Fatalf("tx: %+v %v", r, err)
		}
		return r.BlockNumber
	}
	// signers returns the keys among candidates whose signature is in
	// block b's certificate, and the number of signatures.
	signers := func(b uint64, candidates ...[]byte) (found [][]byte, sigs int) {
		t.Helper()
		var blk struct {
			Hash       common.Hash `json:"hash"`
			Signatures []struct {
				Signature hexutil.Bytes `json:"signature"`
			} `json:"signatures"`
		}
		if err := client.RPC().CallContext(ctx, &blk, "eth_getBlockByNumber", hexutil.EncodeUint64(b), false); err != nil {
			t.Fatal(err)
		}
		for _, k := range candidates {
			for _, s := range blk.Signatures {
				if suite.Verify(k, blk.Hash[:], s.Signature) == nil {
					found = append(found, k)
				}
			}
		}
		return found, len(blk.Signatures)
	}

	// 1. An observer by vote: admitted, it syncs.
	decide(precompiled.NodeOpAddObserver, newKey)
	extra.start()
	h := send()
	waitHeight(t, append(c.nodes[:4:4], extra), h, 90*time.Second, "the voted-in observer syncs")

	// 2. Promoted: its signature appears in a later certificate.
	at := decide(precompiled.NodeOpAddSealer, newKey)
	signedAt := uint64(0)
	for b := at + 1; signedAt == 0; b++ {
		for h < b {
			if ctx.Err() != nil {
				t.Fatal("the promoted node never signed a certificate")
			}
			h = send()
		}
		if f, n := signers(b, newKey); len(f) > 0 {
			signedAt = b
			if n < 4 {
				t.Fatalf("block %d: %d signatures, 5 sealers need 4", b, n)
			}
		}
	}
	for b := uint64(1); b <= at; b++ {
		if f, _ := signers(b, newKey); len(f) > 0 {
			t.Fatalf("block %d, before the promotion, carries the new node's signature", b)
		}
	}
	t.Logf("promoted in block %d, first signed block %d", at, signedAt)

	// 3. A genesis sealer voted out.
	at = decide(precompiled.NodeOpRemove, removed)
	for range 3 {
		h = send()
	}
	// From compatibility version 0.4.0 (new chains) the removal is in
	// force two blocks after the vote's: block at+1 is still the old set's.
	for b := at + 2; b <= h; b++ {
		if f, _ := signers(b, removed); len(f) > 0 {
			t.Fatalf("block %d, after the removal, carries the removed sealer's signature", b)
		}
	}
	for deadline := time.Now().Add(60 * time.Second); ; time.Sleep(200 * time.Millisecond) {
		var n hexutil.Uint64
		if err := c.nodes[3].rpcCall(&n, "net_peerCount"); err != nil {
			t.Fatalf("node3 net_peerCount: %v", err)
		}
		if n == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the removed sealer still has %d peers", n)
		}
	}
	h = send()
	live := []*node{c.nodes[0], c.nodes[1], c.nodes[2], extra}
	waitHeight(t, live, h, 90*time.Second, "the four remaining sealers")
	sameChain(t, live, h)
}
