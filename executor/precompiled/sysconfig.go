package precompiled

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// System configuration keys. The first group changes by proposal; the
// second is fixed at genesis.
const (
	KeyTxCountLimit         = "tx_count_limit"
	KeyTxGasLimit           = "tx_gas_limit"
	KeyConsensusTimeoutMs   = "consensus_timeout_ms"
	KeyLeaderPeriod         = "leader_period"
	KeyMinSealIntervalMs    = "min_seal_interval_ms"
	KeyPermissionCheck      = "permission_check"
	KeyCompatibilityVersion = "compatibility_version"

	KeyBlockGasLimit    = "block_gas_limit"
	KeyBlockLimitWindow = "block_limit_window"
)

// ConfigKeys are all system configuration keys, in display order.
var ConfigKeys = []string{
	KeyTxCountLimit, KeyTxGasLimit, KeyConsensusTimeoutMs, KeyLeaderPeriod,
	KeyMinSealIntervalMs, KeyPermissionCheck, KeyCompatibilityVersion,
	KeyBlockGasLimit, KeyBlockLimitWindow,
}

// configRecord is a stored configuration value: Value applies from block
// Enable on, Prev before (from PrevEnable on when it is set, Prev2
// before that). The second level exists for compatibility version 0.4.0,
// whose changes take effect two blocks after the block making them: in
// block B a change of B-1 (from B+1) and one of B (from B+2) may both be
// pending, and block B itself still reads the value before both. The
// optional fields are empty, and so left out of the encoding, in every
// record a chain below 0.4.0 writes: such records are unchanged.
type configRecord struct {
	Value      string
	Prev       string
	Enable     uint64
	PrevEnable uint64 `rlp:"optional"`
	Prev2      string `rlp:"optional"`
}

func (r *configRecord) at(block uint64) string {
	v, _ := r.entry(block)
	return v
}

// entry is the value in force at block and the block it applies from (0
// when not kept).
func (r *configRecord) entry(block uint64) (string, uint64) {
	switch {
	case block >= r.Enable:
		return r.Value, r.Enable
	case block >= r.PrevEnable:
		return r.Prev, r.PrevEnable
	}
	return r.Prev2, 0
}

const tblConfig = "config"

func uintIn(v string, lo, hi uint64) (uint64, string) {
	n, err := strconv.ParseUint(v, 10, 64)
	if err != nil || n < lo || n > hi || strconv.FormatUint(n, 10) != v {
		return 0, fmt.Sprintf("must be a decimal integer from %d to %d", lo, hi)
	}
	return n, ""
}

// checkConfigValue says why value is not valid for key ("" when it is).
// cur reads the current configuration (for cross-key checks).
func checkConfigValue(key, value string, cur func(string) string) string {
	var why string
	switch key {
	case KeyTxCountLimit:
		_, why = uintIn(value, 1, 100_000)
	case KeyTxGasLimit:
		hi := uint64(1 << 62)
		if b, err := strconv.ParseUint(cur(KeyBlockGasLimit), 10, 64); err == nil && b > 0 {
			hi = b
		}
		_, why = uintIn(value, 21000, hi)
	case KeyConsensusTimeoutMs:
		_, why = uintIn(value, 100, 600_000)
	case KeyLeaderPeriod:
		_, why = uintIn(value, 1, 10_000)
	case KeyMinSealIntervalMs:
		_, why = uintIn(value, 0, 600_000)
	case KeyPermissionCheck:
		_, why = uintIn(value, 0, 1)
	case KeyCompatibilityVersion:
		if _, ok := parseVersion(value); !ok {
			why = "must be a version MAJOR.MINOR.PATCH"
		}
	case KeyBlockGasLimit:
		_, why = uintIn(value, 21000, 1<<62)
	case KeyBlockLimitWindow:
		_, why = uintIn(value, 1, 100_000)
	default:
		return fmt.Sprintf("unknown system config key %q; known keys: %s", key, strings.Join(ConfigKeys, ", "))
	}
	if why != "" {
		return fmt.Sprintf("%s %q: %s", key, value, why)
	}
	return ""
}

// proposable reports whether a key may change by a config proposal.
func proposable(key string) string {
	switch key {
	case KeyBlockGasLimit, KeyBlockLimitWindow:
		return fmt.Sprintf("%s is fixed at genesis", key)
	case KeyCompatibilityVersion:
		return "compatibility_version changes by an upgrade proposal (proposeUpgrade)"
	}
	return ""
}

// parseVersion parses MAJOR.MINOR.PATCH.
func parseVersion(v string) ([3]uint64, bool) {
	var out [3]uint64
	parts := strings.Split(v, ".")
	if len(parts) != 3 {
		return out, false
	}
	for i, p := range parts {
		n, err := strconv.ParseUint(p, 10, 32)
		if err != nil || strconv.FormatUint(n, 10) != p {
			return out, false
		}
		out[i] = n
	}
	return out, true
}

func versionLess(a, b string) bool {
	va, _ := parseVersion(a)
	vb, _ := parseVersion(b)
	return slices.Compare(va[:], vb[:]) < 0
}

// configAt reads a configuration record (its at method gives the value
// in force at a block).
func configAt(t *tables, key string) (configRecord, bool) {
	var r configRecord
	ok := t.get(tblConfig, []byte(key), &r)
	return r, ok
}

// setConfig records a new value, set in block, taking effect at block
// enable (> block). Only values in force at block or later are kept.
func setConfig(t *tables, key, value string, block, enable uint64) {
	var r configRecord
	if t.get(tblConfig, []byte(key), &r) {
		switch {
		case r.Enable <= block: // the old value is in force: it becomes Prev
			r.Prev, r.PrevEnable, r.Prev2 = r.Value, 0, ""
		case r.Enable < enable: // pending from an earlier block: kept from its Enable
			r.Prev2, r.Prev, r.PrevEnable = r.Prev, r.Value, r.Enable
		}
		// r.Enable == enable: set again by this block; the last value wins.
	}
	r.Value, r.Enable = value, enable
	t.put(tblConfig, []byte(key), &r)
}

var (
	sysConfigMethods = newMethods(
		newMethod("getValueByKey(string)", "string,uint64", false),
		newMethod("keys()", "string[]", false),
		newMethod("setValueByKey(string,string)", "", true),
	)
	evConfigChanged = newEvent("ConfigChanged(string,string,uint64)", 0)
)

// SystemConfig holds the chain's system configuration (0x...1002):
// anyone reads it; it changes only by committee proposal, from the block
// after the one that executes the proposal (from 0.4.0 the second block
// after it: GovernanceDelay). See SystemConfig.sol.
type SystemConfig struct{}

// Name implements Contract.
func (SystemConfig) Name() string { return "SystemConfig" }

// RequiredGas implements Contract.
func (SystemConfig) RequiredGas(input []byte) uint64 { return callGas(sysConfigMethods, input) }

// Run implements Contract.
func (c SystemConfig) Run(env *Env, input []byte) ([]byte, error) {
	m, args, ret, err := sysConfigMethods.decode(c.Name(), env, input)
	if m == nil {
		return ret, err
	}
	t := env.tables(SystemConfigAddress)
	switch m.sig {
	case "getValueByKey(string)":
		key := args[0].(string)
		r, ok := configAt(t, key)
		if !ok || r.at(env.Block.Number) == "" {
			if why := checkConfigValue(key, "", func(string) string { return "" }); strings.HasPrefix(why, "unknown") {
				return Revert("SystemConfig: " + why)
			}
			return Revert(fmt.Sprintf("SystemConfig: %s is not set on this chain", key))
		}
		v, enable := r.entry(env.Block.Number) // enable 0: a previous value whose start is not kept
		return m.ret(v, enable)
	case "keys()":
		return m.ret(ConfigKeys)
	default:
		return Revert("SystemConfig: values change only by proposal: call proposeConfig on the Committee at " + CommitteeAddress.Hex())
	}
}
