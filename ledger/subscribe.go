package ledger

import (
	"sync"

	"github.com/ethereum/go-ethereum/common"

	"github.com/gobcos/gobcos/types"
)

// CommitEvent announces a committed block. Receipts have their derived
// fields (positions, sender, recipient, cumulative gas) filled. Events are
// shared between subscribers: do not modify them.
type CommitEvent struct {
	Block    *types.Block
	Hash     common.Hash
	Receipts []*types.Receipt
}

type subscription struct {
	ch chan *CommitEvent
}

// Subscribe returns a channel receiving an event after each commit, and a
// function ending the subscription (which closes the channel; calling it
// again is harmless). Commits never wait for subscribers: one whose buffer
// (at least 1) is full when a block commits is dropped and its channel
// closed, so a reader seeing the channel close early knows it fell behind
// and must catch up from the ledger. Close also closes every channel.
func (l *Ledger) Subscribe(buffer int) (<-chan *CommitEvent, func()) {
	if buffer < 1 {
		buffer = 1
	}
	s := &subscription{ch: make(chan *CommitEvent, buffer)}
	l.subsMu.Lock()
	if l.closed.Load() {
		close(s.ch)
	} else {
		l.subs[s] = struct{}{}
	}
	l.subsMu.Unlock()
	var once sync.Once
	return s.ch, func() {
		once.Do(func() {
			l.subsMu.Lock()
			defer l.subsMu.Unlock()
			if _, ok := l.subs[s]; ok {
				delete(l.subs, s)
				close(s.ch)
			}
		})
	}
}

func (l *Ledger) notify(ev *CommitEvent) {
	l.subsMu.Lock()
	defer l.subsMu.Unlock()
	for s := range l.subs {
		select {
		case s.ch <- ev:
		default:
			delete(l.subs, s)
			close(s.ch)
			l.logger.Warn("dropped a commit subscriber that fell behind", "block", ev.Block.Header.Number, "buffer", cap(s.ch))
		}
	}
}
