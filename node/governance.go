package node

import (
	"fmt"
	"slices"
	"strconv"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"

	"github.com/gobcos/gobcos/executor"
	"github.com/gobcos/gobcos/executor/precompiled"
	"github.com/gobcos/gobcos/rpc"
	"github.com/gobcos/gobcos/state"
)

// GovernanceGenesis is the initial state of the governance system
// contracts: the committee, the node list and the system configuration.
func (g *Genesis) GovernanceGenesis() precompiled.GovernanceGenesis {
	gg := precompiled.GovernanceGenesis{
		Participation: g.CommitteeParticipation,
		Approval:      g.CommitteeApproval,
		MinSealers:    g.MinSealers,
	}
	for _, m := range g.Committee {
		gg.Governors = append(gg.Governors, precompiled.Governor{Address: m.Address, Weight: m.Weight})
	}
	for _, s := range g.Sealers {
		gg.Sealers = append(gg.Sealers, s)
	}
	for _, o := range g.Observers {
		gg.Observers = append(gg.Observers, o)
	}
	u := func(v uint64) string { return strconv.FormatUint(v, 10) }
	gg.Config = map[string]string{
		precompiled.KeyTxCountLimit:         strconv.Itoa(g.BlockTxLimit),
		precompiled.KeyTxGasLimit:           u(g.TxGasLimit),
		precompiled.KeyConsensusTimeoutMs:   u(uint64(g.PBFTConsensusTimeout().Milliseconds())),
		precompiled.KeyLeaderPeriod:         u(g.PBFTLeaderPeriod()),
		precompiled.KeyMinSealIntervalMs:    u(g.MinSealIntervalMs),
		precompiled.KeyPermissionCheck:      "1",
		precompiled.KeyCompatibilityVersion: g.Compatibility(),
		precompiled.KeyBlockGasLimit:        u(g.BlockGasLimit),
		precompiled.KeyBlockLimitWindow:     u(g.BlockLimitWindow),
	}
	return gg
}

// validateGovernanceState checks what the governance genesis adds.
func (g *Genesis) validateGovernanceState(bad func(key, why string)) {
	if g.CommitteeParticipation > 100 {
		bad("committeeParticipation", "must be a percentage from 1 to 100 (0 means 51)")
	}
	if g.CommitteeApproval > 100 {
		bad("committeeApproval", "must be a percentage from 1 to 100 (0 means 51)")
	}
	if g.MinSealers > uint64(len(g.Sealers)) {
		bad("minSealers", fmt.Sprintf("%d is more than the %d sealers", g.MinSealers, len(g.Sealers)))
	}
	if v := g.CompatibilityVersion; v != "" && !precompiled.KnownCompatibility(v) {
		bad("compatibilityVersion", fmt.Sprintf("%q is not a compatibility version this binary knows (it knows up to %s)", v, precompiled.LatestCompatibility()))
	}
	for a := range g.Alloc {
		if precompiled.IsSystemAddress(a) {
			bad("alloc", fmt.Sprintf("%v is a system contract address", a))
		}
	}
}

// addGovernanceState puts the governance contracts' initial storage into
// the genesis allocation.
func (g *Genesis) addGovernanceState(alloc map[common.Address]executor.GenesisAccount) error {
	gg := g.GovernanceGenesis()
	st, err := gg.Storage()
	if err != nil {
		return fmt.Errorf("%w: %w", ErrGenesis, err)
	}
	for addr, slots := range st {
		if _, taken := alloc[addr]; taken {
			return fmt.Errorf("%w: alloc: %v is a system contract address", ErrGenesis, addr)
		}
		alloc[addr] = executor.GenesisAccount{Storage: slots}
	}
	return nil
}

// ConsensusNodes returns the consensus node list in force at height (the
// sealers and observers with their weights), read from the ConsensusNodes
// contract's state after block height-1 (or the head, if it is lower). A
// change executed in block h is in force from h+1 on. Raft membership,
// network admission (members.go), the PBFT sealer set and block sync's
// PBFT certificate check (epochs.go) follow it.
func (n *Node) ConsensusNodes(height uint64) ([]precompiled.ConsensusNode, error) {
	head := n.ledger.Height()
	if nodes, ok := n.gov.nodesAt(head, height); ok {
		return nodes, nil
	}
	gen := n.gov.generation()
	nodes, err := read(&backend{n}, min(max(height, 1)-1, head), func(r *state.Reader) ([]precompiled.ConsensusNode, error) {
		return precompiled.NewGovernanceReader(r).Nodes(height)
	})
	if err == nil {
		n.gov.keepNodes(gen, head, height, slices.Clone(nodes))
	}
	return nodes, err
}

// governance reads the governance state after the head block.
func (b *backend) governance(f func(g *precompiled.GovernanceReader) error) error {
	head := b.n.ledger.Height()
	_, err := read(b, head, func(r *state.Reader) (struct{}, error) {
		return struct{}{}, f(precompiled.NewGovernanceReader(r))
	})
	return err
}

// Proposal implements rpc.GovernanceBackend.
func (b *backend) Proposal(id uint64) (*rpc.Proposal, error) {
	var out *rpc.Proposal
	err := b.governance(func(g *precompiled.GovernanceReader) error {
		p, err := g.Proposal(id, b.n.ledger.Height()+1)
		if err != nil || p == nil {
			return err
		}
		out = &rpc.Proposal{ID: hexutil.Uint64(p.ID), Kind: proposalKindName(p.Kind), Proposer: p.Proposer,
			Created: hexutil.Uint64(p.Created), Expiry: hexutil.Uint64(p.Expiry), Status: p.Status.String(),
			For: hexutil.Uint64(p.For), Against: hexutil.Uint64(p.Against), Payload: p.Payload, Reason: p.Reason}
		return nil
	})
	return out, err
}

// ProposalCount implements rpc.GovernanceBackend.
func (b *backend) ProposalCount() (uint64, error) {
	var n uint64
	err := b.governance(func(g *precompiled.GovernanceReader) (err error) {
		n, err = g.ProposalCount()
		return err
	})
	return n, err
}

// ResolveName implements rpc.GovernanceBackend.
func (b *backend) ResolveName(name string, sender common.Address) (addr common.Address, version string, ok bool, err error) {
	err = b.governance(func(g *precompiled.GovernanceReader) (err error) {
		addr, version, ok, err = g.Resolve(name, sender)
		return err
	})
	return addr, version, ok, err
}

// ConsensusNodes implements rpc.GovernanceBackend: the list for the next block.
func (b *backend) ConsensusNodes() ([]rpc.ConsensusNode, error) {
	nodes, err := b.n.ConsensusNodes(b.n.ledger.Height() + 1)
	if err != nil {
		return nil, err
	}
	out := make([]rpc.ConsensusNode, len(nodes))
	for i, x := range nodes {
		out[i] = rpc.ConsensusNode{NodeID: x.ID, Type: x.Type.String(), Weight: hexutil.Uint64(x.Weight)}
	}
	return out, nil
}

func proposalKindName(k precompiled.ProposalKind) string {
	switch k {
	case precompiled.ProposalConfig:
		return "config"
	case precompiled.ProposalNode:
		return "node"
	case precompiled.ProposalRole:
		return "role"
	case precompiled.ProposalGovernor:
		return "governor"
	case precompiled.ProposalFreeze:
		return "freeze"
	case precompiled.ProposalUpgrade:
		return "upgrade"
	case precompiled.ProposalThresholds:
		return "thresholds"
	case precompiled.ProposalDeployMode:
		return "deployMode"
	case precompiled.ProposalResetAdmin:
		return "resetAdmin"
	}
	return fmt.Sprintf("kind%d", uint8(k))
}
