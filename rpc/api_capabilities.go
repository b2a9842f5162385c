package rpc

import (
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
)

// rpcResource is one resource of eth_capabilities.
type rpcResource struct {
	Disabled    bool            `json:"disabled"`
	OldestBlock *hexutil.Uint64 `json:"oldestBlock,omitempty"`
}

// rpcHead is the head of eth_capabilities.
type rpcHead struct {
	Number hexutil.Uint64 `json:"number"`
	Hash   common.Hash    `json:"hash"`
}

// ethCapabilities: [] -> what this node can answer about which blocks.
// Every Backend answers blocks, transactions, receipts, logs and state
// for every committed block (nothing is pruned: see Backend), so each of
// those starts at genesis with no deletion; state proofs (eth_getProof)
// are not served: the state root is not an Ethereum trie.
func (s *Server) ethCapabilities(c *call) (any, error) {
	if err := c.maxArgs(0); err != nil {
		return nil, err
	}
	h, err := s.head()
	if err != nil {
		return nil, err
	}
	all := rpcResource{OldestBlock: u64p(0)}
	return struct {
		Head        rpcHead     `json:"head"`
		Blocks      rpcResource `json:"blocks"`
		Tx          rpcResource `json:"tx"`
		Receipts    rpcResource `json:"receipts"`
		Logs        rpcResource `json:"logs"`
		State       rpcResource `json:"state"`
		StateProofs rpcResource `json:"stateproofs"`
	}{
		Head:   rpcHead{hexutil.Uint64(h.Number), s.headerHash(h)},
		Blocks: all, Tx: all, Receipts: all, Logs: all, State: all,
		StateProofs: rpcResource{Disabled: true},
	}, nil
}
