package rpc

import (
	"fmt"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
)

// GovernanceBackend is implemented by a backend that reads the governance
// system contracts; the server then serves bcos_getProposal,
// bcos_getProposals, bcos_resolveName and bcos_getConsensusNodes. All
// read the state after the head block.
type GovernanceBackend interface {
	// Proposal returns a committee proposal, nil when there is none.
	Proposal(id uint64) (*Proposal, error)
	// ProposalCount is the number of proposals made; ids are 1..count.
	ProposalCount() (uint64, error)
	// ResolveName resolves a CNS name for sender; ok is false for an
	// unknown name.
	ResolveName(name string, sender common.Address) (addr common.Address, version string, ok bool, err error)
	// ConsensusNodes is the node list in force for the next block.
	ConsensusNodes() ([]ConsensusNode, error)
}

// Proposal is a committee proposal as the RPC shows it.
type Proposal struct {
	ID       hexutil.Uint64 `json:"id"`
	Kind     string         `json:"kind"`
	Proposer common.Address `json:"proposer"`
	Created  hexutil.Uint64 `json:"createdBlock"`
	Expiry   hexutil.Uint64 `json:"expiryBlock"`
	Status   string         `json:"status"`
	For      hexutil.Uint64 `json:"forWeight"`
	Against  hexutil.Uint64 `json:"againstWeight"`
	Payload  hexutil.Bytes  `json:"payload"`
	Reason   string         `json:"reason,omitempty"`
}

// ConsensusNode is one entry of the consensus node list.
type ConsensusNode struct {
	NodeID hexutil.Bytes  `json:"nodeId"`
	Type   string         `json:"type"` // "sealer" or "observer"
	Weight hexutil.Uint64 `json:"weight"`
}

// maxProposalsPage bounds bcos_getProposals.
const maxProposalsPage = 100

func (s *Server) addGovernanceMethods(m map[string]handlerFunc) {
	g, ok := s.b.(GovernanceBackend)
	if !ok {
		return
	}
	m["bcos_getProposal"] = func(c *call) (any, error) {
		if err := c.maxArgs(1); err != nil {
			return nil, err
		}
		id, err := c.uint64Arg(0, "proposal id")
		if err != nil {
			return nil, err
		}
		p, err := g.Proposal(id)
		if err != nil {
			return nil, err
		}
		if p == nil {
			return nil, argError(0, "proposal id", fmt.Errorf("no proposal %d", id))
		}
		return p, nil
	}
	// bcos_getProposals [first id] [count]: by default the last 20.
	m["bcos_getProposals"] = func(c *call) (any, error) {
		if err := c.maxArgs(2); err != nil {
			return nil, err
		}
		total, err := g.ProposalCount()
		if err != nil {
			return nil, err
		}
		count := uint64(20)
		if c.optional(1) != nil {
			if count, err = c.uint64Arg(1, "count"); err != nil {
				return nil, err
			}
			if count > maxProposalsPage {
				return nil, argError(1, "count", fmt.Errorf("at most %d proposals a call", maxProposalsPage))
			}
		}
		first := uint64(1)
		if total > count {
			first = total - count + 1
		}
		if c.optional(0) != nil {
			if first, err = c.uint64Arg(0, "first id"); err != nil {
				return nil, err
			}
		}
		out := []*Proposal{}
		for id := max(first, 1); id <= total && uint64(len(out)) < count; id++ {
			p, err := g.Proposal(id)
			if err != nil {
				return nil, err
			}
			if p != nil {
				out = append(out, p)
			}
		}
		return out, nil
	}
	m["bcos_resolveName"] = func(c *call) (any, error) {
		if err := c.maxArgs(2); err != nil {
			return nil, err
		}
		name, err := c.stringArg(0, "name")
		if err != nil {
			return nil, err
		}
		var sender common.Address
		if c.optional(1) != nil {
			if sender, err = c.addressArg(1, "sender"); err != nil {
				return nil, err
			}
		}
		addr, version, ok, err := g.ResolveName(name, sender)
		if err != nil {
			return nil, err
		}
		if !ok {
			return nil, argError(0, "name", fmt.Errorf("no CNS name %q", truncate(name, 64)))
		}
		return map[string]any{"address": addr, "version": version}, nil
	}
	m["bcos_getConsensusNodes"] = func(c *call) (any, error) {
		if err := c.maxArgs(0); err != nil {
			return nil, err
		}
		return g.ConsensusNodes()
	}
}
