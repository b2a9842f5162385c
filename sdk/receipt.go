package sdk

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"

	"github.com/gobcos/gobcos/types"
)

// Receipt is a transaction receipt as the node reports it: the Ethereum
// fields plus the return (or revert) data and the error message.
type Receipt struct {
	TxHash            common.Hash
	TxIndex           uint64
	BlockHash         common.Hash
	BlockNumber       uint64
	From              common.Address
	To                *common.Address // nil for contract creation
	ContractAddress   *common.Address // set when the transaction created a contract
	Status            uint64          // types.ReceiptSuccess or types.ReceiptFailed
	GasUsed           uint64
	CumulativeGasUsed uint64
	Logs              []Log
	Output            []byte // return data, or revert data when the status is failed
	ErrorMessage      string // why execution failed, empty on success
}

// Succeeded reports whether the transaction executed successfully.
func (r *Receipt) Succeeded() bool { return r.Status == types.ReceiptSuccess }

type receiptJSON struct {
	TxHash            *common.Hash    `json:"transactionHash"`
	TxIndex           hexutil.Uint64  `json:"transactionIndex"`
	BlockHash         common.Hash     `json:"blockHash"`
	BlockNumber       hexutil.Uint64  `json:"blockNumber"`
	From              common.Address  `json:"from"`
	To                *common.Address `json:"to"`
	ContractAddress   *common.Address `json:"contractAddress"`
	Status            *hexutil.Uint64 `json:"status"`
	GasUsed           hexutil.Uint64  `json:"gasUsed"`
	CumulativeGasUsed hexutil.Uint64  `json:"cumulativeGasUsed"`
	Logs              []Log           `json:"logs"`
	Output            hexutil.Bytes   `json:"output"`
	ErrorMessage      string          `json:"errorMessage"`
}

// UnmarshalJSON reads the eth_getTransactionReceipt shape.
func (r *Receipt) UnmarshalJSON(b []byte) error {
	var j receiptJSON
	if err := json.Unmarshal(b, &j); err != nil {
		return err
	}
	if j.TxHash == nil {
		return errors.New("receipt without transactionHash")
	}
	if j.Status == nil {
		return errors.New("receipt without status")
	}
	*r = Receipt{
		TxHash: *j.TxHash, TxIndex: uint64(j.TxIndex), BlockHash: j.BlockHash, BlockNumber: uint64(j.BlockNumber),
		From: j.From, To: j.To, Status: uint64(*j.Status), GasUsed: uint64(j.GasUsed),
		CumulativeGasUsed: uint64(j.CumulativeGasUsed), Logs: j.Logs, Output: j.Output, ErrorMessage: j.ErrorMessage,
	}
	if j.ContractAddress != nil && *j.ContractAddress != (common.Address{}) {
		r.ContractAddress = j.ContractAddress
	}
	return nil
}

// consensus is the receipt in the form the receipts root commits to.
func (r *Receipt) consensus() *types.Receipt {
	out := &types.Receipt{Status: r.Status, GasUsed: r.GasUsed, Output: r.Output, ErrorMessage: r.ErrorMessage}
	if r.ContractAddress != nil {
		out.ContractAddress = *r.ContractAddress
	}
	for _, l := range r.Logs {
		out.Logs = append(out.Logs, &types.Log{Address: l.Address, Topics: l.Topics, Data: l.Data})
	}
	return out
}

// TransactionReceipt returns the receipt of a transaction, or an error
// wrapping ErrNotFound while it is not in a block.
func (c *Client) TransactionReceipt(ctx context.Context, hash common.Hash) (*Receipt, error) {
	var r *Receipt
	if err := c.rc.CallContext(ctx, &r, "eth_getTransactionReceipt", hash); err != nil {
		return nil, fmt.Errorf("sdk: eth_getTransactionReceipt %s: %w", hash, err)
	}
	if r == nil {
		return nil, fmt.Errorf("%w: receipt of %s", ErrNotFound, hash)
	}
	return r, nil
}

// WaitReceipt polls for the receipt of a transaction until it is in a
// block or ctx ends. A failed execution is not an error here: check
// Receipt.Succeeded.
func (c *Client) WaitReceipt(ctx context.Context, hash common.Hash) (*Receipt, error) {
	return c.waitReceipt(ctx, hash, 0)
}

// waitReceipt is WaitReceipt that also gives up with ErrTxDropped once the
// chain reaches blockLimit (when non-zero) without the transaction.
func (c *Client) waitReceipt(ctx context.Context, hash common.Hash, blockLimit uint64) (*Receipt, error) {
	t := time.NewTicker(c.cfg.pollInterval)
	defer t.Stop()
	for {
		r, err := c.TransactionReceipt(ctx, hash)
		if err == nil {
			return r, nil
		}
		if !errors.Is(err, ErrNotFound) {
			return nil, err
		}
		if blockLimit > 0 {
			h, err := c.currentHeight(ctx)
			if err != nil {
				return nil, err
			}
			if h >= blockLimit {
				// The last block that could hold it is committed: look once more.
				if r, err := c.TransactionReceipt(ctx, hash); err == nil {
					return r, nil
				} else if !errors.Is(err, ErrNotFound) {
					return nil, err
				}
				return nil, fmt.Errorf("%w: %s, block limit %d, chain height %d", ErrTxDropped, hash, blockLimit, h)
			}
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("sdk: waiting for the receipt of %s: %w", hash, ctx.Err())
		case <-t.C:
		}
	}
}
