package rpc

import (
	"encoding/json"
	"sync"

	"github.com/ethereum/go-ethereum/common"
)

// hub receives the backend's commit (and pending tx) streams and fans them
// out to WebSocket subscriptions, pending-tx filters and receipt waiters.

type subKind uint8

const (
	subNewHeads subKind = iota
	subLogs
	subPendingTxs
)

// subscription is one eth_subscribe of a WebSocket connection. Until the
// subscribe answer is queued, notifications wait in backlog, so the client
// always learns the id before the first notification and misses nothing
// committed after it subscribed.
type subscription struct {
	id    string
	kind  subKind
	query logQuery // subLogs only
	conn  *wsConn

	mu      sync.Mutex
	live    bool
	backlog [][]byte
}

func (sub *subscription) deliver(result json.RawMessage) {
	msg, err := json.Marshal(&jsonNotification{Version: "2.0", Method: "eth_subscription", Params: &subscriptionParams{Subscription: sub.id, Result: result}})
	if err != nil {
		return
	}
	sub.mu.Lock()
	defer sub.mu.Unlock()
	if sub.live {
		sub.conn.trySend(msg)
		return
	}
	if len(sub.backlog) >= wsSendQueue {
		sub.conn.tooSlow()
		return
	}
	sub.backlog = append(sub.backlog, msg)
}

// goLive sends the backlog and lets later notifications through.
func (sub *subscription) goLive() {
	sub.mu.Lock()
	defer sub.mu.Unlock()
	for _, msg := range sub.backlog {
		sub.conn.trySend(msg)
	}
	sub.backlog, sub.live = nil, true
}

type hub struct {
	s       *Server
	commits chan CommitEvent
	pending chan common.Hash // nil without a PendingTxSource
	unsubs  []func()
	mu      sync.Mutex
	subs    map[string]*subscription
	waiters map[common.Hash][]chan *bcosReceipt
}

func newHub(s *Server) *hub {
	h := &hub{
		s:       s,
		commits: make(chan CommitEvent, 64),
		subs:    make(map[string]*subscription),
		waiters: make(map[common.Hash][]chan *bcosReceipt),
	}
	h.unsubs = append(h.unsubs, s.b.SubscribeCommits(h.commits))
	if ps, ok := s.b.(PendingTxSource); ok {
		h.pending = make(chan common.Hash, 1024)
		h.unsubs = append(h.unsubs, ps.SubscribePendingTxs(h.pending))
	}
	return h
}

func (h *hub) run() {
	defer h.s.wg.Done()
	defer func() {
		// Drain while unsubscribing: a backend may be blocked in a send.
		stop := make(chan struct{})
		go func() {
			for {
				select {
				case <-h.commits:
				case <-h.pending:
				case <-stop:
					return
				}
			}
		}()
		for _, u := range h.unsubs {
			if u != nil {
				u()
			}
		}
		close(stop)
	}()
	for {
		select {
		case ev := <-h.commits:
			h.onCommit(ev)
		case hash := <-h.pending:
			h.onPending(hash)
		case <-h.s.quit:
			return
		}
	}
}

func (h *hub) add(sub *subscription) {
	h.mu.Lock()
	h.subs[sub.id] = sub
	h.mu.Unlock()
}

func (h *hub) remove(id string) {
	h.mu.Lock()
	delete(h.subs, id)
	h.mu.Unlock()
}

func (h *hub) snapshot(kind subKind) []*subscription {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []*subscription
	for _, sub := range h.subs {
		if sub.kind == kind {
			out = append(out, sub)
		}
	}
	return out
}

// wait registers interest in a tx's receipt; cancel must be called.
func (h *hub) wait(tx common.Hash) (ch chan *bcosReceipt, cancel func()) {
	ch = make(chan *bcosReceipt, 1)
	h.mu.Lock()
	h.waiters[tx] = append(h.waiters[tx], ch)
	h.mu.Unlock()
	return ch, func() {
		h.mu.Lock()
		defer h.mu.Unlock()
		list := h.waiters[tx]
		for i, c := range list {
			if c == ch {
				list = append(list[:i], list[i+1:]...)
				break
			}
		}
		if len(list) == 0 {
			delete(h.waiters, tx)
		} else {
			h.waiters[tx] = list
		}
	}
}

func (h *hub) onCommit(ev CommitEvent) {
	s := h.s
	if ev.Block == nil || ev.Block.Header == nil {
		return
	}
	blk := ev.Block
	hash := s.headerHash(blk.Header)
	s.blockCache.add(blk.Header.Number, blk)
	var receipts *lazyReceipts
	if len(ev.Receipts) == len(blk.Txs) {
		receipts = s.cacheReceipts(blk, hash, ev.Receipts)
	} else {
		s.log.Error("commit event with mismatched receipts", "block", blk.Header.Number, "txs", len(blk.Txs), "receipts", len(ev.Receipts))
	}

	if heads := h.snapshot(subNewHeads); len(heads) > 0 {
		if res, err := json.Marshal(marshalHeader(blk.Header, hash)); err == nil {
			for _, sub := range heads {
				sub.deliver(res)
			}
		}
	}
	if logSubs := h.snapshot(subLogs); len(logSubs) > 0 {
		for _, sub := range logSubs {
			if !sub.query.inRange(blk.Header.Number) || !sub.query.bloomMatches(blk.Header.LogsBloom) {
				continue
			}
			if receipts == nil {
				continue
			}
			for _, r := range receipts.get() {
				for _, l := range r.Logs {
					if !sub.query.matchesLog(l) {
						continue
					}
					if res, err := json.Marshal(l); err == nil {
						sub.deliver(res)
					}
				}
			}
		}
	}

	if receipts == nil {
		return
	}
	type waiting struct {
		index int
		chans []chan *bcosReceipt
	}
	var woken []waiting
	h.mu.Lock()
	if len(h.waiters) > 0 {
		for i, tx := range blk.Txs {
			if list, ok := h.waiters[tx.Hash()]; ok {
				woken = append(woken, waiting{i, list})
				delete(h.waiters, tx.Hash())
			}
		}
	}
	h.mu.Unlock()
	for _, w := range woken {
		r := receipts.get()[w.index]
		for _, ch := range w.chans {
			ch <- r // buffered, one value each: never blocks
		}
	}
}

func (h *hub) onPending(hash common.Hash) {
	h.s.filters.addPending(hash)
	subs := h.snapshot(subPendingTxs)
	if len(subs) == 0 {
		return
	}
	res, _ := json.Marshal(hash)
	for _, sub := range subs {
		sub.deliver(res)
	}
}
