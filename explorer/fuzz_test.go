package explorer

import (
	"testing"

	"github.com/ethereum/go-ethereum/common"
	ethcrypto "github.com/ethereum/go-ethereum/crypto"

	"github.com/gobcos/gobcos/executor/precompiled"
)

// Requests from browsers reach checkReadOnly; it must never panic.
func FuzzCheckReadOnly(f *testing.F) {
	f.Add([]byte(`{"jsonrpc":"2.0","id":1,"method":"eth_blockNumber","params":[]}`))
	f.Add([]byte(`[{"method":"bcos_getNodeInfo"},{"method":"eth_sendRawTransaction"}]`))
	f.Add([]byte(`[`))
	f.Add([]byte(`  {"method": 7}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		checkReadOnly(body)
	})
}

// Tx inputs and logs from the chain reach the ABI decoders; they must
// never panic, whatever the bytes.
func FuzzDecode(f *testing.F) {
	f.Add([]byte{0x37, 0x01, 0x58, 0xea}, []byte{}, []byte{})
	f.Add([]byte{0xa9, 0x05, 0x9c, 0xbb, 0, 0, 0}, make([]byte, 64), make([]byte, 32))
	f.Add([]byte{}, []byte{1, 2, 3}, []byte{0xff})
	st := newABIStore()
	token := common.HexToAddress("0x1000000000000000000000000000000000000001")
	abiJSON := `[{"type":"function","name":"transfer","inputs":[{"name":"to","type":"address"},{"name":"amount","type":"uint256"},{"name":"memo","type":"string"},{"name":"xs","type":"uint8[]"}]},
	 {"type":"event","name":"Transfer","inputs":[{"name":"from","type":"address","indexed":true},{"name":"tag","type":"string","indexed":true},{"name":"value","type":"uint256"},{"name":"memo","type":"bytes"}]}]`
	if err := st.add(token, "Token", []byte(abiJSON)); err != nil {
		f.Fatal(err)
	}
	transfer := ethcrypto.Keccak256Hash([]byte("Transfer(address,string,uint256,bytes)"))
	f.Fuzz(func(t *testing.T, input, topics, data []byte) {
		st.decodeInput(token, input)
		st.decodeInput(precompiled.SystemInfoAddress, input)
		ts := []common.Hash{transfer}
		for len(topics) >= 32 {
			ts = append(ts, common.BytesToHash(topics[:32]))
			topics = topics[32:]
		}
		st.decodeLog(token, ts, data)
		if len(input) >= 32 {
			st.decodeLog(token, []common.Hash{common.BytesToHash(input[:32])}, data)
		}
	})
}
