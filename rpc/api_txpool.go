package rpc

import (
	"encoding/json"
	"fmt"
	"strconv"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"

	"github.com/gobcos/gobcos/types"
)

// PoolInspector is an optional Backend extension: a backend that
// implements it gets txpool_status, txpool_content and
// txpool_contentFrom; others answer "method not found".
type PoolInspector interface {
	// PoolContent returns the pooled txs, oldest first, split into
	// executable ones and queued ones (Ethereum txs behind a nonce gap).
	// Their senders are cached.
	PoolContent() (executable, queued []*types.Transaction)
}

// txpoolStatus: [] -> {pending, queued}: how many txs are executable and
// how many wait behind a nonce gap.
func (s *Server) txpoolStatus(c *call) (any, error) {
	if err := c.maxArgs(0); err != nil {
		return nil, err
	}
	exec, queued := s.b.(PoolInspector).PoolContent()
	return map[string]hexutil.Uint64{
		"pending": hexutil.Uint64(len(exec)),
		"queued":  hexutil.Uint64(len(queued)),
	}, nil
}

// txpoolContent: [] -> {pending, queued}, each the txs by sender (EIP-55
// address) and nonce (decimal; a native tx's random nonce too).
func (s *Server) txpoolContent(c *call) (any, error) {
	if err := c.maxArgs(0); err != nil {
		return nil, err
	}
	exec, queued := s.b.(PoolInspector).PoolContent()
	group := func(txs []*types.Transaction) map[string]map[string]any {
		out := make(map[string]map[string]any)
		for _, tx := range txs {
			from := s.senderOf(tx).Hex()
			if out[from] == nil {
				out[from] = make(map[string]any)
			}
			out[from][nonceKey(tx)] = s.marshalTx(tx, nil)
		}
		return out
	}
	return map[string]any{"pending": group(exec), "queued": group(queued)}, nil
}

// txpoolContentFrom: [address] -> {pending, queued}, the address's txs by
// nonce.
func (s *Server) txpoolContentFrom(c *call) (any, error) {
	if err := c.maxArgs(1); err != nil {
		return nil, err
	}
	addr, err := c.addressArg(0, "address")
	if err != nil {
		return nil, err
	}
	exec, queued := s.b.(PoolInspector).PoolContent()
	pick := func(txs []*types.Transaction) map[string]any {
		out := make(map[string]any)
		for _, tx := range txs {
			if s.senderOf(tx) == addr {
				out[nonceKey(tx)] = s.marshalTx(tx, nil)
			}
		}
		return out
	}
	return map[string]any{"pending": pick(exec), "queued": pick(queued)}, nil
}

// nonceKey is a tx's nonce in decimal, as txpool_content keys it.
func nonceKey(tx *types.Transaction) string {
	if n := tx.Native(); n != nil {
		return bigOrZero(n.Nonce).String()
	}
	return strconv.FormatUint(tx.Nonce(), 10)
}

// Bound of eth_getStorageValues: the slots of one request, all addresses
// together (go-ethereum's bound).
const maxStorageValues = 1024

// ethGetStorageValues: [{address: [slot, ...]}, block] -> {address:
// [value, ...]}: many eth_getStorageAt reads of one block in one call.
func (s *Server) ethGetStorageValues(c *call) (any, error) {
	if err := c.maxArgs(2); err != nil {
		return nil, err
	}
	raw, err := c.required(0, "storage requests")
	if err != nil {
		return nil, err
	}
	var req map[string][]string
	if err := json.Unmarshal(raw, &req); err != nil {
		return nil, argError(0, "storage requests", fmt.Errorf("want an object of address to array of slots: %v", err))
	}
	type item struct {
		addr  common.Address
		key   string
		slots []common.Hash
	}
	items := make([]item, 0, len(req))
	seen := make(map[common.Address]string, len(req))
	total := 0
	for k, strs := range req {
		addr, err := parseAddress(k)
		if err != nil {
			return nil, argError(0, "storage requests", fmt.Errorf("key %q: %v", k, err))
		}
		if other, dup := seen[addr]; dup {
			return nil, argError(0, "storage requests", fmt.Errorf("address %v is given twice (%q and %q)", addr, other, k))
		}
		seen[addr] = k
		if total += len(strs); total > maxStorageValues {
			return nil, argError(0, "storage requests", fmt.Errorf("more than %d slots requested", maxStorageValues))
		}
		it := item{addr: addr, key: k, slots: make([]common.Hash, len(strs))}
		for i, str := range strs {
			if it.slots[i], err = parseSlot(str); err != nil {
				return nil, argError(0, "storage requests", fmt.Errorf("%s slot %d: %v", k, i, err))
			}
		}
		items = append(items, it)
	}
	ref, err := c.stateArg(1, "block")
	if err != nil {
		return nil, err
	}
	n, err := s.stateNumber(ref)
	if err != nil {
		return nil, err
	}
	out := make(map[string][]hexutil.Bytes, len(items))
	for _, it := range items {
		vals := make([]hexutil.Bytes, len(it.slots))
		for i, slot := range it.slots {
			v, err := s.b.Storage(it.addr, slot, n)
			if err != nil {
				return nil, err
			}
			vals[i] = v[:]
		}
		out[it.key] = vals
	}
	return out, nil
}
