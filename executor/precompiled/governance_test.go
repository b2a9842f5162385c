package precompiled

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/holiman/uint256"

	"github.com/gobcos/gobcos/state"
	"github.com/gobcos/gobcos/storage"
)

func TestTablesRecordsAndLists(t *testing.T) {
	m := mapIO{}
	tb := &tables{io: m}
	if tb.getBytes("t", []byte("k")) != nil {
		t.Fatal("absent record read")
	}
	long := bytes.Repeat([]byte("x"), 100)
	tb.putBytes("t", []byte("k"), long)
	if got := tb.getBytes("t", []byte("k")); !bytes.Equal(got, long) {
		t.Fatalf("round trip: %q", got)
	}
	slots := len(m)
	tb.putBytes("t", []byte("k"), []byte("short"))
	if got := tb.getBytes("t", []byte("k")); string(got) != "short" || len(m) != slots-3 {
		t.Fatalf("shrink: %q, %d slots (was %d)", got, len(m), slots)
	}
	tb.putBytes("t", []byte("empty"), []byte{})
	if got := tb.getBytes("t", []byte("empty")); got == nil || len(got) != 0 {
		t.Fatalf("empty record: %v", got)
	}
	tb.del("t", []byte("k"))
	tb.del("t", []byte("empty"))
	if len(m) != 0 {
		t.Fatalf("delete left %d slots", len(m))
	}

	for _, k := range []string{"a", "b", "c", "d"} {
		tb.listAdd("l", []byte(k))
	}
	tb.listAdd("l", []byte("b")) // no duplicate
	tb.listRemove("l", []byte("b"))
	tb.listRemove("l", []byte("zz")) // absent: no-op
	var got []string
	for _, k := range tb.listKeys("l") {
		got = append(got, string(k))
	}
	if strings.Join(got, ",") != "a,d,c" || tb.listHas("l", []byte("b")) || !tb.listHas("l", []byte("d")) {
		t.Fatalf("list %v", got)
	}
	for _, k := range []string{"a", "c", "d"} {
		tb.listRemove("l", []byte(k))
	}
	if len(m) != 0 {
		t.Fatalf("emptied list left %d slots", len(m))
	}
}

func TestGovernanceGenesisRefusals(t *testing.T) {
	key := func() []byte {
		k := make([]byte, 65)
		k[0] = 4
		k[1] = byte(len(t.Name()))
		return k
	}
	a := common.HexToAddress("0xa")
	for name, g := range map[string]GovernanceGenesis{
		"zero weight":     {Governors: []Governor{{Address: a}}},
		"repeat governor": {Governors: []Governor{{Address: a, Weight: 1}, {Address: a, Weight: 1}}},
		"threshold":       {Participation: 101},
		"min sealers":     {Sealers: [][]byte{key()}, MinSealers: 2},
		"bad node":        {Sealers: [][]byte{{1, 2}}},
		"repeat node":     {Sealers: [][]byte{key()}, Observers: [][]byte{key()}},
		"bad config":      {Config: map[string]string{KeyTxCountLimit: "0"}},
		"unknown config":  {Config: map[string]string{"x": "1"}},
		"gas above block": {Config: map[string]string{KeyTxGasLimit: "500000", KeyBlockGasLimit: "100000"}},
	} {
		if _, err := g.Storage(); !errors.Is(err, ErrGovernanceGenesis) {
			t.Errorf("%s: %v", name, err)
		}
	}
}

// TestGovernanceReaderOnCommittedState builds the genesis storage into a
// store and reads it back through a state.Reader.
func TestGovernanceReaderOnCommittedState(t *testing.T) {
	k := make([]byte, 65)
	k[0] = 4
	gg := GovernanceGenesis{
		Governors: []Governor{{Address: common.HexToAddress("0xa"), Weight: 3}},
		Sealers:   [][]byte{k},
		Config:    map[string]string{KeyTxCountLimit: "42"},
	}
	st, err := gg.Storage()
	if err != nil {
		t.Fatal(err)
	}
	kv := storage.NewMemory()
	db := state.New(kv)
	for addr, slots := range st {
		db.SetCode(addr, []byte{0xfe}, 0)
		for s, v := range slots {
			db.SetState(addr, s, v)
		}
	}
	ws, err := db.WriteSet()
	if err != nil {
		t.Fatal(err)
	}
	if err := ws.ForBlock(0).ApplyTo(kv); err != nil {
		t.Fatal(err)
	}
	g := NewGovernanceReader(state.NewReader(kv))
	cfg, err := g.SystemConfig(1)
	if err != nil || cfg[KeyTxCountLimit].Value != "42" || len(cfg) != 1 {
		t.Fatalf("config %v %v", cfg, err)
	}
	gov, p, a, err := g.Committee()
	if err != nil || len(gov) != 1 || gov[0].Weight != 3 || p != DefaultThreshold || a != DefaultThreshold {
		t.Fatalf("committee %v %d %d %v", gov, p, a, err)
	}
	nodes, err := g.Nodes(1)
	if err != nil || len(nodes) != 1 || nodes[0].Type != NodeSealer || nodes[0].Weight != 1 {
		t.Fatalf("nodes %v %v", nodes, err)
	}
	if p, err := g.Proposal(1, 1); p != nil || err != nil {
		t.Fatalf("proposal %v %v", p, err)
	}

	// A damaged record is an error, not a panic.
	bad := state.New(kv)
	bad.SetState(ConsensusNodesAddress, new(tables).recordSlot(tblNode, k), common.BigToHash(common.Big3))
	ws, _ = bad.WriteSet()
	if err := ws.ForBlock(1).ApplyTo(kv); err != nil {
		t.Fatal(err)
	}
	if _, err := NewGovernanceReader(state.NewReader(kv)).Nodes(1); err == nil {
		t.Fatal("corrupt record read without error")
	}
}

func TestGrayBucketSpread(t *testing.T) {
	counts := make([]int, 10)
	const n = 20000
	for i := 0; i < n; i++ {
		sender := common.BytesToAddress(crypto.Keccak256([]byte(fmt.Sprint(i))))
		b := GrayBucket("name", sender)
		if b >= GrayBuckets || b != GrayBucket("name", sender) {
			t.Fatalf("bucket %d", b)
		}
		counts[b/1000]++
	}
	for d, c := range counts {
		if c < n/10*85/100 || c > n/10*115/100 {
			t.Fatalf("decile %d holds %d of %d senders: %v", d, c, n, counts)
		}
	}
}

// FuzzContracts feeds arbitrary input to every governance contract over a
// real StateDB: a call may revert or fail, never panic.
func FuzzContracts(f *testing.F) {
	for _, c := range governanceABIs {
		for _, m := range c.methods {
			f.Add(m.id[:], false)
			f.Add(append(m.id[:], bytes.Repeat([]byte{0xff}, 64)...), true)
		}
	}
	f.Add([]byte{1, 2, 3}, false)
	reg := Default()
	k := make([]byte, 65)
	k[0] = 4
	gg := GovernanceGenesis{Governors: []Governor{{Address: common.HexToAddress("0xa"), Weight: 1}}, Sealers: [][]byte{k}}
	st, err := gg.Storage()
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, input []byte, asGovernor bool) {
		db := state.New(storage.NewMemory())
		for addr, slots := range st {
			for s, v := range slots {
				db.SetState(addr, s, v)
			}
		}
		caller := common.HexToAddress("0xb")
		if asGovernor {
			caller = common.HexToAddress("0xa")
		}
		for _, addr := range reg.Addresses() {
			c, _ := reg.Contract(addr)
			env := &Env{Self: addr, Caller: caller, Value: new(uint256.Int), Block: BlockInfo{ChainID: 1, Number: 5}, db: db}
			c.RequiredGas(input)
			if _, err := c.Run(env, input); err != nil && !strings.Contains(err.Error(), "revert") {
				t.Fatalf("%s: %v", c.Name(), err)
			}
		}
	})
}
