package sdk

import (
	"bytes"
	"context"
	"errors"
	"fmt"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"

	"github.com/gobcos/gobcos/types"
)

// Proof is a Merkle proof of a transaction or receipt, as served by
// bcos_getTransactionProof and bcos_getReceiptProof.
type Proof struct {
	BlockNumber uint64
	BlockHash   common.Hash
	Index       uint64
	TxHash      common.Hash
	Root        common.Hash
	Steps       []types.ProofStep
	Receipt     []byte // receipt proofs only: types.EncodeReceipt bytes
}

type proofJSON struct {
	BlockNumber hexutil.Uint64    `json:"blockNumber"`
	BlockHash   common.Hash       `json:"blockHash"`
	Index       hexutil.Uint64    `json:"index"`
	TxHash      common.Hash       `json:"txHash"`
	Root        common.Hash       `json:"root"`
	Proof       []types.ProofStep `json:"proof"`
	Receipt     hexutil.Bytes     `json:"receipt"`
}

// TxProof fetches the Merkle proof of a transaction.
func (c *Client) TxProof(ctx context.Context, hash common.Hash) (*Proof, error) {
	return c.fetchProof(ctx, "bcos_getTransactionProof", hash)
}

// ReceiptProof fetches the Merkle proof of a transaction's receipt.
func (c *Client) ReceiptProof(ctx context.Context, hash common.Hash) (*Proof, error) {
	return c.fetchProof(ctx, "bcos_getReceiptProof", hash)
}

func (c *Client) fetchProof(ctx context.Context, method string, hash common.Hash) (*Proof, error) {
	var j *proofJSON
	if err := c.rc.CallContext(ctx, &j, method, hash); err != nil {
		return nil, fmt.Errorf("sdk: %s: %w", method, err)
	}
	if j == nil {
		return nil, fmt.Errorf("%w: %s of %s", ErrNotFound, method, hash)
	}
	return &Proof{uint64(j.BlockNumber), j.BlockHash, uint64(j.Index), j.TxHash, j.Root, j.Proof, j.Receipt}, nil
}

// headerRoots are the header fields a proof is checked against.
type headerRoots struct {
	Hash         common.Hash    `json:"hash"`
	Number       hexutil.Uint64 `json:"number"`
	TxRoot       common.Hash    `json:"transactionsRoot"`
	ReceiptsRoot common.Hash    `json:"receiptsRoot"`
}

func (c *Client) headerOf(ctx context.Context, p *Proof) (*headerRoots, error) {
	var h *headerRoots
	if err := c.rc.CallContext(ctx, &h, "eth_getBlockByHash", p.BlockHash, false); err != nil {
		return nil, fmt.Errorf("sdk: eth_getBlockByHash: %w", err)
	}
	if h == nil {
		return nil, fmt.Errorf("%w: block %s of the proof", ErrNotFound, p.BlockHash)
	}
	if h.Hash != p.BlockHash || uint64(h.Number) != p.BlockNumber {
		return nil, fmt.Errorf("%w: proof names block %d %s, node served block %d %s", ErrProof, p.BlockNumber, p.BlockHash, h.Number, h.Hash)
	}
	return h, nil
}

// VerifyTxProof fetches the proof of a transaction and the header of its
// block and checks that the transaction is a leaf of the header's
// transactions root. See the package documentation for what this proves.
func (c *Client) VerifyTxProof(ctx context.Context, hash common.Hash) error {
	p, err := c.TxProof(ctx, hash)
	if err != nil {
		return err
	}
	if p.TxHash != hash {
		return fmt.Errorf("%w: asked for %s, proof is for %s", ErrProof, hash, p.TxHash)
	}
	h, err := c.headerOf(ctx, p)
	if err != nil {
		return err
	}
	return checkBranch(c.info.Suite, "transaction", h.TxRoot, p, types.MerkleLeaf(c.info.Suite, hash[:]))
}

// VerifyReceiptProof fetches the proof of a transaction's receipt and the
// header of its block, checks that the proven receipt is a leaf of the
// header's receipts root and that it is the receipt the node reports
// through eth_getTransactionReceipt.
func (c *Client) VerifyReceiptProof(ctx context.Context, hash common.Hash) error {
	p, err := c.ReceiptProof(ctx, hash)
	if err != nil {
		return err
	}
	if p.TxHash != hash {
		return fmt.Errorf("%w: asked for %s, proof is for %s", ErrProof, hash, p.TxHash)
	}
	if len(p.Receipt) == 0 {
		return fmt.Errorf("%w: receipt proof of %s carries no receipt", ErrProof, hash)
	}
	h, err := c.headerOf(ctx, p)
	if err != nil {
		return err
	}
	if err := checkBranch(c.info.Suite, "receipt", h.ReceiptsRoot, p, types.MerkleLeaf(c.info.Suite, p.Receipt)); err != nil {
		return err
	}
	if _, err := types.DecodeReceipt(p.Receipt); err != nil {
		return fmt.Errorf("%w: proven receipt: %w", ErrProof, err)
	}
	r, err := c.TransactionReceipt(ctx, hash)
	if err != nil {
		return err
	}
	if r.BlockHash != p.BlockHash {
		return fmt.Errorf("%w: receipt is in block %s, proof in %s", ErrProof, r.BlockHash, p.BlockHash)
	}
	if !bytes.Equal(types.EncodeReceipt(r.consensus()), p.Receipt) {
		return fmt.Errorf("%w: the receipt the node reports for %s differs from the proven one", ErrProof, hash)
	}
	return nil
}

func checkBranch(h types.Hasher, what string, root common.Hash, p *Proof, leaf common.Hash) error {
	if p.Root != root {
		return fmt.Errorf("%w: %s proof root %s is not the header's %s", ErrProof, what, p.Root, root)
	}
	if err := types.VerifyMerkleProof(h, root, leaf, p.Steps); err != nil {
		if errors.Is(err, types.ErrBadProof) {
			return fmt.Errorf("%w: %s of %s is not under the root of block %d: %w", ErrProof, what, p.TxHash, p.BlockNumber, err)
		}
		return err
	}
	return nil
}
