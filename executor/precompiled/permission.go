package precompiled

import (
	"fmt"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
)

// Role is an account's role.
type Role uint8

// Roles. Governors are the committee's members (changed by governor
// proposals); the others are granted and revoked by role proposals.
const (
	RoleGovernor  Role = 1
	RoleOperator  Role = 2 // manages the deploy allow-list (grants and revokes deployers)
	RoleDeployer  Role = 3 // may deploy when the deploy allow-list is on
	RoleRegulator Role = 4 // freezes and unfreezes accounts and contracts
	RoleAuditor   Role = 5 // reads; no powers on chain, for tools' use
)

func (r Role) String() string {
	switch r {
	case RoleGovernor:
		return "governor"
	case RoleOperator:
		return "operator"
	case RoleDeployer:
		return "deployer"
	case RoleRegulator:
		return "regulator"
	case RoleAuditor:
		return "auditor"
	}
	return fmt.Sprintf("role(%d)", uint8(r))
}

// Contract statuses.
const (
	ContractNormal    uint8 = 0
	ContractFrozen    uint8 = 1
	ContractAbolished uint8 = 2
)

// Freeze actions of a freeze proposal.
const (
	FreezeAccount    uint8 = 1
	UnfreezeAccount  uint8 = 2
	FreezeContract   uint8 = 3
	UnfreezeContract uint8 = 4
	AbolishContract  uint8 = 5
)

// statusRecord is an account's frozen flag or a contract's status: Status
// applies from block Enable on, Prev before.
type statusRecord struct {
	Status uint8
	Prev   uint8
	Enable uint64
}

func (r *statusRecord) at(block uint64) uint8 {
	if block >= r.Enable {
		return r.Status
	}
	return r.Prev
}

const (
	tblRole      = "role"      // role || addr -> 1
	lstRole      = "role/"     // + role number: members
	tblAccount   = "account"   // addr -> statusRecord (1 frozen)
	tblContract  = "contract"  // addr -> statusRecord
	lstContracts = "contracts" // contracts frozen or abolished
	keyDeployAL  = "deployAllowList"
)

func roleList(r Role) string { return fmt.Sprintf("%s%d", lstRole, r) }

func hasRole(env *Env, addr common.Address, r Role) bool {
	if r == RoleGovernor {
		return env.tables(CommitteeAddress).getUint(tblGovernor, addr[:]) != 0
	}
	return env.tables(PermissionAddress).getUint(tblRole, append([]byte{byte(r)}, addr[:]...)) != 0
}

func setRole(env *Env, addr common.Address, r Role, grant bool) error {
	t := env.tables(PermissionAddress)
	if grant {
		t.putUint(tblRole, append([]byte{byte(r)}, addr[:]...), 1)
		t.listAdd(roleList(r), addr[:])
	} else {
		t.putUint(tblRole, append([]byte{byte(r)}, addr[:]...), 0)
		t.listRemove(roleList(r), addr[:])
	}
	return evRoleChanged.emit(env, PermissionAddress, addr, uint8(r), grant)
}

func checkRoleChange(r Role, addr common.Address) string {
	switch r {
	case RoleGovernor:
		return "the governor role changes by a governor proposal (proposeGovernor)"
	case RoleOperator, RoleDeployer, RoleRegulator, RoleAuditor:
	default:
		return fmt.Sprintf("unknown role %d (2 operator, 3 deployer, 4 regulator, 5 auditor)", uint8(r))
	}
	if addr == (common.Address{}) {
		return "the zero address cannot hold a role"
	}
	return ""
}

// setStatus records a status taking effect at next.
func setStatus(t *tables, table string, addr common.Address, status uint8, next uint64) {
	var r statusRecord
	if t.get(table, addr[:], &r) && r.Enable < next {
		r.Prev = r.Status
	}
	r.Status, r.Enable = status, next
	t.put(table, addr[:], &r)
}

func statusAt(t *tables, table string, addr common.Address, block uint64) uint8 {
	b := t.getBytes(table, addr[:])
	if b == nil {
		return 0 // the common case, checked for every transaction's sender
	}
	var r statusRecord
	decodeRecord(table, b, &r)
	return r.at(block)
}

// checkFreeze says why a freeze action cannot be taken on target.
func checkFreeze(env *Env, target common.Address, action uint8) string {
	if IsSystemAddress(target) {
		return fmt.Sprintf("%v is a system contract: it cannot be frozen", target)
	}
	t := env.tables(PermissionAddress)
	next := env.Block.Number + 1
	switch action {
	case FreezeAccount, UnfreezeAccount:
		frozen := statusAt(t, tblAccount, target, next) == 1
		if action == FreezeAccount && frozen {
			return fmt.Sprintf("account %v is already frozen", target)
		}
		if action == UnfreezeAccount && !frozen {
			return fmt.Sprintf("account %v is not frozen", target)
		}
	case FreezeContract, UnfreezeContract, AbolishContract:
		if len(env.db.GetCode(target)) == 0 {
			return fmt.Sprintf("%v is not a contract", target)
		}
		st := statusAt(t, tblContract, target, next)
		switch {
		case st == ContractAbolished:
			return fmt.Sprintf("contract %v is abolished: its status cannot change", target)
		case action == FreezeContract && st == ContractFrozen:
			return fmt.Sprintf("contract %v is already frozen", target)
		case action == UnfreezeContract && st != ContractFrozen:
			return fmt.Sprintf("contract %v is not frozen", target)
		}
	default:
		return fmt.Sprintf("unknown freeze action %d (1 freeze account, 2 unfreeze account, 3 freeze contract, 4 unfreeze contract, 5 abolish contract)", action)
	}
	return ""
}

// applyFreeze takes a checked freeze action, effective from the next block.
func applyFreeze(env *Env, target common.Address, action uint8) error {
	t := env.tables(PermissionAddress)
	next := env.Block.Number + 1
	switch action {
	case FreezeAccount, UnfreezeAccount:
		frozen := action == FreezeAccount
		st := uint8(0)
		if frozen {
			st = 1
		}
		setStatus(t, tblAccount, target, st, next)
		return evAccountStatusChanged.emit(env, PermissionAddress, target, frozen, next)
	default:
		st := map[uint8]uint8{FreezeContract: ContractFrozen, UnfreezeContract: ContractNormal, AbolishContract: ContractAbolished}[action]
		setStatus(t, tblContract, target, st, next)
		// The list holds the contracts the EVM must stand in for; the
		// current block's stand-ins were made when it started.
		if st == ContractNormal {
			t.listRemove(lstContracts, target[:])
		} else {
			t.listAdd(lstContracts, target[:])
		}
		return evContractStatusChanged.emit(env, PermissionAddress, target, st, next)
	}
}

// deployAllowListOn reports whether deploys are limited to the allow-list:
// the deploy mode is "allow-list" and the permission check is on.
func deployAllowListOn(perm, conf *tables, block uint64) bool {
	return deployAllowListMode(perm) && permissionCheckOn(conf, block)
}

// deployAllowListMode reads the deploy allow-list mode (changed at once
// by a proposal, so not constant within a block).
func deployAllowListMode(perm *tables) bool {
	return perm.getUint(tblParams, []byte(keyDeployAL)) != 0
}

// permissionCheckOn reads the permission_check switch (on when unset).
func permissionCheckOn(conf *tables, block uint64) bool {
	r, ok := configAt(conf, KeyPermissionCheck)
	return !ok || r.at(block) != "0"
}

var (
	permissionMethods = newMethods(
		newMethod("hasRole(address,uint8)", "bool", false),
		newMethod("getRoleMembers(uint8)", "address[]", false),
		newMethod("isAccountFrozen(address)", "bool", false),
		newMethod("contractStatus(address)", "uint8", false),
		newMethod("deployAllowList()", "bool", false),
		newMethod("canDeploy(address)", "bool", false),
		newMethod("grantDeployer(address)", "", true),
		newMethod("revokeDeployer(address)", "", true),
		newMethod("freezeAccount(address)", "", true),
		newMethod("unfreezeAccount(address)", "", true),
		newMethod("freezeContract(address)", "", true),
		newMethod("unfreezeContract(address)", "", true),
		newMethod("contractAdmin(address)", "address", false),
		newMethod("setMethodAuthMode(address,bytes4,uint8)", "", true),
		newMethod("setMethodAuth(address,bytes4,address,bool)", "", true),
		newMethod("getMethodAuth(address,bytes4,address)", "uint8,bool,bool", false),
	)
	evRoleChanged           = newEvent("RoleChanged(address,uint8,bool)", 1)
	evAccountStatusChanged  = newEvent("AccountStatusChanged(address,bool,uint64)", 1)
	evContractStatusChanged = newEvent("ContractStatusChanged(address,uint8,uint64)", 1)
	evDeployModeChanged     = newEvent("DeployModeChanged(bool)", 0)
)

// Permission holds roles, the deploy allow-list mode and account and
// contract statuses (0x...1004). Roles, the deploy mode and abolishing
// contracts change by committee proposal; operators grant and revoke the
// deployer role, regulators freeze and unfreeze accounts and contracts
// directly (as proposals can). See Permission.sol.
type Permission struct{}

// Name implements Contract.
func (Permission) Name() string { return "Permission" }

// RequiredGas implements Contract.
func (Permission) RequiredGas(input []byte) uint64 { return callGas(permissionMethods, input) }

// Run implements Contract.
func (c Permission) Run(env *Env, input []byte) ([]byte, error) {
	m, args, ret, err := permissionMethods.decode(c.Name(), env, input)
	if m == nil {
		return ret, err
	}
	t := env.tables(PermissionAddress)
	switch m.sig {
	case "hasRole(address,uint8)":
		return m.ret(hasRole(env, args[0].(common.Address), Role(args[1].(uint8))))
	case "getRoleMembers(uint8)":
		r := Role(args[0].(uint8))
		var keys [][]byte
		if r == RoleGovernor {
			keys = env.tables(CommitteeAddress).listKeys(lstGovernors)
		} else {
			keys = t.listKeys(roleList(r))
		}
		out := make([]common.Address, len(keys))
		for i, k := range keys {
			out[i] = common.BytesToAddress(k)
		}
		return m.ret(out)
	case "isAccountFrozen(address)":
		return m.ret(statusAt(t, tblAccount, args[0].(common.Address), env.Block.Number) == 1)
	case "contractStatus(address)":
		return m.ret(statusAt(t, tblContract, args[0].(common.Address), env.Block.Number))
	case "deployAllowList()":
		return m.ret(t.getUint(tblParams, []byte(keyDeployAL)) != 0)
	case "canDeploy(address)":
		return m.ret(mayDeploy(env, args[0].(common.Address)))
	case "contractAdmin(address)":
		return m.ret(contractAdmin(t, args[0].(common.Address)))
	case "setMethodAuthMode(address,bytes4,uint8)", "setMethodAuth(address,bytes4,address,bool)", "getMethodAuth(address,bytes4,address)":
		return c.methodAuth(env, t, m, args)
	case "grantDeployer(address)", "revokeDeployer(address)":
		if !hasRole(env, env.Caller, RoleOperator) {
			return Revert(fmt.Sprintf("Permission: %v is not an operator: only operators grant and revoke the deployer role", env.Caller))
		}
		addr := args[0].(common.Address)
		if why := checkRoleChange(RoleDeployer, addr); why != "" {
			return Revert("Permission: " + why)
		}
		return nil, setRole(env, addr, RoleDeployer, m.sig == "grantDeployer(address)")
	default: // freeze and unfreeze by a regulator
		if !hasRole(env, env.Caller, RoleRegulator) {
			return Revert(fmt.Sprintf("Permission: %v is not a regulator: only regulators freeze directly; others use a freeze proposal", env.Caller))
		}
		action := map[string]uint8{
			"freezeAccount(address)": FreezeAccount, "unfreezeAccount(address)": UnfreezeAccount,
			"freezeContract(address)": FreezeContract, "unfreezeContract(address)": UnfreezeContract,
		}[m.sig]
		target := args[0].(common.Address)
		if why := checkFreeze(env, target, action); why != "" {
			return Revert("Permission: " + why)
		}
		return nil, applyFreeze(env, target, action)
	}
}

// mayDeploy reports whether addr may deploy contracts now.
func mayDeploy(env *Env, addr common.Address) bool {
	if !deployAllowListOn(env.tables(PermissionAddress), env.tables(SystemConfigAddress), env.Block.Number) {
		return true
	}
	return hasRole(env, addr, RoleDeployer) || hasRole(env, addr, RoleOperator) || hasRole(env, addr, RoleGovernor)
}

// deployedBy reports whether addr was created by deployer with CREATE in
// one of its last 1024 nonces.
func deployedBy(env *Env, deployer, addr common.Address) bool {
	n := env.db.GetNonce(deployer)
	for i := uint64(0); i < n && i < 1024; i++ {
		if crypto.CreateAddress(deployer, n-1-i) == addr {
			return true
		}
	}
	return false
}
