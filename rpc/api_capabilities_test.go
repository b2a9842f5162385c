package rpc

import (
	"testing"

	"github.com/ethereum/go-ethereum/common/hexutil"
)

func TestCapabilities(t *testing.T) {
	e := newTestEnv(t, Config{})
	got := e.ok("eth_capabilities")
	checkResult(t, "eth_capabilities", got)
	c := decode[map[string]map[string]any](t, got)
	head := e.f.Head()
	if c["head"]["number"] != hexutil.EncodeUint64(head.Number) || c["head"]["hash"] != head.Hash(e.f.suite).Hex() {
		t.Fatalf("head %v", c["head"])
	}
	for _, r := range []string{"blocks", "tx", "receipts", "logs", "state"} {
		if c[r]["disabled"] != false || c[r]["oldestBlock"] != "0x0" {
			t.Fatalf("%s: %v", r, c[r])
		}
	}
	if c["stateproofs"]["disabled"] != true {
		t.Fatalf("state proofs %v", c["stateproofs"])
	}
	e.fails(CodeInvalidParams, nil, "eth_capabilities", 1)
}
