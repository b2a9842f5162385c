package node

import (
	"errors"
	"fmt"
	"time"

	"github.com/gobcos/gobcos/executor/precompiled"
	"github.com/gobcos/gobcos/types"
)

// Version is the node software's version.
const Version = "0.5.0"

// compatibilityVersion, when set at link time, lowers the highest chain
// compatibility version this binary supports, so that a test can build
// an "old" binary from this code:
//
//	go build -ldflags "-X github.com/gobcos/gobcos/node.compatibilityVersion=0.1.0" ./cmd/gobcos
//
// It is never assigned at run time. Empty means the latest version the
// code implements.
var compatibilityVersion string

// CompatibilityVersion is the highest chain compatibility version this
// binary supports: the rule sets it can execute blocks under (see
// docs/governance.md, "Compatibility versions"). New genesis files get it;
// a chain whose version goes above it makes the node stop.
func CompatibilityVersion() string {
	if compatibilityVersion != "" {
		return compatibilityVersion
	}
	return precompiled.LatestCompatibility()
}

// maxCompatibility is the highest compatibility version this node runs:
// the binary's, or the lower one a test set in TestMaxCompatibility.
func (c *Config) maxCompatibility() (string, error) {
	bin := CompatibilityVersion()
	if !precompiled.KnownCompatibility(bin) {
		return "", fmt.Errorf("%w: this binary was built for compatibility version %q, which its code does not implement (known up to %s)", ErrConfig, bin, precompiled.LatestCompatibility())
	}
	v := c.TestMaxCompatibility
	if v == "" {
		return bin, nil
	}
	if !precompiled.KnownCompatibility(v) || precompiled.CompareVersions(v, bin) > 0 {
		return "", fmt.Errorf("%w: TestMaxCompatibility %q is not a compatibility version this binary supports (up to %s)", ErrConfig, v, bin)
	}
	return v, nil
}

// ErrUnsupportedChain: the chain's compatibility version is above what
// this node supports; the node refuses to start, or to send an upgrade
// proposal naming such a version.
var ErrUnsupportedChain = errors.New("the chain's compatibility version is not supported by this binary")

func msDuration(ms uint64) time.Duration { return time.Duration(ms) * time.Millisecond }

// checkUpgradeProposal refuses a client's transaction proposing (with
// Committee.proposeUpgrade) a compatibility version this node does not
// support: were it executed, this node would halt at the version's
// height. It is a local check of the node the client sends to, not a
// chain rule (nodes of other binaries judge for themselves); a tx that is
// no upgrade proposal passes.
func (n *Node) checkUpgradeProposal(tx *types.Transaction) error {
	if len(tx.Data()) < 4 { // before To, which copies the address
		return nil
	}
	if to := tx.To(); to == nil || *to != precompiled.CommitteeAddress {
		return nil
	}
	a, ok := precompiled.ABI(precompiled.CommitteeAddress)
	if !ok {
		return nil
	}
	m, err := a.MethodById(tx.Data()[:4])
	if err != nil || m.Name != "proposeUpgrade" {
		return nil
	}
	args, err := m.Inputs.Unpack(tx.Data()[4:])
	if err != nil || len(args) == 0 {
		return nil // the contract refuses it with the reason
	}
	v, _ := args[0].(string)
	if !precompiled.ValidVersion(v) || precompiled.KnownCompatibility(v) && precompiled.CompareVersions(v, n.maxCompat) <= 0 {
		return nil // a malformed version: the contract refuses it with the reason
	}
	return fmt.Errorf("%w: the upgrade proposal names compatibility version %s, and this node's binary supports versions up to %s; nodes without support halt at that version. Upgrade the nodes' binaries first, then propose",
		ErrUnsupportedChain, v, n.maxCompat)
}
