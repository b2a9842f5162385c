package node

import (
	"fmt"
	"strconv"

	"github.com/ethereum/go-ethereum/common"

	"github.com/gobcos/gobcos/executor"
	"github.com/gobcos/gobcos/executor/precompiled"
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
		precompiled.KeyCompatibilityVersion: Version,
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
