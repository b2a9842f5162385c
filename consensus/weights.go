package consensus

import "fmt"

// Vote weights of BFT sealers. Each sealer's vote counts by its weight
// (1 for every sealer unless governance weighs them; see
// docs/governance.md, "Weighted PBFT votes"). Out of total weight W,
// faulty sealers of weight at most F = floor((W-1)/3) are tolerated, and a
// quorum is any set of sealers of weight at least Q = floor((W+F)/2)+1.
// Q is the least weight with 2Q - W >= F+1: two quorums overlap in more
// than F weight, so in an honest sealer. With every weight 1 these are the
// classic f = floor((n-1)/3) and q = 2f+1 for n = 3f+1 (n = 4: 3, n = 7: 5).
// Q <= W - F, so the honest sealers alone reach a quorum.
//
// (Q = W - F, FISCO BCOS's formula, agrees with this only when W = 3F+1 or
// 3F+2: for 6 unit sealers it asks 5 signatures where 4 suffice for the
// intersection property, so this package keeps the smaller quorum.)

// MaxSealerWeight bounds a sealer's vote weight, so that the total weight
// of up to MaxSealers sealers fits a uint64 with room to spare.
const MaxSealerWeight = 1 << 32

// MaxSealers bounds a weighted sealer list.
const MaxSealers = 1 << 16

// MaxFaultyWeight is F for total weight W: floor((W-1)/3) (0 for W = 0).
func MaxFaultyWeight(total uint64) uint64 {
	if total == 0 {
		return 0
	}
	return (total - 1) / 3
}

// QuorumWeight is Q for total weight W: floor((W+F)/2)+1.
func QuorumWeight(total uint64) uint64 { return (total+MaxFaultyWeight(total))/2 + 1 }

// TotalWeight checks weights for n sealers and sums them. Nil weights
// mean every sealer weighs 1; otherwise there must be one weight per
// sealer, each in 1..MaxSealerWeight.
func TotalWeight(n int, weights []uint64) (uint64, error) {
	if weights == nil {
		return uint64(n), nil
	}
	if n > MaxSealers {
		return 0, fmt.Errorf("%w: %d weighted sealers, at most %d", ErrInvalidWeights, n, MaxSealers)
	}
	if len(weights) != n {
		return 0, fmt.Errorf("%w: %d weights for %d sealers", ErrInvalidWeights, len(weights), n)
	}
	var total uint64
	for i, w := range weights {
		if w == 0 || w > MaxSealerWeight {
			return 0, fmt.Errorf("%w: sealer %d has weight %d, must be 1 to %d", ErrInvalidWeights, i, w, uint64(MaxSealerWeight))
		}
		total += w
	}
	return total, nil
}

// UnitWeights reports whether weights give every sealer weight 1 (nil does).
func UnitWeights(weights []uint64) bool {
	for _, w := range weights {
		if w != 1 {
			return false
		}
	}
	return true
}
