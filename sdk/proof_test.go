package sdk

import (
	"errors"
	"math/big"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"

	"github.com/gobcos/gobcos/types"
)

func TestProofs(t *testing.T) {
	for _, s := range suites {
		t.Run(s.Name(), func(t *testing.T) {
			f, c, k, key := deployed(t, s, httpOf)
			ctx := testCtx(t)
			r0, err := k.Transact(ctx, key, "set", big.NewInt(2))
			if err != nil {
				t.Fatal(err)
			}
			r, err := k.Transact(ctx, key, "set", big.NewInt(3))
			if err != nil {
				t.Fatal(err)
			}
			h := r.TxHash
			if err := c.VerifyTxProof(ctx, h); err != nil {
				t.Fatalf("VerifyTxProof: %v", err)
			}
			if err := c.VerifyReceiptProof(ctx, h); err != nil {
				t.Fatalf("VerifyReceiptProof: %v", err)
			}
			p, err := c.TxProof(ctx, h)
			if err != nil {
				t.Fatal(err)
			}
			if len(p.Steps) < 2 || p.Index != 2 || p.BlockHash != r.BlockHash {
				t.Fatalf("proof %+v (the fake puts the tx at index 2 of 5)", p)
			}

			tampers := []struct {
				name        string
				proof       func(p map[string]any)
				receipt     func(r map[string]any)
				receiptOnly bool
			}{
				{name: "sibling hash", proof: func(p map[string]any) {
					steps := p["proof"].([]types.ProofStep)
					steps = append([]types.ProofStep(nil), steps...)
					steps[0].Hash[0] ^= 1
					p["proof"] = steps
				}},
				{name: "sibling side", proof: func(p map[string]any) {
					steps := append([]types.ProofStep(nil), p["proof"].([]types.ProofStep)...)
					steps[len(steps)-1].Left = !steps[len(steps)-1].Left
					p["proof"] = steps
				}},
				{name: "step dropped", proof: func(p map[string]any) {
					steps := p["proof"].([]types.ProofStep)
					p["proof"] = steps[:len(steps)-1]
				}},
				{name: "root", proof: func(p map[string]any) { p["root"] = common.Hash{9} }},
				{name: "block hash", proof: func(p map[string]any) { p["blockHash"] = r0.BlockHash }},
				{name: "other block", proof: func(p map[string]any) {
					p["blockHash"], p["blockNumber"] = r0.BlockHash, hexutil.Uint64(r0.BlockNumber)
				}},
				{name: "tx hash", proof: func(p map[string]any) { p["txHash"] = common.Hash{7} }},
				{name: "receipt bytes", receiptOnly: true, proof: func(p map[string]any) {
					if rb, ok := p["receipt"].(hexutil.Bytes); ok {
						rc, _ := types.DecodeReceipt(rb)
						rc.GasUsed++
						p["receipt"] = hexutil.Bytes(types.EncodeReceipt(rc))
					}
				}},
				{name: "reported receipt", receiptOnly: true, receipt: func(r map[string]any) { r["status"] = hexutil.Uint64(0) }},
				{name: "reported output", receiptOnly: true, receipt: func(r map[string]any) { r["output"] = hexutil.Bytes{1} }},
			}
			for _, tc := range tampers {
				t.Run(tc.name, func(t *testing.T) {
					f.set(func(f *fakeNode) { f.tamperProof, f.tamperReceipt = tc.proof, tc.receipt })
					defer f.set(func(f *fakeNode) { f.tamperProof, f.tamperReceipt = nil, nil })
					if !tc.receiptOnly {
						if err := c.VerifyTxProof(ctx, h); !errors.Is(err, ErrProof) {
							t.Errorf("VerifyTxProof: err = %v, want ErrProof", err)
						}
					}
					if err := c.VerifyReceiptProof(ctx, h); !errors.Is(err, ErrProof) {
						t.Errorf("VerifyReceiptProof: err = %v, want ErrProof", err)
					}
				})
			}
			if err := c.VerifyTxProof(ctx, common.Hash{1}); !errors.Is(err, ErrNotFound) {
				t.Fatalf("unknown tx: err = %v", err)
			}
		})
	}
}
