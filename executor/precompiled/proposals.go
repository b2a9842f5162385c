package precompiled

import (
	"fmt"

	"github.com/ethereum/go-ethereum/common"
)

// MaxGovernorWeight bounds a governor's weight (so sums cannot overflow).
const MaxGovernorWeight = 1 << 32

// checkChange says why a proposal's change cannot be made now ("" when it
// can): at proposal time, so a doomed proposal is refused with its
// reason, and again at execution, since the state may have changed.
func checkChange(env *Env, kind ProposalKind, args []any) string {
	next := env.Block.governanceEnable()
	switch kind {
	case ProposalConfig:
		key, value := args[0].(string), args[1].(string)
		conf := env.tables(SystemConfigAddress)
		if why := checkConfigValue(key, value, func(k string) string {
			r, _ := configAt(conf, k)
			return r.at(next)
		}); why != "" {
			return why
		}
		return proposable(key)
	case ProposalNode:
		return checkNodeChange(env.tables(ConsensusNodesAddress), next, args[0].(uint8), args[1].([]byte), args[2].(uint64),
			env.Block.compatAtLeast(CompatV0_3))
	case ProposalRole:
		return checkRoleChange(Role(args[1].(uint8)), args[0].(common.Address))
	case ProposalGovernor:
		addr, w := args[0].(common.Address), args[1].(uint64)
		t := env.tables(CommitteeAddress)
		cur := t.getUint(tblGovernor, addr[:])
		switch {
		case addr == (common.Address{}):
			return "the zero address cannot be a governor"
		case w > MaxGovernorWeight:
			return fmt.Sprintf("a governor's weight is at most %d", uint64(MaxGovernorWeight))
		case w == 0 && cur == 0:
			return fmt.Sprintf("%v is not a governor", addr)
		case w == 0 && t.listLen(lstGovernors) == 1:
			return "refused: removing the last governor would leave no one to govern"
		case w == cur:
			return fmt.Sprintf("%v already has weight %d", addr, w)
		}
	case ProposalFreeze:
		return checkFreeze(env, args[0].(common.Address), args[1].(uint8))
	case ProposalUpgrade:
		v := args[0].(string)
		if _, ok := parseVersion(v); !ok {
			return fmt.Sprintf("compatibility version %q: must be MAJOR.MINOR.PATCH", v)
		}
		r, _ := configAt(env.tables(SystemConfigAddress), KeyCompatibilityVersion)
		if cur := r.at(next); cur != "" && !versionLess(cur, v) {
			return fmt.Sprintf("compatibility version %s is not above the current %s: versions only rise", v, cur)
		}
	case ProposalThresholds:
		p, a := args[0].(uint8), args[1].(uint8)
		if p < 1 || p > 100 || a < 1 || a > 100 {
			return fmt.Sprintf("thresholds are percentages from 1 to 100, got participation %d, approval %d", p, a)
		}
	case ProposalDeployMode:
	case ProposalResetAdmin:
		contract, admin := args[0].(common.Address), args[1].(common.Address)
		if len(env.db.GetCode(contract)) == 0 || IsSystemAddress(contract) {
			return fmt.Sprintf("%v is not a user contract", contract)
		}
		if admin == (common.Address{}) {
			return "the zero address cannot be a contract admin"
		}
	default:
		return fmt.Sprintf("unknown proposal kind %d", kind)
	}
	return ""
}

// applyChange makes a checked change and emits its event.
func applyChange(env *Env, kind ProposalKind, args []any) error {
	next := env.Block.governanceEnable()
	switch kind {
	case ProposalConfig:
		key, value := args[0].(string), args[1].(string)
		setConfig(env.tables(SystemConfigAddress), key, value, env.Block.Number, next)
		return evConfigChanged.emit(env, SystemConfigAddress, key, value, next)
	case ProposalUpgrade:
		v := args[0].(string)
		setConfig(env.tables(SystemConfigAddress), KeyCompatibilityVersion, v, env.Block.Number, next)
		return evConfigChanged.emit(env, SystemConfigAddress, KeyCompatibilityVersion, v, next)
	case ProposalNode:
		id := args[1].([]byte)
		typ, w := applyNodeChange(env.tables(ConsensusNodesAddress), env.Block.Number, next, args[0].(uint8), id, args[2].(uint64))
		return evNodeChanged.emit(env, ConsensusNodesAddress, id, uint8(typ), w, next)
	case ProposalRole:
		return setRole(env, args[0].(common.Address), Role(args[1].(uint8)), args[2].(bool))
	case ProposalGovernor:
		addr, w := args[0].(common.Address), args[1].(uint64)
		t := env.tables(CommitteeAddress)
		t.putUint(tblGovernor, addr[:], w)
		if w == 0 {
			t.listRemove(lstGovernors, addr[:])
		} else {
			t.listAdd(lstGovernors, addr[:])
		}
		return evGovernorChanged.emit(env, CommitteeAddress, addr, w)
	case ProposalFreeze:
		return applyFreeze(env, args[0].(common.Address), args[1].(uint8))
	case ProposalThresholds:
		t := env.tables(CommitteeAddress)
		t.putUint(tblParams, []byte("participation"), uint64(args[0].(uint8)))
		t.putUint(tblParams, []byte("approval"), uint64(args[1].(uint8)))
		return evThresholdsChanged.emit(env, CommitteeAddress, args[0].(uint8), args[1].(uint8))
	case ProposalDeployMode:
		on := args[0].(bool)
		v := uint64(0)
		if on {
			v = 1
		}
		env.tables(PermissionAddress).putUint(tblParams, []byte(keyDeployAL), v)
		return evDeployModeChanged.emit(env, PermissionAddress, on)
	case ProposalResetAdmin:
		contract, admin := args[0].(common.Address), args[1].(common.Address)
		env.tables(PermissionAddress).putBytes(tblAdmin, contract[:], admin[:])
		return evAdminChanged.emit(env, PermissionAddress, contract, admin)
	}
	return fmt.Errorf("unknown proposal kind %d", kind)
}
