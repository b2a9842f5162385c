package explorer

import (
	"context"
	"encoding/binary"
	"fmt"
	"sort"
	"sync"

	"github.com/ethereum/go-ethereum/accounts/abi"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"

	"github.com/gobcos/gobcos/executor/precompiled"
)

// What the contracts do not list (frozen accounts and contracts, CNS
// names) the explorer learns from their event logs: govScan reads the
// Permission and CNS logs once, block range by block range, and keeps
// what it found; every view then reads only the new blocks.

// Log scanning bounds.
const (
	scanWindow      = 5000 // blocks per eth_getLogs (the node's default limit is 10000)
	scanMinWindow   = 16   // below this a failing range is an error, not a limit
	scanBudget      = 40   // eth_getLogs calls one request may make
	maxHistoryItems = 5000 // addresses and names kept
)

// GovEvent is a decoded governance log.
type GovEvent struct {
	Block    uint64       `json:"block"`
	Tx       common.Hash  `json:"tx"`
	LogIndex uint64       `json:"logIndex"`
	Event    *DecodedCall `json:"event"`
}

// FrozenEntry is an account or contract found frozen (or abolished).
type FrozenEntry struct {
	Address common.Address `json:"address"`
	Status  string         `json:"status"` // frozen or abolished
	// EnableNumber is the block the status applies from.
	EnableNumber uint64 `json:"enableNumber"`
}

// CNSName is a registered name version seen in the CNS logs.
type CNSName struct {
	Name       string         `json:"name"`
	Version    string         `json:"version"`
	Target     common.Address `json:"target"`
	Registrant common.Address `json:"registrant"`
	Block      uint64         `json:"block"`
}

// GovHistory is what the logs tell of the governance state.
type GovHistory struct {
	FrozenAccounts  []FrozenEntry `json:"frozenAccounts"`
	FrozenContracts []FrozenEntry `json:"frozenContracts"`
	Names           []CNSName     `json:"names"`
	// ScannedTo is the last block whose logs were read; Complete is
	// false while older blocks remain (the next view reads on).
	ScannedTo uint64 `json:"scannedTo"`
	Complete  bool   `json:"complete"`
}

type govScan struct {
	rpc *rpcClient

	mu        sync.Mutex
	next      uint64 // next block to read
	window    uint64
	accounts  map[common.Address]FrozenEntry // last status change of each account
	contracts map[common.Address]FrozenEntry // of each contract
	names     []CNSName
}

func newGovScan(c *rpcClient) *govScan {
	return &govScan{rpc: c, window: scanWindow, accounts: map[common.Address]FrozenEntry{}, contracts: map[common.Address]FrozenEntry{}}
}

// rawLog is a log as eth_getLogs returns it.
type rawLog struct {
	Address     common.Address `json:"address"`
	Topics      []common.Hash  `json:"topics"`
	Data        hexutil.Bytes  `json:"data"`
	BlockNumber hexutil.Uint64 `json:"blockNumber"`
	TxHash      common.Hash    `json:"transactionHash"`
	LogIndex    hexutil.Uint64 `json:"logIndex"`
}

// getLogs reads the logs of [from, to] in ranges the node accepts,
// halving the range when the node refuses one, for at most budget calls.
// It returns the logs and the last block read.
func (g *govScan) getLogs(ctx context.Context, window *uint64, filter map[string]any, from, to uint64, budget int,
	stop func([]rawLog) bool) ([]rawLog, uint64, error) {
	var out []rawLog
	last := from
	readAny := false
	for n := from; n <= to && budget > 0; {
		end := min(to, n+*window-1)
		f := map[string]any{"fromBlock": hexutil.EncodeUint64(n), "toBlock": hexutil.EncodeUint64(end)}
		for k, v := range filter {
			f[k] = v
		}
		var logs []rawLog
		budget--
		if err := g.rpc.call(ctx, &logs, "eth_getLogs", f); err != nil {
			if ctx.Err() != nil || *window <= scanMinWindow {
				return nil, 0, err
			}
			*window /= 2
			continue
		}
		out = append(out, logs...)
		last, readAny = end, true
		n = end + 1
		if stop != nil && stop(logs) {
			break
		}
	}
	if !readAny {
		return out, from, errNothingRead
	}
	return out, last, nil
}

var errNothingRead = fmt.Errorf("no block range read")

// history reads the Permission and CNS logs up to head and returns what
// they show: the accounts and contracts whose last status change froze
// (or abolished) them, with the block it applies from, and the names.
func (g *govScan) history(ctx context.Context, s *Server, head uint64) (*GovHistory, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	perm, _ := s.abis.get(precompiled.PermissionAddress)
	cns, _ := s.abis.get(precompiled.CNSAddress)
	evAcc, evCon, evName := perm.abi.Events["AccountStatusChanged"], perm.abi.Events["ContractStatusChanged"], cns.abi.Events["NameRegistered"]
	filter := map[string]any{
		"address": []common.Address{precompiled.PermissionAddress, precompiled.CNSAddress},
		"topics":  [][]common.Hash{{evAcc.ID, evCon.ID, evName.ID}},
	}
	if g.next > head+1 {
		// The node is behind what was read (another chain, or one
		// restored from an older copy): read again from the start.
		g.next, g.names = 0, nil
		clear(g.accounts)
		clear(g.contracts)
	}
	if g.next <= head {
		logs, last, err := g.getLogs(ctx, &g.window, filter, g.next, head, scanBudget, nil)
		if err != nil && err != errNothingRead {
			return nil, err
		}
		if err == nil {
			for _, l := range logs {
				if len(l.Topics) < 2 {
					continue
				}
				switch l.Topics[0] {
				case evAcc.ID, evCon.ID:
					g.status(l, evAcc.ID, evAcc.Inputs.NonIndexed(), evCon.Inputs.NonIndexed())
				case evName.ID:
					vals, err := evName.Inputs.NonIndexed().Unpack(l.Data)
					if err != nil || len(vals) != 2 || len(l.Topics) < 3 || len(g.names) >= maxHistoryItems {
						continue
					}
					name, _ := vals[0].(string)
					version, _ := vals[1].(string)
					g.names = append(g.names, CNSName{Name: name, Version: version, Target: common.BytesToAddress(l.Topics[1][:]),
						Registrant: common.BytesToAddress(l.Topics[2][:]), Block: uint64(l.BlockNumber)})
				}
			}
			g.next = last + 1
		}
	}
	h := &GovHistory{Names: append([]CNSName{}, g.names...), Complete: g.next > head,
		FrozenAccounts: []FrozenEntry{}, FrozenContracts: []FrozenEntry{}}
	if g.next > 0 {
		h.ScannedTo = g.next - 1
	}
	for _, e := range g.accounts {
		if e.Status != "" {
			h.FrozenAccounts = append(h.FrozenAccounts, e)
		}
	}
	for _, e := range g.contracts {
		if e.Status != "" {
			h.FrozenContracts = append(h.FrozenContracts, e)
		}
	}
	byAddr := func(x []FrozenEntry) func(i, j int) bool {
		return func(i, j int) bool { return x[i].Address.Cmp(x[j].Address) < 0 }
	}
	sort.Slice(h.FrozenAccounts, byAddr(h.FrozenAccounts))
	sort.Slice(h.FrozenContracts, byAddr(h.FrozenContracts))
	return h, nil
}

// status records an AccountStatusChanged(account, bool frozen, uint64
// enableNumber) or ContractStatusChanged(target, uint8 status, uint64
// enableNumber) log: the last one of an address is its status.
func (g *govScan) status(l rawLog, accID common.Hash, accData, conData abi.Arguments) {
	addr := common.BytesToAddress(l.Topics[1][:])
	if l.Topics[0] == accID {
		vals, err := accData.Unpack(l.Data)
		if err != nil || len(vals) != 2 {
			return
		}
		frozen, _ := vals[0].(bool)
		enable, _ := vals[1].(uint64)
		e := FrozenEntry{Address: addr, EnableNumber: enable}
		if frozen {
			e.Status = "frozen"
		}
		if _, ok := g.accounts[addr]; ok || len(g.accounts) < maxHistoryItems {
			g.accounts[addr] = e
		}
		return
	}
	vals, err := conData.Unpack(l.Data)
	if err != nil || len(vals) != 2 {
		return
	}
	st, _ := vals[0].(uint8)
	enable, _ := vals[1].(uint64)
	e := FrozenEntry{Address: addr, EnableNumber: enable}
	switch st {
	case precompiled.ContractFrozen:
		e.Status = "frozen"
	case precompiled.ContractAbolished:
		e.Status = "abolished"
	}
	if _, ok := g.contracts[addr]; ok || len(g.contracts) < maxHistoryItems {
		g.contracts[addr] = e
	}
}

// proposalEvents reads the Committee events of proposal id in [from, to],
// stopping after the event that ended it. It returns the events, the last
// block read and whether the range was read to its end (or to the end of
// the proposal).
func (g *govScan) proposalEvents(ctx context.Context, s *Server, id, from, to uint64) ([]GovEvent, uint64, bool, error) {
	if from > to {
		return []GovEvent{}, to, true, nil
	}
	com, _ := s.abis.get(precompiled.CommitteeAddress)
	var ids []common.Hash
	ends := map[common.Hash]bool{}
	for _, name := range []string{"ProposalCreated", "VoteCast", "ProposalExecuted", "ProposalRejected", "ProposalFailed", "ProposalRevoked"} {
		ev := com.abi.Events[name]
		ids = append(ids, ev.ID)
		if name != "ProposalCreated" && name != "VoteCast" {
			ends[ev.ID] = true
		}
	}
	filter := map[string]any{
		"address": precompiled.CommitteeAddress,
		"topics":  [][]common.Hash{ids, {idTopic(id)}},
	}
	ended := false
	g.mu.Lock()
	window := g.window
	g.mu.Unlock()
	logs, last, err := g.getLogs(ctx, &window, filter, from, to, scanBudget, func(ls []rawLog) bool {
		for _, l := range ls {
			if len(l.Topics) > 0 && ends[l.Topics[0]] {
				ended = true
			}
		}
		return ended
	})
	if err != nil {
		return nil, 0, false, err
	}
	out := make([]GovEvent, 0, len(logs))
	for _, l := range logs {
		out = append(out, GovEvent{Block: uint64(l.BlockNumber), Tx: l.TxHash, LogIndex: uint64(l.LogIndex),
			Event: s.abis.decodeLog(l.Address, l.Topics, l.Data)})
	}
	return out, last, ended || last >= to, nil
}

// idTopic is a uint64 as an indexed event argument.
func idTopic(id uint64) common.Hash {
	var h common.Hash
	binary.BigEndian.PutUint64(h[24:], id)
	return h
}
