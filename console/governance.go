package console

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/ethereum/go-ethereum/accounts/abi"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"

	"github.com/gobcos/gobcos/executor/precompiled"
	"github.com/gobcos/gobcos/sdk"
)

const blocksHelp = "BLOCKS is how many blocks the proposal stays open (0 or absent: the Committee's\n" +
	"default, 100000). The key must be a governor's; the proposer votes for its own\n" +
	"proposal, so with enough weight it executes at once. The output gives the\n" +
	"proposal's id and status."

func govCommands() []*command {
	return []*command{
		{name: "committee", short: "governors with weights, thresholds, deploy allow-list, proposal count", max: 0, run: runCommittee},
		{name: "propose-config", args: "KEY VALUE [BLOCKS]", short: "propose a system config change", min: 2, max: 3, run: runProposeConfig,
			choices: []string{"tx_count_limit", "tx_gas_limit", "consensus_timeout_ms", "leader_period", "min_seal_interval_ms", "permission_check"},
			long:    "Committee.proposeConfig. KEY is one of tx_count_limit, tx_gas_limit,\nconsensus_timeout_ms, leader_period, min_seal_interval_ms, permission_check\n(use propose-upgrade for compatibility_version).\n" + blocksHelp},
		{name: "propose-add-sealer", args: "NODEID [WEIGHT [BLOCKS]]", short: "propose adding a sealer, or promoting an observer (weight default 1)", min: 1, max: 3, run: runProposeNode(1),
			long: "Committee.proposeNode op 1. NODEID is the node's 0x public key, as `nodes` lists it.\n" + blocksHelp},
		{name: "propose-add-observer", args: "NODEID [BLOCKS]", short: "propose adding an observer, or demoting a sealer", min: 1, max: 2, run: runProposeNode(2),
			long: "Committee.proposeNode op 2.\n" + blocksHelp},
		{name: "propose-remove-node", args: "NODEID [BLOCKS]", short: "propose removing a consensus node", min: 1, max: 2, run: runProposeNode(3),
			long: "Committee.proposeNode op 3. Refused when fewer than the minimum sealers would remain.\n" + blocksHelp},
		{name: "propose-node-weight", args: "NODEID WEIGHT [BLOCKS]", short: "propose a sealer's new weight", min: 2, max: 3, run: runProposeNode(4),
			long: "Committee.proposeNode op 4.\n" + blocksHelp},
		{name: "propose-role", args: "ACCOUNT ROLE grant|revoke [BLOCKS]", short: "propose granting or revoking a role", min: 3, max: 4, run: runProposeRole,
			long: "Committee.proposeRole. ROLE is operator, deployer, regulator or auditor (governors\nchange with propose-governor). ACCOUNT is a 0x address or a CNS name.\n" + blocksHelp},
		{name: "propose-governor", args: "ACCOUNT WEIGHT [BLOCKS]", short: "propose adding a governor or changing its weight (0 removes it)", min: 2, max: 3, run: runProposeGovernor,
			long: "Committee.proposeGovernor.\n" + blocksHelp},
		{name: "propose-freeze", args: "ACTION TARGET [BLOCKS]", short: "propose freezing, unfreezing or abolishing an account or contract", min: 2, max: 3, run: runProposeFreeze,
			choices: freezeActionNames(),
			long:    "Committee.proposeFreeze. ACTION is freeze-account, unfreeze-account,\nfreeze-contract, unfreeze-contract or abolish-contract (final). TARGET is a 0x\naddress or a CNS name.\n" + blocksHelp},
		{name: "propose-upgrade", args: "VERSION [BLOCKS]", short: "propose raising the compatibility version (MAJOR.MINOR.PATCH)", min: 1, max: 2, run: runProposeUpgrade,
			long: "Committee.proposeUpgrade. Versions only rise.\n" + blocksHelp},
		{name: "propose-thresholds", args: "PARTICIPATION APPROVAL [BLOCKS]", short: "propose the Committee's thresholds, percent 1..100", min: 2, max: 3, run: runProposeThresholds,
			long: "Committee.proposeThresholds.\n" + blocksHelp},
		{name: "propose-deploy-mode", args: "allow-list|open [BLOCKS]", short: "propose turning the deploy allow-list on (allow-list) or off (open)", min: 1, max: 2, run: runProposeDeployMode,
			choices: []string{"allow-list", "open"},
			long:    "Committee.proposeDeployMode. With the allow-list on and permission_check 1, only\ndeployers, operators and governors deploy.\n" + blocksHelp},
		{name: "propose-reset-admin", args: "CONTRACT ADMIN [BLOCKS]", short: "propose a contract's new admin (who manages its method access)", min: 2, max: 3, run: runProposeResetAdmin,
			long: "Committee.proposeResetAdmin. CONTRACT and ADMIN are 0x addresses or CNS names.\n" + blocksHelp},
		{name: "vote", args: "ID yes|no", short: "vote for or against a governance proposal", min: 2, max: 2, run: runVote,
			long: "Committee.vote, signed with the console's key, which must be a governor's.\nThe vote that reaches the thresholds executes the proposal."},
		{name: "revoke", args: "ID", short: "revoke your own open proposal", min: 1, max: 1, run: runRevoke,
			long: "Committee.revoke, by the proposer, while the proposal is open."},
	}
}

func (c *Console) committee() (*sdk.Contract, error) {
	return c.systemContract(precompiled.CommitteeAddress)
}

func parseBlocks(args []string, at int) (uint64, error) {
	if len(args) <= at {
		return 0, nil
	}
	n, err := parseUint(args[at])
	if err != nil {
		return 0, fmt.Errorf("%w: blocks %q is not a number", ErrBadArg, args[at])
	}
	return n, nil
}

func parseSmall(what, s string, bits int) (uint64, error) {
	var (
		n   uint64
		err error
	)
	if strings.HasPrefix(s, "0x") || strings.HasPrefix(s, "0X") {
		n, err = strconv.ParseUint(s[2:], 16, bits)
	} else {
		n, err = strconv.ParseUint(s, 10, bits)
	}
	if err != nil {
		return 0, fmt.Errorf("%w: %s %q: want a number of at most %d bits", ErrBadArg, what, s, bits)
	}
	return n, nil
}

// propose sends a Committee propose method and prints the receipt with the
// new proposal's id and status.
func (c *Console) propose(ctx context.Context, method string, vals ...any) error {
	k, err := c.committee()
	if err != nil {
		return err
	}
	res, err := c.transactResult(ctx, k, method, vals...)
	if err != nil {
		return err
	}
	status := "open"
	evs, _ := res["events"].([]map[string]any)
	for _, ev := range evs {
		args, _ := ev["args"].(map[string]any)
		switch ev["event"] {
		case "ProposalCreated":
			res["proposalId"] = args["id"]
		case "ProposalExecuted":
			status = "executed"
		case "ProposalRejected":
			status = "rejected"
		case "ProposalFailed":
			status = fmt.Sprintf("failed: %v", args["reason"])
		}
	}
	res["proposalStatus"] = status
	return c.print(res)
}

func runProposeConfig(ctx context.Context, c *Console, args []string) error {
	blocks, err := parseBlocks(args, 2)
	if err != nil {
		return err
	}
	return c.propose(ctx, "proposeConfig", args[0], args[1], blocks)
}

func runProposeNode(op uint8) func(context.Context, *Console, []string) error {
	return func(ctx context.Context, c *Console, args []string) error {
		id, err := hexutil.Decode(args[0])
		if err != nil || len(id) == 0 {
			return fmt.Errorf("%w: node id %q is not 0x hex", ErrBadArg, args[0])
		}
		weight, blocksAt := uint64(0), 1
		switch op {
		case 1:
			weight = 1
			if len(args) > 1 {
				if weight, err = parseSmall("weight", args[1], 64); err != nil {
					return err
				}
			}
			blocksAt = 2
		case 4:
			if weight, err = parseSmall("weight", args[1], 64); err != nil {
				return err
			}
			blocksAt = 2
		}
		blocks, err := parseBlocks(args, blocksAt)
		if err != nil {
			return err
		}
		return c.propose(ctx, "proposeNode", op, id, weight, blocks)
	}
}

// roles maps role names to Permission's role numbers.
var roles = map[string]uint8{"governor": 1, "operator": 2, "deployer": 3, "regulator": 4, "auditor": 5}

func parseRole(s string) (uint8, error) {
	if r, ok := roles[strings.ToLower(s)]; ok {
		return r, nil
	}
	if n, err := strconv.ParseUint(s, 10, 8); err == nil && n >= 1 && n <= 5 {
		return uint8(n), nil
	}
	return 0, fmt.Errorf("%w: role %q: want governor, operator, deployer, regulator or auditor", ErrBadArg, s)
}

func roleName(r uint8) string {
	for n, v := range roles {
		if v == r {
			return n
		}
	}
	return strconv.Itoa(int(r))
}

func runProposeRole(ctx context.Context, c *Console, args []string) error {
	who, err := c.address(ctx, args[0])
	if err != nil {
		return err
	}
	role, err := parseRole(args[1])
	if err != nil {
		return err
	}
	var grant bool
	switch strings.ToLower(args[2]) {
	case "grant":
		grant = true
	case "revoke":
	default:
		return fmt.Errorf("%w: %q: want grant or revoke", ErrBadArg, args[2])
	}
	blocks, err := parseBlocks(args, 3)
	if err != nil {
		return err
	}
	return c.propose(ctx, "proposeRole", who, role, grant, blocks)
}

func runProposeGovernor(ctx context.Context, c *Console, args []string) error {
	who, err := c.address(ctx, args[0])
	if err != nil {
		return err
	}
	w, err := parseSmall("weight", args[1], 64)
	if err != nil {
		return err
	}
	blocks, err := parseBlocks(args, 2)
	if err != nil {
		return err
	}
	return c.propose(ctx, "proposeGovernor", who, w, blocks)
}

var freezeActions = map[string]uint8{
	"freeze-account": 1, "unfreeze-account": 2, "freeze-contract": 3, "unfreeze-contract": 4, "abolish-contract": 5,
}

func freezeActionNames() []string {
	return []string{"abolish-contract", "freeze-account", "freeze-contract", "unfreeze-account", "unfreeze-contract"}
}

func runProposeFreeze(ctx context.Context, c *Console, args []string) error {
	action, ok := freezeActions[strings.ToLower(args[0])]
	if !ok {
		return fmt.Errorf("%w: action %q: want one of %s", ErrBadArg, args[0], strings.Join(freezeActionNames(), ", "))
	}
	target, err := c.address(ctx, args[1])
	if err != nil {
		return err
	}
	blocks, err := parseBlocks(args, 2)
	if err != nil {
		return err
	}
	return c.propose(ctx, "proposeFreeze", target, action, blocks)
}

func runProposeUpgrade(ctx context.Context, c *Console, args []string) error {
	blocks, err := parseBlocks(args, 1)
	if err != nil {
		return err
	}
	return c.propose(ctx, "proposeUpgrade", args[0], blocks)
}

func runProposeThresholds(ctx context.Context, c *Console, args []string) error {
	p, err := parseSmall("participation", args[0], 8)
	if err != nil {
		return err
	}
	a, err := parseSmall("approval", args[1], 8)
	if err != nil {
		return err
	}
	blocks, err := parseBlocks(args, 2)
	if err != nil {
		return err
	}
	return c.propose(ctx, "proposeThresholds", uint8(p), uint8(a), blocks)
}

func runProposeDeployMode(ctx context.Context, c *Console, args []string) error {
	var on bool
	switch strings.ToLower(args[0]) {
	case "allow-list", "on":
		on = true
	case "open", "off":
	default:
		return fmt.Errorf("%w: mode %q: want allow-list or open", ErrBadArg, args[0])
	}
	blocks, err := parseBlocks(args, 1)
	if err != nil {
		return err
	}
	return c.propose(ctx, "proposeDeployMode", on, blocks)
}

func runProposeResetAdmin(ctx context.Context, c *Console, args []string) error {
	target, err := c.address(ctx, args[0])
	if err != nil {
		return err
	}
	admin, err := c.address(ctx, args[1])
	if err != nil {
		return err
	}
	blocks, err := parseBlocks(args, 2)
	if err != nil {
		return err
	}
	return c.propose(ctx, "proposeResetAdmin", target, admin, blocks)
}

func parseProposalID(s string) (uint64, error) {
	id, err := parseUint(s)
	if err != nil {
		return 0, fmt.Errorf("%w: proposal id %q is not a number", ErrBadArg, s)
	}
	return id, nil
}

func runVote(ctx context.Context, c *Console, args []string) error {
	id, err := parseProposalID(args[0])
	if err != nil {
		return err
	}
	var agree bool
	switch strings.ToLower(args[1]) {
	case "yes", "y", "true", "for":
		agree = true
	case "no", "n", "false", "against":
	default:
		return fmt.Errorf("%w: vote %q: want yes or no", ErrBadArg, args[1])
	}
	k, err := c.committee()
	if err != nil {
		return err
	}
	return c.transact(ctx, k, "vote", id, agree)
}

func runRevoke(ctx context.Context, c *Console, args []string) error {
	id, err := parseProposalID(args[0])
	if err != nil {
		return err
	}
	k, err := c.committee()
	if err != nil {
		return err
	}
	return c.transact(ctx, k, "revoke", id)
}

func runCommittee(ctx context.Context, c *Console, _ []string) error {
	k, err := c.committee()
	if err != nil {
		return err
	}
	gov, err := k.Call(ctx, c.from(), "getGovernors")
	if err != nil {
		return err
	}
	th, err := k.Call(ctx, c.from(), "getThresholds")
	if err != nil {
		return err
	}
	count, err := k.Call(ctx, c.from(), "proposalCount")
	if err != nil {
		return err
	}
	p, err := c.systemContract(precompiled.PermissionAddress)
	if err != nil {
		return err
	}
	mode, err := p.Call(ctx, c.from(), "deployAllowList")
	if err != nil {
		return err
	}
	accts, _ := gov[0].([]common.Address)
	weights, _ := gov[1].([]uint64)
	govs := make([]map[string]any, 0, len(accts))
	for i, a := range accts {
		w := uint64(0)
		if i < len(weights) {
			w = weights[i]
		}
		govs = append(govs, map[string]any{"address": a.Hex(), "weight": w})
	}
	return c.print(map[string]any{
		"governors":       govs,
		"participation":   th[0],
		"approval":        th[1],
		"proposalCount":   count[0],
		"deployAllowList": mode[0],
	})
}

// describeProposals adds a readable "change" to proposals from their
// ABI-encoded payload, and reports whether it added any.
func describeProposals(g any) bool {
	added := false
	var list []any
	switch x := g.(type) {
	case []any:
		list = x
	case map[string]any:
		list = []any{x}
	}
	for _, e := range list {
		p, ok := e.(map[string]any)
		if !ok {
			continue
		}
		kind, _ := p["kind"].(string)
		s, _ := p["payload"].(string)
		b, err := hexutil.Decode(s)
		if err != nil {
			continue
		}
		if change := describeChange(kind, b); change != "" {
			p["change"] = change
			added = true
		}
	}
	return added
}

// payloadTypes are the ABI types of each proposal kind's payload, as the
// RPC names the kinds.
var payloadTypes = map[string][]string{
	"config":     {"string", "string"},
	"node":       {"uint8", "bytes", "uint64"},
	"role":       {"address", "uint8", "bool"},
	"governor":   {"address", "uint64"},
	"freeze":     {"address", "uint8"},
	"upgrade":    {"string"},
	"thresholds": {"uint8", "uint8"},
	"deployMode": {"bool"},
	"resetAdmin": {"address", "address"},
}

func describeChange(kind string, payload []byte) string {
	ts, ok := payloadTypes[kind]
	if !ok {
		return ""
	}
	var args abi.Arguments
	for _, t := range ts {
		args = append(args, abi.Argument{Type: mustType(t)})
	}
	v, err := args.Unpack(payload)
	if err != nil || len(v) != len(ts) {
		return ""
	}
	f := func(i int) any { return formatScalar(v[i]) }
	switch kind {
	case "config":
		return fmt.Sprintf("%v = %v", v[0], v[1])
	case "node":
		op := map[uint8]string{1: "add sealer", 2: "add observer", 3: "remove", 4: "set weight"}[v[0].(uint8)]
		if op == "add sealer" || op == "set weight" {
			return fmt.Sprintf("%s %v weight %v", op, f(1), f(2))
		}
		return fmt.Sprintf("%s %v", op, f(1))
	case "role":
		verb := "revoke"
		if v[2].(bool) {
			verb = "grant"
		}
		return fmt.Sprintf("%s %s %v", verb, roleName(v[1].(uint8)), f(0))
	case "governor":
		if v[1].(uint64) == 0 {
			return fmt.Sprintf("remove governor %v", f(0))
		}
		return fmt.Sprintf("governor %v weight %v", f(0), f(1))
	case "freeze":
		for n, a := range freezeActions {
			if a == v[1].(uint8) {
				return fmt.Sprintf("%s %v", n, f(0))
			}
		}
	case "upgrade":
		return fmt.Sprintf("compatibility_version = %v", v[0])
	case "thresholds":
		return fmt.Sprintf("participation %v%%, approval %v%%", v[0], v[1])
	case "deployMode":
		if v[0].(bool) {
			return "deploy allow-list on"
		}
		return "deploy allow-list off"
	case "resetAdmin":
		return fmt.Sprintf("admin of %v = %v", f(0), f(1))
	}
	return ""
}

func mustType(t string) abi.Type {
	typ, err := abi.NewType(t, "", nil)
	if err != nil {
		panic(err) // only called with constant, valid type names
	}
	return typ
}
