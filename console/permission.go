package console

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	ethcrypto "github.com/ethereum/go-ethereum/crypto"

	"github.com/gobcos/gobcos/executor/precompiled"
	"github.com/gobcos/gobcos/sdk"
)

const methodHelp = "METHOD is a function signature like set(uint256) or its 0x selector."

func permissionCommands() []*command {
	return []*command{
		{name: "permissions", args: "ADDR|CNSNAME", short: "an account's roles and frozen status, or a contract's status and admin", min: 1, max: 1, run: runPermissions},
		{name: "role-members", args: "ROLE", short: "the accounts holding a role", min: 1, max: 1, run: runRoleMembers,
			choices: []string{"auditor", "deployer", "governor", "operator", "regulator"},
			long:    "ROLE is governor, operator, deployer, regulator or auditor."},
		{name: "grant-deployer", args: "ACCOUNT", short: "grant the deployer role (by an operator)", min: 1, max: 1, run: runPermissionTx("grantDeployer")},
		{name: "revoke-deployer", args: "ACCOUNT", short: "revoke the deployer role (by an operator)", min: 1, max: 1, run: runPermissionTx("revokeDeployer")},
		{name: "freeze-account", args: "ACCOUNT", short: "freeze an account (by a regulator; governors use propose-freeze)", min: 1, max: 1, run: runPermissionTx("freezeAccount")},
		{name: "unfreeze-account", args: "ACCOUNT", short: "unfreeze an account (by a regulator)", min: 1, max: 1, run: runPermissionTx("unfreezeAccount")},
		{name: "freeze-contract", args: "CONTRACT", short: "freeze a contract (by a regulator)", min: 1, max: 1, run: runPermissionTx("freezeContract")},
		{name: "unfreeze-contract", args: "CONTRACT", short: "unfreeze a contract (by a regulator)", min: 1, max: 1, run: runPermissionTx("unfreezeContract")},
		{name: "method-mode", args: "CONTRACT METHOD open|allow-list|deny-list", short: "set who may call a contract's method (by the contract's admin)", min: 3, max: 3, run: runMethodMode,
			long: "Permission.setMethodAuthMode. open: anyone; allow-list: only listed accounts;\ndeny-list: all but listed accounts. Enforced when permission_check is 1.\n" + methodHelp},
		{name: "method-list", args: "CONTRACT METHOD ACCOUNT add|remove", short: "add an account to, or remove it from, a method's list (by the contract's admin)", min: 4, max: 4, run: runMethodList,
			long: "Permission.setMethodAuth. The list is an allow-list or a deny-list as\nmethod-mode set it.\n" + methodHelp},
		{name: "method-auth", args: "CONTRACT METHOD ACCOUNT", short: "whether an account may call a contract's method", min: 3, max: 3, run: runMethodAuth,
			long: "Permission.getMethodAuth: the method's mode, whether the account is listed, and\nwhether it may call. " + methodHelp},
	}
}

func (c *Console) permission() (*sdk.Contract, error) {
	return c.systemContract(precompiled.PermissionAddress)
}

// parseSelector reads a 0x selector or a function signature.
func parseSelector(s string) ([4]byte, error) {
	var sel [4]byte
	if strings.HasPrefix(s, "0x") || strings.HasPrefix(s, "0X") {
		b, err := hexutil.Decode(s)
		if err != nil || len(b) != 4 {
			return sel, fmt.Errorf("%w: selector %q: want 4 bytes of 0x hex", ErrBadArg, s)
		}
		copy(sel[:], b)
		return sel, nil
	}
	sig := strings.ReplaceAll(s, " ", "")
	open := strings.IndexByte(sig, '(')
	if open <= 0 || !strings.HasSuffix(sig, ")") {
		return sel, fmt.Errorf("%w: method %q: want a signature like set(uint256) or a 0x selector", ErrBadArg, s)
	}
	copy(sel[:], ethcrypto.Keccak256([]byte(sig))[:4])
	return sel, nil
}

func runPermissionTx(method string) func(context.Context, *Console, []string) error {
	return func(ctx context.Context, c *Console, args []string) error {
		who, err := c.address(ctx, args[0])
		if err != nil {
			return err
		}
		k, err := c.permission()
		if err != nil {
			return err
		}
		return c.transact(ctx, k, method, who)
	}
}

// methodRef is what a method-access command names: a contract, one of
// its functions and, for the per-account forms, an account; with the
// Permission contract to call.
type methodRef struct {
	contract common.Address
	sel      [4]byte
	account  common.Address
	perm     *sdk.Contract
}

// methodRef reads CONTRACT FUNCTION from args, and ACCOUNT after them
// when withAccount (contracts and accounts may be CNS names).
func (c *Console) methodRef(ctx context.Context, args []string, withAccount bool) (r methodRef, err error) {
	if r.contract, err = c.address(ctx, args[0]); err != nil {
		return r, err
	}
	if r.sel, err = parseSelector(args[1]); err != nil {
		return r, err
	}
	if withAccount {
		if r.account, err = c.address(ctx, args[2]); err != nil {
			return r, err
		}
	}
	r.perm, err = c.permission()
	return r, err
}

// methodModes are the method access modes by number.
var methodModes = []string{"open", "allow-list", "deny-list"}

func runMethodMode(ctx context.Context, c *Console, args []string) error {
	r, err := c.methodRef(ctx, args, false)
	if err != nil {
		return err
	}
	mode := slices.Index(methodModes, strings.ToLower(args[2]))
	if mode < 0 {
		return fmt.Errorf("%w: mode %q: want open, allow-list or deny-list", ErrBadArg, args[2])
	}
	return c.transact(ctx, r.perm, "setMethodAuthMode", r.contract, r.sel, uint8(mode))
}

func runMethodList(ctx context.Context, c *Console, args []string) error {
	r, err := c.methodRef(ctx, args, true)
	if err != nil {
		return err
	}
	var listed bool
	switch strings.ToLower(args[3]) {
	case "add":
		listed = true
	case "remove":
	default:
		return fmt.Errorf("%w: %q: want add or remove", ErrBadArg, args[3])
	}
	return c.transact(ctx, r.perm, "setMethodAuth", r.contract, r.sel, r.account, listed)
}

func runMethodAuth(ctx context.Context, c *Console, args []string) error {
	r, err := c.methodRef(ctx, args, true)
	if err != nil {
		return err
	}
	out, err := r.perm.Call(ctx, c.from(), "getMethodAuth", r.contract, r.sel, r.account)
	if err != nil {
		return err
	}
	mode := fmt.Sprint(out[0])
	if m, ok := out[0].(uint8); ok && int(m) < len(methodModes) {
		mode = methodModes[m]
	}
	return c.print(map[string]any{
		"contract": r.contract.Hex(), "selector": hexutil.Encode(r.sel[:]), "account": r.account.Hex(),
		"mode": mode, "listed": out[1], "allowed": out[2],
	})
}

func runRoleMembers(ctx context.Context, c *Console, args []string) error {
	role, err := parseRole(args[0])
	if err != nil {
		return err
	}
	k, err := c.permission()
	if err != nil {
		return err
	}
	out, err := k.Call(ctx, c.from(), "getRoleMembers", role)
	if err != nil {
		return err
	}
	members := []string{}
	if addrs, ok := out[0].([]common.Address); ok {
		for _, a := range addrs {
			members = append(members, a.Hex())
		}
	}
	return c.print(map[string]any{"role": roleName(role), "members": members})
}

var contractStatuses = []string{"normal", "frozen", "abolished"}

func runPermissions(ctx context.Context, c *Console, args []string) error {
	who, err := c.address(ctx, args[0])
	if err != nil {
		return err
	}
	k, err := c.permission()
	if err != nil {
		return err
	}
	call := func(method string, vals ...any) (any, error) {
		out, err := k.Call(ctx, c.from(), method, vals...)
		if err != nil {
			return nil, err
		}
		return out[0], nil
	}
	res := map[string]any{"address": who.Hex()}
	var code []byte
	if err := c.client.RPC().CallContext(ctx, (*hexutil.Bytes)(&code), "eth_getCode", who, "latest"); err != nil {
		return err
	}
	if len(code) > 0 || precompiled.IsSystemAddress(who) {
		st, err := call("contractStatus", who)
		if err != nil {
			return err
		}
		status := fmt.Sprint(st)
		if n, ok := st.(uint8); ok && int(n) < len(contractStatuses) {
			status = contractStatuses[n]
		}
		admin, err := call("contractAdmin", who)
		if err != nil {
			return err
		}
		res["contractStatus"], res["admin"] = status, formatScalar(admin)
		return c.print(res)
	}
	frozen, err := call("isAccountFrozen", who)
	if err != nil {
		return err
	}
	canDeploy, err := call("canDeploy", who)
	if err != nil {
		return err
	}
	held := []string{}
	for _, r := range []uint8{1, 2, 3, 4, 5} {
		has, err := call("hasRole", who, r)
		if err != nil {
			return err
		}
		if b, _ := has.(bool); b {
			held = append(held, roleName(r))
		}
	}
	res["frozen"], res["canDeploy"], res["roles"] = frozen, canDeploy, held
	return c.print(res)
}
