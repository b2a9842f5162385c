package precompiled

import (
	"errors"
	"fmt"

	"github.com/ethereum/go-ethereum/common"
)

// Method access modes of a contract's function.
const (
	MethodOpen      uint8 = 0 // anyone may call it
	MethodAllowList uint8 = 1 // only the listed accounts
	MethodDenyList  uint8 = 2 // anyone but the listed accounts
)

// ErrMethodDenied: the contract's admin does not let the sender call the
// function.
var ErrMethodDenied = errors.New("method call not allowed")

const (
	tblAdmin      = "admin"      // contract -> admin address
	tblMethodMode = "methodMode" // contract || selector -> mode (uint)
	tblMethodACL  = "methodACL"  // contract || selector || account -> 1
)

var (
	evAdminChanged      = newEvent("AdminChanged(address,address)", 1)
	evMethodAuthModeSet = newEvent("MethodAuthModeSet(address,bytes4,uint8)", 1)
	evMethodAuthSet     = newEvent("MethodAuthSet(address,bytes4,address,bool)", 1)
)

func contractAdmin(t *tables, contract common.Address) common.Address {
	return common.BytesToAddress(t.getBytes(tblAdmin, contract[:]))
}

func methodKey(contract common.Address, sel [4]byte, account ...common.Address) []byte {
	k := append(append([]byte{}, contract[:]...), sel[:]...)
	for _, a := range account {
		k = append(k, a[:]...)
	}
	return k
}

// methodAuth serves the per-contract method access functions.
func (Permission) methodAuth(env *Env, t *tables, m *method, args []any) ([]byte, error) {
	contract, sel := args[0].(common.Address), args[1].([4]byte)
	if m.sig == "getMethodAuth(address,bytes4,address)" {
		account := args[2].(common.Address)
		mode := uint8(t.getUint(tblMethodMode, methodKey(contract, sel)))
		listed := t.getUint(tblMethodACL, methodKey(contract, sel, account)) != 0
		return m.ret(mode, listed, methodAllowed(mode, listed))
	}
	// The contract's admin: recorded, or claimed by its deployer on its
	// first use; a governance proposal can reset it.
	admin := contractAdmin(t, contract)
	switch {
	case admin == (common.Address{}) && deployedBy(env, env.Caller, contract):
		t.putBytes(tblAdmin, contract[:], env.Caller[:])
		if err := evAdminChanged.emit(env, PermissionAddress, contract, env.Caller); err != nil {
			return nil, err
		}
	case admin == (common.Address{}):
		return Revert(fmt.Sprintf("Permission: %v has no admin and %v did not deploy it: only its deployer (or a proposal) sets its admin", contract, env.Caller))
	case admin != env.Caller:
		return Revert(fmt.Sprintf("Permission: only the admin %v of %v manages its method access", admin, contract))
	}
	if m.sig == "setMethodAuthMode(address,bytes4,uint8)" {
		mode := args[2].(uint8)
		if mode > MethodDenyList {
			return Revert(fmt.Sprintf("Permission: unknown method access mode %d (0 open, 1 allow-list, 2 deny-list)", mode))
		}
		t.putUint(tblMethodMode, methodKey(contract, sel), uint64(mode))
		return nil, evMethodAuthModeSet.emit(env, PermissionAddress, contract, sel, mode)
	}
	account, listed := args[2].(common.Address), args[3].(bool)
	v := uint64(0)
	if listed {
		v = 1
	}
	t.putUint(tblMethodACL, methodKey(contract, sel, account), v)
	return nil, evMethodAuthSet.emit(env, PermissionAddress, contract, sel, account, listed)
}

func methodAllowed(mode uint8, listed bool) bool {
	switch mode {
	case MethodAllowList:
		return listed
	case MethodDenyList:
		return !listed
	}
	return true
}

// checkMethod applies a contract's method access to a transaction calling
// it directly.
func checkMethod(perm *tables, from, to common.Address, data []byte) error {
	if len(data) < 4 {
		return nil
	}
	sel := [4]byte(data[:4])
	mode := uint8(perm.getUint(tblMethodMode, methodKey(to, sel)))
	if mode == MethodOpen {
		return nil
	}
	listed := perm.getUint(tblMethodACL, methodKey(to, sel, from)) != 0
	if methodAllowed(mode, listed) {
		return nil
	}
	list := "allow-list"
	if mode == MethodDenyList {
		list = "deny-list"
	}
	return fmt.Errorf("%w: %v may not call function 0x%x of %v (the contract admin's %s)", ErrMethodDenied, from, sel, to, list)
}
