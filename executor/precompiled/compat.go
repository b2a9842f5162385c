package precompiled

import (
	"fmt"
	"slices"
	"strconv"
	"time"
)

// Compatibility versions: the rule sets a chain's compatibility_version
// may name. A rule added in a version applies only from the block at which
// the chain's version reaches it, so a node running newer code follows the
// old rules until the committee raises the version (docs/governance.md,
// "Compatibility versions").
const (
	// CompatV0_1 is the first rule set.
	CompatV0_1 = "0.1.0"
	// CompatV0_2 adds SystemInfo.compatibilityVersion() and applies the
	// deploy allow-list and method access to creations and calls made by
	// contracts.
	CompatV0_2 = "0.2.0"
	// CompatV0_3 adds weighted PBFT votes (a sealer's vote counts by its
	// ConsensusNodes weight, at most MaxSealerWeight, which ConsensusNodes
	// enforces from this version on) and tx-hash proposals in PBFT (a
	// proposal carries its transactions' hashes and replicas fetch the
	// bodies they lack).
	CompatV0_3 = "0.3.0"
	// CompatV0_4 delays the governance changes consensus reads (system
	// config, including the compatibility version, and the consensus node
	// list and weights): made in block h, they take effect from block h+2
	// instead of h+1 (GovernanceDelay). The rules of block X are then
	// fixed by block X-2, so PBFT verifies and votes on X while X-1 still
	// executes (pipelining).
	CompatV0_4 = "0.4.0"
	// CompatV0_5 hashes a block's write set for its state root in parts of
	// 256 writes (state.WriteSet.Root), which a parallel executor hashes on
	// several cores; before it, in one pass (state.WriteSet.FlatRoot).
	CompatV0_5 = "0.5.0"
)

// compatVersions are the versions this code implements, oldest first.
var compatVersions = []string{CompatV0_1, CompatV0_2, CompatV0_3, CompatV0_4, CompatV0_5}

// PartsRoot reports whether a block of compatibility version compat hashes
// its write set in parts for its state root (from 0.5.0).
func PartsRoot(compat string) bool { return CompareVersions(compat, CompatV0_5) >= 0 }

// GovernanceDelay is how many blocks after the block that makes it a
// change of the system config or the consensus node list takes effect,
// for a block whose compatibility version is compat: 1 (the next block)
// below 0.4.0, 2 from 0.4.0. Freezes, roles, governors, thresholds and
// the deploy mode are read at execution only and keep their timing.
func GovernanceDelay(compat string) uint64 {
	if CompareVersions(compat, CompatV0_4) >= 0 {
		return MaxGovernanceDelay
	}
	return 1
}

// MaxGovernanceDelay is the largest GovernanceDelay of any version: with
// no change to the system config or the node list since block X, every
// block from X+MaxGovernanceDelay on has the same ones.
const MaxGovernanceDelay = 2

// Pipelined reports whether the rules of block X (its system config and
// consensus node list) are fixed by block X-2, given compat, the
// compatibility version in force at block X-1: from 0.4.0, block X-1
// changes nothing before X+1. Below it, they follow from block X-1.
func Pipelined(compatAtParent string) bool { return GovernanceDelay(compatAtParent) == 2 }

// LatestCompatibility is the highest compatibility version this code implements.
func LatestCompatibility() string { return compatVersions[len(compatVersions)-1] }

// KnownCompatibility reports whether this code implements version v.
func KnownCompatibility(v string) bool { return slices.Contains(compatVersions, v) }

// CompareVersions compares two MAJOR.MINOR.PATCH versions (-1, 0, +1);
// a malformed version sorts before every valid one.
func CompareVersions(a, b string) int {
	va, oka := parseVersion(a)
	vb, okb := parseVersion(b)
	switch {
	case !oka && !okb:
		return 0
	case !oka:
		return -1
	case !okb:
		return 1
	}
	return slices.Compare(va[:], vb[:])
}

// ValidVersion reports whether v is a MAJOR.MINOR.PATCH version.
func ValidVersion(v string) bool {
	_, ok := parseVersion(v)
	return ok
}

// ChainParams is the system configuration in force at one block, typed.
// A key the chain does not set keeps the zero value (Has tells).
type ChainParams struct {
	TxCountLimit     uint64
	TxGasLimit       uint64
	ConsensusTimeout time.Duration
	LeaderPeriod     uint64
	MinSealInterval  time.Duration
	// PermissionCheck is the permission switch as transactions are checked
	// against it: on unless the chain sets permission_check to "0".
	PermissionCheck bool
	// Compatibility is the chain's compatibility version; CompatV0_1 when
	// the chain does not set one.
	Compatibility string
	// Has lists the keys the chain sets.
	Has map[string]bool
}

// Params returns the configuration in force at block, typed. A value that
// does not parse is an error (the contract only stores valid values).
func (g *GovernanceReader) Params(block uint64) (ChainParams, error) {
	conf, err := g.SystemConfig(block)
	if err != nil {
		return ChainParams{}, err
	}
	return paramsOf(conf)
}

func paramsOf(conf map[string]ConfigValue) (ChainParams, error) {
	p := ChainParams{Compatibility: CompatV0_1, Has: make(map[string]bool, len(conf))}
	num := func(key string) (uint64, error) {
		v, ok := conf[key]
		if !ok {
			return 0, nil
		}
		n, err := strconv.ParseUint(v.Value, 10, 64)
		if err != nil {
			return 0, fmt.Errorf("system config %s = %q is not a number", key, v.Value)
		}
		p.Has[key] = true
		return n, nil
	}
	var err error
	var ms, seal, check uint64
	for _, f := range []struct {
		key string
		to  *uint64
	}{
		{KeyTxCountLimit, &p.TxCountLimit}, {KeyTxGasLimit, &p.TxGasLimit}, {KeyConsensusTimeoutMs, &ms},
		{KeyLeaderPeriod, &p.LeaderPeriod}, {KeyMinSealIntervalMs, &seal}, {KeyPermissionCheck, &check},
	} {
		if *f.to, err = num(f.key); err != nil {
			return ChainParams{}, err
		}
	}
	p.ConsensusTimeout = time.Duration(ms) * time.Millisecond
	p.MinSealInterval = time.Duration(seal) * time.Millisecond
	v, set := conf[KeyPermissionCheck] // a number (check); the switch compares the text, as permissionCheckOn does
	p.PermissionCheck = !set || v.Value != "0"
	if v, ok := conf[KeyCompatibilityVersion]; ok {
		if !ValidVersion(v.Value) {
			return ChainParams{}, fmt.Errorf("system config %s = %q is not a version", KeyCompatibilityVersion, v.Value)
		}
		p.Compatibility, p.Has[KeyCompatibilityVersion] = v.Value, true
	}
	return p, nil
}

// compatAtLeast reports whether the chain's version at the block of env
// is at least v.
func (b BlockInfo) compatAtLeast(v string) bool { return CompareVersions(b.Compat, v) >= 0 }

// governanceEnable is the first block a system config or node list
// change made in this block applies to (GovernanceDelay).
func (b BlockInfo) governanceEnable() uint64 { return b.Number + GovernanceDelay(b.Compat) }
