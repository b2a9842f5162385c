package network

import (
	"log/slog"
	"time"
)

// GroupPolicy tells whether peer is a member of group (Config.GroupMembers):
// nil if it is, otherwise an error wrapping a refusal sentinel (ErrDenied,
// ErrNotInNodeList, ErrUnknownGroup...), whose RefusalReason labels the
// drop counters. It is never asked about node-level messages (group "").
// It must be safe for concurrent use; it may take locks, as the host
// caches its answers (see Host.GroupsChanged) instead of calling it for
// every message.
type GroupPolicy func(group string, peer NodeID) error

// maxCachedGroups bounds a peer's cache of group decisions; a full cache
// starts over. A node serves a handful of groups, and only groups with a
// handler (or broadcast by this node) are ever looked up.
const maxCachedGroups = 32

// groupLogEvery spaces the debug logs of one peer's group drops.
const groupLogEvery = 10 * time.Second

// groupVerdicts is an immutable snapshot of one peer's group decisions,
// valid while the host's group generation equals gen.
type groupVerdicts struct {
	gen      uint64
	verdicts map[string]error
}

// Indexes of the group drop counters (hostStats.groupReasons).
const (
	groupDropDenied = iota
	groupDropNotInNodeList
	groupDropUnknownGroup
	groupDropOther
	numGroupDropReasons
)

var groupDropReasons = [numGroupDropReasons]RefusalReason{
	groupDropDenied:        ReasonDenied,
	groupDropNotInNodeList: ReasonNotInNodeList,
	groupDropUnknownGroup:  ReasonUnknownGroup,
	groupDropOther:         ReasonOther,
}

func groupDropIndex(r RefusalReason) int {
	for i, x := range groupDropReasons {
		if x == r {
			return i
		}
	}
	return groupDropOther
}

// GroupsChanged tells the host that the group membership rule changed (a
// node list, the allow-list or the deny-list): the decisions it cached are
// dropped, and the next message of each peer and group, inbound or
// broadcast, consults Config.GroupMembers again. Make the change first,
// then call it. Every recheck round (Config.Recheck, DropRefused) calls it
// too. It is cheap: one atomic increment.
func (h *Host) GroupsChanged() { h.groupGen.Add(1) }

// member applies Config.GroupMembers to this peer: nil if it may send and
// receive group's messages. Node-level messages (group "") always pass.
// The decision is read from an atomic snapshot; the policy runs only on a
// miss (a group not seen since the last GroupsChanged), so the hot path
// takes no lock.
func (p *peer) member(group string) error {
	pol := p.h.cfg.GroupMembers
	if pol == nil || group == "" {
		return nil
	}
	// Load the generation before asking the policy: a change made while
	// it runs bumps the generation, so a stale answer is never kept.
	gen := p.h.groupGen.Load()
	cur := p.groups.Load()
	if cur != nil && cur.gen == gen {
		if err, ok := cur.verdicts[group]; ok {
			return err
		}
	}
	err := pol(group, p.id)
	next := &groupVerdicts{gen: gen, verdicts: map[string]error{group: err}}
	if cur != nil && cur.gen == gen && len(cur.verdicts) < maxCachedGroups {
		for g, e := range cur.verdicts {
			next.verdicts[g] = e
		}
	}
	// Losing the race to another writer only costs a later recomputation.
	p.groups.CompareAndSwap(cur, next)
	return err
}

// dropGroupMessage counts and (rate limited) logs an inbound message of a
// group this peer is not a member of. It runs on the peer's reader.
func (p *peer) dropGroupMessage(m Message, err error) {
	reason := ReasonOf(err)
	if reason == "" {
		reason = ReasonOther
	}
	i := groupDropIndex(reason)
	p.groupDropped.Add(1)
	p.h.stats.groupDropped.Add(1)
	p.h.stats.groupReasons[i].Add(1)
	now := p.elapsed()
	if now < p.groupLogNext {
		p.groupLogMuted++
		return
	}
	p.h.log.LogAttrs(p.h.ctx, slog.LevelDebug, "dropped a message of a group the peer is not a member of",
		slog.String("peer", p.id.Short()), slog.String("name", p.conn.Peer.Name), slog.String("group", m.Group),
		slog.Int("module", int(m.Module)), slog.String("reason", string(reason)), slog.Any("err", err),
		slog.Uint64("suppressed", p.groupLogMuted))
	p.groupLogNext, p.groupLogMuted = now+groupLogEvery, 0
}

// groupDropStats copies the group drop counters by reason (non-zero only).
func (s *hostStats) groupDropStats() map[RefusalReason]uint64 {
	out := map[RefusalReason]uint64{}
	for i := range s.groupReasons {
		if n := s.groupReasons[i].Load(); n > 0 {
			out[groupDropReasons[i]] = n
		}
	}
	return out
}
