package precompiled

import (
	"bytes"
	"errors"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/vm"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/rlp"
	"github.com/holiman/uint256"

	"github.com/gobcos/gobcos/state"
	"github.com/gobcos/gobcos/storage"
)

func TestCompareVersions(t *testing.T) {
	for _, c := range []struct {
		a, b string
		want int
	}{
		{"0.1.0", "0.2.0", -1}, {"0.2.0", "0.1.0", 1}, {"0.2.0", "0.2.0", 0},
		{"0.10.0", "0.9.0", 1}, {"1.0.0", "0.99.99", 1}, {"", "0.1.0", -1}, {"x", "", 0},
	} {
		if got := CompareVersions(c.a, c.b); got != c.want {
			t.Errorf("CompareVersions(%q, %q) = %d, want %d", c.a, c.b, got, c.want)
		}
	}
	if !KnownCompatibility(CompatV0_1) || !KnownCompatibility(LatestCompatibility()) || KnownCompatibility("0.1.5") || KnownCompatibility("") {
		t.Fatal("KnownCompatibility")
	}
	if LatestCompatibility() != CompatV0_5 {
		t.Fatalf("latest %s", LatestCompatibility())
	}
}

func TestParamsOf(t *testing.T) {
	p, err := paramsOf(map[string]ConfigValue{
		KeyTxCountLimit: {Value: "10"}, KeyConsensusTimeoutMs: {Value: "1500"}, KeyMinSealIntervalMs: {Value: "0"},
		KeyPermissionCheck: {Value: "1"}, KeyCompatibilityVersion: {Value: "0.2.0"},
	})
	if err != nil {
		t.Fatal(err)
	}
	if p.TxCountLimit != 10 || p.ConsensusTimeout != 1500*time.Millisecond || !p.Has[KeyMinSealIntervalMs] || p.Has[KeyTxGasLimit] ||
		!p.PermissionCheck || p.Compatibility != CompatV0_2 {
		t.Fatalf("params %+v", p)
	}
	for value, on := range map[string]bool{"0": false, "1": true} {
		if p, err := paramsOf(map[string]ConfigValue{KeyPermissionCheck: {Value: value}}); err != nil || p.PermissionCheck != on {
			t.Errorf("permission_check %s: switch %v (%v), want %v", value, p.PermissionCheck, err, on)
		}
	}
	if p, _ := paramsOf(nil); p.Compatibility != CompatV0_1 || len(p.Has) != 0 || !p.PermissionCheck {
		t.Fatalf("empty config: %+v", p)
	}
	if _, err := paramsOf(map[string]ConfigValue{KeyTxGasLimit: {Value: "lots"}}); err == nil {
		t.Fatal("a value that is not a number")
	}
	if _, err := paramsOf(map[string]ConfigValue{KeyCompatibilityVersion: {Value: "v2"}}); err == nil {
		t.Fatal("a version that is not one")
	}
}

// TestSystemInfoCompatibilityVersion: the function exists from 0.2.0 on;
// before, it reverts exactly as an unknown selector did.
func TestSystemInfoCompatibilityVersion(t *testing.T) {
	in := crypto.Keccak256([]byte("compatibilityVersion()"))[:4]
	for _, v := range []string{"", CompatV0_1} {
		env := &Env{Value: new(uint256.Int), Block: BlockInfo{ChainID: 7, Number: 9, Compat: v}}
		out, err := SystemInfo{}.Run(env, in)
		if !errors.Is(err, vm.ErrExecutionReverted) || !bytes.Contains(out, []byte("unknown function selector")) {
			t.Fatalf("at %q: %x %v", v, out, err)
		}
	}
	env := &Env{Value: new(uint256.Int), Block: BlockInfo{ChainID: 7, Number: 9, Compat: CompatV0_2}}
	out, err := SystemInfo{}.Run(env, in)
	if err != nil {
		t.Fatal(err)
	}
	want := append(append(Word(32), Word(5)...), append([]byte("0.2.0"), make([]byte, 27)...)...)
	if !bytes.Equal(out, want) {
		t.Fatalf("compatibilityVersion() = %x", out)
	}
}

// TestGovernanceDelay: from 0.4.0 a config, upgrade or node change made in
// block h takes effect at h+2, below it at h+1; freezes keep h+1.
// Changes in consecutive blocks (h enables at h+2, h+1 at h+3) keep the
// records right: height h+2 read from the state after h or after h+1
// gives the first change, h+3 after h+1 the second.
func TestGovernanceDelay(t *testing.T) {
	if GovernanceDelay("") != 1 || GovernanceDelay(CompatV0_3) != 1 || GovernanceDelay(CompatV0_4) != 2 || GovernanceDelay("0.5.0") != 2 {
		t.Fatal("GovernanceDelay")
	}
	if Pipelined(CompatV0_3) || !Pipelined(CompatV0_4) {
		t.Fatal("Pipelined")
	}
	node := func(b byte) []byte {
		k := make([]byte, 65)
		k[0], k[1] = 4, b
		return k
	}
	gg := GovernanceGenesis{
		Governors: []Governor{{Address: common.HexToAddress("0xa"), Weight: 1}},
		Sealers:   [][]byte{node(1), node(2), node(3), node(4)},
		Config:    map[string]string{KeyTxCountLimit: "100", KeyLeaderPeriod: "1"},
	}
	st, err := gg.Storage()
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		compat string
		delay  uint64
	}{{CompatV0_3, 1}, {CompatV0_4, 2}} {
		db := state.New(storage.NewMemory())
		for addr, slots := range st {
			for s, v := range slots {
				db.SetState(addr, s, v)
			}
		}
		const h = 10
		env := func(n uint64, self common.Address) *Env {
			return &Env{Self: self, Value: new(uint256.Int), Block: BlockInfo{ChainID: 1, Number: n, Compat: c.compat}, db: db}
		}
		conf := func(at uint64) string {
			r, _ := configAt((&Env{db: db}).tables(SystemConfigAddress), KeyTxCountLimit)
			return r.at(at)
		}
		sealers := func(at uint64) int {
			n := 0
			for _, x := range nodesAt((&Env{db: db}).tables(ConsensusNodesAddress), at) {
				if x.Type == NodeSealer {
					n++
				}
			}
			return n
		}
		frozen := func(at uint64) bool {
			return statusAt((&Env{db: db}).tables(PermissionAddress), tblAccount, common.HexToAddress("0xf"), at) == 1
		}
		// Block h: tx_count_limit 200, sealer 4 removed, account 0xf frozen.
		for _, ch := range []struct {
			kind ProposalKind
			self common.Address
			args []any
		}{
			{ProposalConfig, SystemConfigAddress, []any{KeyTxCountLimit, "200"}},
			{ProposalNode, ConsensusNodesAddress, []any{NodeOpRemove, node(4), uint64(0)}},
			{ProposalFreeze, PermissionAddress, []any{common.HexToAddress("0xf"), uint8(1)}},
		} {
			e := env(h, ch.self)
			if why := checkChange(e, ch.kind, ch.args); why != "" {
				t.Fatalf("%s: block h: %s", c.compat, why)
			}
			if err := applyChange(e, ch.kind, ch.args); err != nil {
				t.Fatalf("%s: block h: %v", c.compat, err)
			}
		}
		// After h: the change is in force from h+delay, not before.
		if conf(h) != "100" || conf(h+c.delay-1) != "100" || conf(h+c.delay) != "200" {
			t.Fatalf("%s after h: tx_count_limit %s/%s/%s", c.compat, conf(h), conf(h+c.delay-1), conf(h+c.delay))
		}
		if sealers(h+c.delay-1) != 4 || sealers(h+c.delay) != 3 {
			t.Fatalf("%s after h: sealers %d at h+%d, %d at h+%d", c.compat, sealers(h+c.delay-1), c.delay-1, sealers(h+c.delay), c.delay)
		}
		if frozen(h) || !frozen(h+1) {
			t.Fatalf("%s: a freeze in block h applies from h+1", c.compat)
		}
		afterH := []string{conf(h + 1), conf(h + 2)}
		// Block h+1: tx_count_limit 300, sealer 3 removed.
		for _, ch := range []struct {
			kind ProposalKind
			self common.Address
			args []any
		}{
			{ProposalConfig, SystemConfigAddress, []any{KeyTxCountLimit, "300"}},
			{ProposalNode, ConsensusNodesAddress, []any{NodeOpRemove, node(3), uint64(0)}},
		} {
			e := env(h+1, ch.self)
			if why := checkChange(e, ch.kind, ch.args); why != "" {
				t.Fatalf("%s: block h+1: %s", c.compat, why)
			}
			if err := applyChange(e, ch.kind, ch.args); err != nil {
				t.Fatalf("%s: block h+1: %v", c.compat, err)
			}
		}
		// After h+1 (and within it, reading height h+1): height h+1, and
		// h+2 from 0.4.0, read as after h; the second change from h+1+delay.
		if conf(h+c.delay) != "200" || conf(h+1+c.delay) != "300" || conf(h+1) != afterH[0] {
			t.Fatalf("%s after h+1: tx_count_limit %s at h+1, %s at h+%d, %s at h+%d", c.compat, conf(h+1), conf(h+c.delay), c.delay, conf(h+1+c.delay), c.delay+1)
		}
		if c.delay == 2 && (conf(h+1) != "100" || conf(h+2) != afterH[1]) {
			t.Fatalf("0.4.0: heights h+1, h+2 read %s, %s after h+1 but %v after h", conf(h+1), conf(h+2), afterH)
		}
		if got, _ := sysConfigGet(t, env(h+1, SystemConfigAddress)); got != afterH[0] {
			t.Fatalf("%s: getValueByKey in block h+1 after its change: %s, want %s", c.compat, got, afterH[0])
		}
		if sealers(h+1) != 4-int(2-c.delay) || sealers(h+c.delay) != 3 || sealers(h+1+c.delay) != 2 {
			t.Fatalf("%s after h+1: sealers %d at h+%d, %d at h+%d", c.compat, sealers(h+c.delay), c.delay, sealers(h+1+c.delay), c.delay+1)
		}
		// Two changes of one key in one block: the last wins, the value
		// before the block stays the previous one.
		for _, v := range []string{"400", "500"} {
			if err := applyChange(env(h+2, SystemConfigAddress), ProposalConfig, []any{KeyTxCountLimit, v}); err != nil {
				t.Fatal(err)
			}
		}
		if conf(h+2) != map[uint64]string{1: "300", 2: "200"}[c.delay] {
			t.Fatalf("%s: height h+2 within block h+2 after its changes: %s", c.compat, conf(h+2))
		}
		if conf(h+1+c.delay) != "300" || conf(h+2+c.delay) != "500" {
			t.Fatalf("%s: two changes in block h+2: %s, %s", c.compat, conf(h+1+c.delay), conf(h+2+c.delay))
		}
	}
}

// sysConfigGet calls SystemConfig.getValueByKey(tx_count_limit) in env.
func sysConfigGet(t *testing.T, env *Env) (string, uint64) {
	t.Helper()
	m := newMethod("getValueByKey(string)", "string,uint64", false)
	in, err := m.in.Pack(KeyTxCountLimit)
	if err != nil {
		t.Fatal(err)
	}
	out, err := SystemConfig{}.Run(env, append(m.id[:], in...))
	if err != nil {
		t.Fatalf("getValueByKey: %v", err)
	}
	vals, err := m.out.Unpack(out)
	if err != nil {
		t.Fatal(err)
	}
	return vals[0].(string), vals[1].(uint64)
}

// TestRecordEncodingUnchanged: records without the second level encode
// exactly as before it existed, so chains below 0.4.0 keep their state roots.
func TestRecordEncodingUnchanged(t *testing.T) {
	oldConf := struct {
		Value, Prev string
		Enable      uint64
	}{"a", "b", 3}
	oldNode := struct {
		Type       uint8
		Weight     uint64
		PrevType   uint8
		PrevWeight uint64
		Enable     uint64
	}{1, 2, 2, 0, 9}
	for _, c := range []struct{ old, now any }{
		{oldConf, &configRecord{Value: "a", Prev: "b", Enable: 3}},
		{oldNode, &nodeRecord{Type: 1, Weight: 2, PrevType: 2, Enable: 9}},
	} {
		a, _ := rlp.EncodeToBytes(c.old)
		b, _ := rlp.EncodeToBytes(c.now)
		if !bytes.Equal(a, b) {
			t.Fatalf("%T encodes as %x, before as %x", c.now, b, a)
		}
		if err := rlp.DecodeBytes(a, c.now); err != nil {
			t.Fatalf("an old %T does not decode: %v", c.now, err)
		}
	}
}
