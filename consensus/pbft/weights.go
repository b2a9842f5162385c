package pbft

import (
	"cmp"
	"slices"
)

// Vote weights. Every count of votes in the core is a sum of the senders'
// weights (Config.Weights; 1 each when nil): a quorum is weight c.q =
// consensus.QuorumWeight(total), and each "f+1" rule of the classic
// protocol needs weight above c.f = consensus.MaxFaultyWeight(total),
// which includes an honest sealer whenever the faulty weigh at most F.

// envWeight is the weight of the senders of envs, which must be distinct
// sealer indexes (checked by the caller).
func (c *Core) envWeight(envs []*Envelope) uint64 {
	var w uint64
	for _, e := range envs {
		w += c.weights[e.Sender]
	}
	return w
}

// quorumPrefix is the shortest prefix of envs (distinct senders) whose
// weight reaches the quorum; ok is false when all of them do not.
func (c *Core) quorumPrefix(envs []*Envelope) ([]*Envelope, bool) {
	var w uint64
	for i, e := range envs {
		if w += c.weights[e.Sender]; w >= c.q {
			return envs[:i+1], true
		}
	}
	return envs, false
}

// sealerValue is a value reported by (or observed of) a sealer.
type sealerValue struct {
	sealer int
	value  uint64
}

// beyondFaulty is the highest value v such that the sealers reporting v
// or more weigh more than F: a value at least one honest sealer reached
// when the faulty weigh at most F. With unit weights it is the (f+1)-th
// highest value. ok is false when all the sealers together weigh at most F.
func (c *Core) beyondFaulty(vals []sealerValue) (uint64, bool) {
	slices.SortStableFunc(vals, func(a, b sealerValue) int { return cmp.Compare(b.value, a.value) })
	var w uint64
	for _, x := range vals {
		if w += c.weights[x.sealer]; w > c.f {
			return x.value, true
		}
	}
	return 0, false
}

// weightOfSet is the weight of the sealers marked in set.
func (c *Core) weightOfSet(set []bool) uint64 {
	var w uint64
	for i, in := range set {
		if in {
			w += c.weights[i]
		}
	}
	return w
}
