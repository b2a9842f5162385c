package sdk

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/ethereum/go-ethereum/rpc"
)

// Log is an event emitted by a contract, with its position in the chain.
type Log struct {
	Address     common.Address
	Topics      []common.Hash
	Data        []byte
	BlockNumber uint64
	BlockHash   common.Hash
	TxHash      common.Hash
	TxIndex     uint64
	Index       uint64 // position in the block
	Removed     bool
}

type logJSON struct {
	Address     common.Address `json:"address"`
	Topics      []common.Hash  `json:"topics"`
	Data        hexutil.Bytes  `json:"data"`
	BlockNumber hexutil.Uint64 `json:"blockNumber"`
	BlockHash   common.Hash    `json:"blockHash"`
	TxHash      common.Hash    `json:"transactionHash"`
	TxIndex     hexutil.Uint64 `json:"transactionIndex"`
	Index       hexutil.Uint64 `json:"logIndex"`
	Removed     bool           `json:"removed"`
}

// UnmarshalJSON reads the Ethereum JSON-RPC log shape.
func (l *Log) UnmarshalJSON(b []byte) error {
	var j logJSON
	if err := json.Unmarshal(b, &j); err != nil {
		return err
	}
	*l = Log{j.Address, j.Topics, j.Data, uint64(j.BlockNumber), j.BlockHash, j.TxHash, uint64(j.TxIndex), uint64(j.Index), j.Removed}
	return nil
}

// MarshalJSON writes the Ethereum JSON-RPC log shape.
func (l Log) MarshalJSON() ([]byte, error) {
	topics := l.Topics
	if topics == nil {
		topics = []common.Hash{}
	}
	return json.Marshal(logJSON{l.Address, topics, l.Data, hexutil.Uint64(l.BlockNumber), l.BlockHash, l.TxHash, hexutil.Uint64(l.TxIndex), hexutil.Uint64(l.Index), l.Removed})
}

// FilterQuery selects logs, as eth_getLogs and eth_subscribe("logs") do.
type FilterQuery struct {
	BlockHash *common.Hash // a single block; excludes FromBlock and ToBlock
	FromBlock *uint64      // nil: latest
	ToBlock   *uint64      // nil: latest
	Addresses []common.Address
	// Topics restricts topic positions: Topics[i] lists the accepted values
	// at position i (any of them); an empty or nil entry accepts anything.
	Topics [][]common.Hash
}

func (q FilterQuery) arg() map[string]any {
	m := map[string]any{}
	if len(q.Addresses) > 0 {
		m["address"] = q.Addresses
	}
	if len(q.Topics) > 0 {
		ts := make([]any, len(q.Topics))
		for i, alts := range q.Topics {
			if len(alts) > 0 {
				ts[i] = alts
			}
		}
		m["topics"] = ts
	}
	if q.BlockHash != nil {
		m["blockHash"] = *q.BlockHash
		return m
	}
	if q.FromBlock != nil {
		m["fromBlock"] = hexutil.Uint64(*q.FromBlock)
	}
	if q.ToBlock != nil {
		m["toBlock"] = hexutil.Uint64(*q.ToBlock)
	}
	return m
}

// FilterLogs returns the logs matching q (eth_getLogs).
func (c *Client) FilterLogs(ctx context.Context, q FilterQuery) ([]Log, error) {
	var out []Log
	if err := c.rc.CallContext(ctx, &out, "eth_getLogs", q.arg()); err != nil {
		return nil, fmt.Errorf("sdk: eth_getLogs: %w", err)
	}
	return out, nil
}

// Subscription is a live log stream. Unsubscribe stops it and closes Err;
// Err delivers the error that ended it otherwise.
type Subscription interface {
	Unsubscribe()
	Err() <-chan error
}

// SubscribeLogs streams new logs matching q into ch: eth_subscribe over
// WebSocket and IPC, a polling filter (eth_newFilter, eth_getFilterChanges
// every poll interval) over HTTP. ctx covers setting the subscription up
// only. Keep ch drained: a stalled reader stalls (polling) or ends
// (WebSocket) the subscription.
func (c *Client) SubscribeLogs(ctx context.Context, q FilterQuery, ch chan<- Log) (Subscription, error) {
	if c.rc.SupportsSubscriptions() {
		sub, err := c.rc.EthSubscribe(ctx, ch, "logs", q.arg())
		if err == nil {
			return sub, nil
		}
		if !errors.Is(err, rpc.ErrNotificationsUnsupported) {
			return nil, fmt.Errorf("sdk: eth_subscribe logs: %w", err)
		}
	}
	var id string
	if err := c.rc.CallContext(ctx, &id, "eth_newFilter", q.arg()); err != nil {
		return nil, fmt.Errorf("sdk: eth_newFilter: %w", err)
	}
	s := &pollSub{c: c, id: id, ch: ch, quit: make(chan struct{}), done: make(chan struct{}), err: make(chan error, 1)}
	c.wg.Add(1)
	go s.run()
	return s, nil
}

// pollSub is a log subscription over an HTTP polling filter.
type pollSub struct {
	c    *Client
	id   string
	ch   chan<- Log
	once sync.Once
	quit chan struct{}
	done chan struct{}
	err  chan error
}

func (s *pollSub) Unsubscribe() {
	s.once.Do(func() { close(s.quit) })
	<-s.done
}

func (s *pollSub) Err() <-chan error { return s.err }

func (s *pollSub) run() {
	defer s.c.wg.Done()
	defer close(s.done)
	defer close(s.err)
	// ctx ends on Unsubscribe or Client.Close, aborting a poll in flight.
	ctx, cancel := context.WithCancel(s.c.ctx)
	defer cancel()
	go func() {
		select {
		case <-s.quit:
			cancel()
		case <-ctx.Done():
		}
	}()
	defer func() {
		uctx, ucancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer ucancel()
		var ok bool
		if err := s.c.rc.CallContext(uctx, &ok, "eth_uninstallFilter", s.id); err != nil {
			s.c.log.Debug("eth_uninstallFilter failed", "filter", s.id, "err", err)
		}
	}()
	t := time.NewTicker(s.c.cfg.pollInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		var logs []Log
		if err := s.c.rc.CallContext(ctx, &logs, "eth_getFilterChanges", s.id); err != nil {
			if ctx.Err() == nil {
				s.err <- fmt.Errorf("sdk: eth_getFilterChanges: %w", err)
			}
			return
		}
		for _, l := range logs {
			select {
			case s.ch <- l:
			case <-ctx.Done():
				return
			}
		}
	}
}
