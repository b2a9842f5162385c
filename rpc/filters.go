package rpc

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/ethereum/go-ethereum/common"
)

// Polling filters. Log and block filters remember the next block number
// to report and read the ledger when polled, so no committed block is
// missed however long the client waits (up to FilterTimeout). Pending-tx
// filters buffer hashes from the pool up to maxPendingBuffer.

type filterKind uint8

const (
	logFilter filterKind = iota
	blockFilter
	pendingTxFilter
)

const maxPendingBuffer = 4096

type filter struct {
	kind  filterKind
	query logQuery // logFilter only

	mu       sync.Mutex // serializes polls
	next     uint64     // next block to report (log and block filters)
	hashes   []common.Hash
	overflow bool
	deadline time.Time
}

type filterManager struct {
	s       *Server
	mu      sync.Mutex
	filters map[string]*filter
}

func newFilterManager(s *Server) *filterManager {
	return &filterManager{s: s, filters: make(map[string]*filter)}
}

// newID makes a random id in the shape of a hex quantity (no leading
// zeros), as go-ethereum does for filter and subscription ids.
func newID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	id := strings.TrimLeft(hex.EncodeToString(b[:]), "0")
	if id == "" {
		id = "0"
	}
	return "0x" + id
}

func (m *filterManager) install(f *filter) (string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if len(m.filters) >= m.s.cfg.MaxFilters {
		return "", limitExceeded("%v: the limit is %d; uninstall filters you no longer poll (eth_uninstallFilter)", ErrTooManyFilters, m.s.cfg.MaxFilters)
	}
	f.deadline = m.s.now().Add(m.s.cfg.FilterTimeout)
	id := newID()
	m.filters[id] = f
	return id, nil
}

func (m *filterManager) get(id string) (*filter, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	f, ok := m.filters[strings.ToLower(id)]
	if !ok {
		return nil, ErrFilterNotFound
	}
	f.deadline = m.s.now().Add(m.s.cfg.FilterTimeout)
	return f, nil
}

func (m *filterManager) uninstall(id string) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	id = strings.ToLower(id)
	_, ok := m.filters[id]
	delete(m.filters, id)
	return ok
}

// expire removes filters not polled since their deadline.
func (m *filterManager) expire(now time.Time) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for id, f := range m.filters {
		if now.After(f.deadline) {
			delete(m.filters, id)
		}
	}
}

func (m *filterManager) janitor() {
	defer m.s.wg.Done()
	every := min(max(m.s.cfg.FilterTimeout/4, time.Second), time.Minute)
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-t.C:
			m.expire(m.s.now())
		case <-m.s.quit:
			m.mu.Lock()
			clear(m.filters)
			m.mu.Unlock()
			return
		}
	}
}

func (m *filterManager) addPending(h common.Hash) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, f := range m.filters {
		if f.kind != pendingTxFilter {
			continue
		}
		f.mu.Lock()
		if len(f.hashes) >= maxPendingBuffer {
			f.overflow = true
		} else {
			f.hashes = append(f.hashes, h)
		}
		f.mu.Unlock()
	}
}

// changes answers eth_getFilterChanges.
func (m *filterManager) changes(c *call, id string) (any, error) {
	f, err := m.get(id)
	if err != nil {
		return nil, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.kind == pendingTxFilter {
		out := f.hashes
		overflow := f.overflow
		f.hashes, f.overflow = nil, false
		if overflow {
			return nil, fmt.Errorf("filter overflowed: more than %d pending transactions since the last poll; poll more often", maxPendingBuffer)
		}
		if out == nil {
			out = []common.Hash{}
		}
		return out, nil
	}
	s := m.s
	head, err := s.headNumber()
	if err != nil {
		return nil, err
	}
	if f.next > head {
		if f.kind == blockFilter {
			return []common.Hash{}, nil
		}
		return []*rpcLog{}, nil
	}
	// Report at most MaxLogRange blocks per poll; the rest come next time.
	last := head
	if last-f.next+1 > s.cfg.MaxLogRange {
		last = f.next + s.cfg.MaxLogRange - 1
	}
	if f.kind == blockFilter {
		out := make([]common.Hash, 0, last-f.next+1)
		for n := f.next; n <= last; n++ {
			h, err := s.headerByNumber(n)
			if err != nil {
				return nil, err
			}
			if h == nil {
				return nil, fmt.Errorf("block #%d is missing from the ledger", n)
			}
			out = append(out, s.headerHash(h))
		}
		f.next = last + 1
		return out, nil
	}
	from, to := f.next, last
	if f.query.from != nil && (f.query.from.kind == tagNumber || f.query.from.kind == tagEarliest) {
		from = max(from, f.query.from.resolve(0))
	}
	if f.query.to != nil && (f.query.to.kind == tagNumber || f.query.to.kind == tagEarliest) {
		to = min(to, f.query.to.resolve(0))
	}
	var logs []*rpcLog
	if from <= to && f.query.blockHash == nil {
		logs, err = s.rangeLogs(c, &f.query, from, to)
		if err != nil {
			return nil, err
		}
	}
	f.next = last + 1
	if logs == nil {
		logs = []*rpcLog{}
	}
	return logs, nil
}
