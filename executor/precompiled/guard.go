package precompiled

import (
	"fmt"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/vm"
)

// StateGetter is the state the transaction checks read.
type StateGetter interface {
	GetState(common.Address, common.Hash) common.Hash
}

// getterIO is read-only slotIO over a StateGetter.
type getterIO struct {
	db   StateGetter
	addr common.Address
}

func (s getterIO) get(slot common.Hash) common.Hash { return s.db.GetState(s.addr, slot) }
func (s getterIO) set(common.Hash, common.Hash)     { panic("precompiled: write through a state getter") }

func getterTables(db StateGetter, addr common.Address) *tables {
	return &tables{io: getterIO{db: db, addr: addr}}
}

// governed reports whether the registry holds the Permission contract,
// whose state the transaction checks read.
func (r *Registry) governed() bool {
	_, ok := r.byAddr[PermissionAddress].(Permission)
	return ok
}

// CheckTx decides, before a transaction runs in the given block, whether
// its sender may send it: a frozen account's transactions are refused
// (ErrAccountFrozen); with the permission check on, a deploy (to == nil)
// by an account not on the deploy allow-list when it is on
// (ErrDeployNotAllowed) and a call of a function its contract's admin
// does not let the sender call (ErrMethodDenied). It reads the live
// state, so it sees the changes of the block's earlier transactions.
func (r *Registry) CheckTx(db StateGetter, block uint64, from common.Address, to *common.Address, data []byte) error {
	if !r.governed() {
		return nil
	}
	checkOn := permissionCheckOn(getterTables(db, SystemConfigAddress), block)
	return checkTx(db, getterTables(db, PermissionAddress), checkOn, block, from, to, data)
}

// checkTx is CheckTx with the block's permission_check switch given.
func checkTx(db StateGetter, perm *tables, checkOn bool, block uint64, from common.Address, to *common.Address, data []byte) error {
	if statusAt(perm, tblAccount, from, block) == 1 {
		return fmt.Errorf("%w: %v is frozen: its transactions are refused until it is unfrozen", ErrAccountFrozen, from)
	}
	if !checkOn {
		return nil
	}
	if to != nil {
		if IsSystemAddress(*to) {
			return nil
		}
		return checkMethod(perm, from, *to, data)
	}
	return checkDeploy(db, perm, from, "")
}

// checkDeploy applies, with the permission check on, the deploy
// allow-list to a contract creation whose transaction was sent by origin;
// via names the contract that creates it ("" for the transaction itself).
func checkDeploy(db StateGetter, perm *tables, origin common.Address, via string) error {
	if !deployAllowListMode(perm) {
		return nil
	}
	if perm.getUint(tblRole, append([]byte{byte(RoleDeployer)}, origin[:]...)) != 0 ||
		perm.getUint(tblRole, append([]byte{byte(RoleOperator)}, origin[:]...)) != 0 ||
		getterTables(db, CommitteeAddress).getUint(tblGovernor, origin[:]) != 0 {
		return nil
	}
	return fmt.Errorf("%w: the deploy allow-list is on and %v is not on it (it needs the deployer role)%s", ErrDeployNotAllowed, origin, via)
}

// frozenContract stands in for a frozen or abolished contract for a
// block: every call reverts with the reason.
type frozenContract struct{ reason string }

func (f frozenContract) Name() string               { return "frozen contract" }
func (frozenContract) RequiredGas([]byte) uint64    { return ReadGas }
func (f frozenContract) Run([]byte) ([]byte, error) { return Revert(f.reason) }

// addFrozen puts a stand-in at each contract frozen or abolished at the
// session's block into pcs. A contract's status therefore changes for
// calls from the block after the change, like every governance change.
func (s *Session) addFrozen(pcs vm.PrecompiledContracts) {
	if !s.gov {
		return
	}
	perm := s.perm
	for _, k := range perm.listKeys(lstContracts) {
		addr := common.BytesToAddress(k)
		switch statusAt(perm, tblContract, addr, s.block.Number) {
		case ContractFrozen:
			pcs[addr] = frozenContract{reason: fmt.Sprintf("contract %v is frozen", addr)}
		case ContractAbolished:
			pcs[addr] = frozenContract{reason: fmt.Sprintf("contract %v is abolished", addr)}
		}
	}
}
