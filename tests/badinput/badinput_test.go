package badinput

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	ethtypes "github.com/ethereum/go-ethereum/core/types"

	"github.com/gobcos/gobcos/crypto"
	"github.com/gobcos/gobcos/internal/nodetest"
	"github.com/gobcos/gobcos/node"
	"github.com/gobcos/gobcos/sdk"
	"github.com/gobcos/gobcos/types"
)

type rpcError struct {
	Code    int             `json:"code"`
	Message string          `json:"message"`
	Data    json.RawMessage `json:"data"`
}

type rpcResponse struct {
	ID     json.RawMessage `json:"id"`
	Result json.RawMessage `json:"result"`
	Error  *rpcError       `json:"error"`
}

func startNode(t *testing.T, suite string) *node.Node {
	t.Helper()
	return nodetest.Dev(t, suite, nil)
}

func post(t *testing.T, url string, body []byte) (int, []byte) {
	t.Helper()
	resp, err := http.Post(url, "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatalf("node stopped answering: %v", err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

func call(t *testing.T, url, method string, params ...any) rpcResponse {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"jsonrpc": "2.0", "id": 1, "method": method, "params": params})
	_, b := post(t, url, body)
	var r rpcResponse
	if err := json.Unmarshal(b, &r); err != nil {
		t.Fatalf("%s: answer is not JSON-RPC: %s", method, b)
	}
	return r
}

// expect checks an error answer's code and that its message contains each
// of the fragments.
func expect(t *testing.T, name string, r rpcResponse, code int, fragments ...string) {
	t.Helper()
	if r.Error == nil {
		t.Errorf("%s: got result %s, want error %d", name, r.Result, code)
		return
	}
	t.Logf("%-28s %d %s", name, r.Error.Code, r.Error.Message)
	if r.Error.Code != code {
		t.Errorf("%s: code %d (%q), want %d", name, r.Error.Code, r.Error.Message, code)
	}
	for _, f := range fragments {
		if !strings.Contains(r.Error.Message, f) {
			t.Errorf("%s: message %q lacks %q", name, r.Error.Message, f)
		}
	}
}

func signEth(t *testing.T, key crypto.PrivateKey, chainID int64, nonce uint64, data []byte) *ethtypes.Transaction {
	t.Helper()
	ek, _ := crypto.ECDSAKey(key)
	to := common.HexToAddress("0x00000000000000000000000000000000000000cc")
	return ethtypes.MustSignNewTx(ek, ethtypes.LatestSignerForChainID(big.NewInt(chainID)), &ethtypes.LegacyTx{Nonce: nonce, Gas: 100_000, GasPrice: big.NewInt(0), To: &to, Data: data})
}

func rawHex(t *testing.T, tx *ethtypes.Transaction) string {
	t.Helper()
	b, err := tx.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	return hexutil.Encode(b)
}

func TestBadInputECDSA(t *testing.T) {
	n := startNode(t, crypto.NameECDSA)
	url := "http://" + n.RPCAddr()
	chainID := int64(n.Genesis().ChainID)
	key, _ := crypto.ECDSA().GenerateKey()

	// Envelope and method errors.
	_, b := post(t, url, []byte(`{"jsonrpc":"2.0","id":1,"method":`))
	var r rpcResponse
	json.Unmarshal(b, &r)
	expect(t, "truncated JSON", r, -32700)
	_, b = post(t, url, []byte(`{"jsonrpc":"2.0","id":1}`))
	json.Unmarshal(b, &r)
	expect(t, "no method", r, -32600)
	_, b = post(t, url, []byte(`[]`))
	json.Unmarshal(b, &r)
	expect(t, "empty batch", r, -32600)
	expect(t, "unknown method", call(t, url, "eth_mine"), -32601, "eth_mine")
	expect(t, "unsupported Ethereum method", call(t, url, "eth_sign", "0x00000000000000000000000000000000000000cc", "0x00"), -32601, "eth_sign")

	// Wrong parameter types and malformed hex.
	expect(t, "number as address", call(t, url, "eth_getBalance", 123, "latest"), -32602, "argument 0")
	expect(t, "bad hex address", call(t, url, "eth_getBalance", "0xzz", "latest"), -32602, "argument 0")
	expect(t, "bad block tag", call(t, url, "eth_getBlockByNumber", "newest", false), -32602, "argument 0")
	expect(t, "string as bool", call(t, url, "eth_getBlockByNumber", "latest", "yes"), -32602, "argument 1")
	expect(t, "malformed hex tx", call(t, url, "eth_sendRawTransaction", "0xzz"), -32602, "argument 0")
	expect(t, "hex without prefix", call(t, url, "eth_getTransactionByHash", "deadbeef"), -32602, "argument 0")
	expect(t, "missing params", call(t, url, "eth_getTransactionReceipt"), -32602)
	expect(t, "too many params", call(t, url, "eth_blockNumber", 1), -32602)

	// Bad transactions.
	expect(t, "bad RLP", call(t, url, "eth_sendRawTransaction", "0xf8ff0102"), -32602, "malformed transaction encoding")
	expect(t, "unsupported type", call(t, url, "eth_sendRawTransaction", "0x03c0"), -32602, "unsupported transaction type")
	expect(t, "wrong chain id", call(t, url, "eth_sendRawTransaction", rawHex(t, signEth(t, key, 1, 0, nil))), -32000, "wrong chain id")

	good := signEth(t, key, chainID, 0, nil)
	v, rr, s := good.RawSignatureValues()
	// A corrupted signature recovers to some other key or to none: flip r.
	badR := new(big.Int).Add(rr, big.NewInt(1))
	badSig := mustWithSignature(t, good, chainID, badR, s, v)
	resp := call(t, url, "eth_sendRawTransaction", rawHex(t, badSig))
	if resp.Error == nil {
		// A different but valid sender is possible with a flipped r; its tx
		// must then fail for that sender (nonce 0 is fine) - so demand an error
		// only when recovery fails, and otherwise check the sender differs.
		var h common.Hash
		json.Unmarshal(resp.Result, &h)
		lookup := call(t, url, "eth_getTransactionByHash", h.Hex())
		if strings.Contains(string(lookup.Result), strings.ToLower(key.Address().Hex()[2:])) {
			t.Errorf("corrupted signature was attributed to the real sender")
		}
	} else {
		expect(t, "corrupted signature", resp, -32000, "invalid transaction signature")
	}
	// An out-of-range r recovers no key at all.
	n256r, _ := new(big.Int).SetString("fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141", 16)
	expect(t, "invalid signature", call(t, url, "eth_sendRawTransaction", rawHex(t, mustWithSignature(t, good, chainID, n256r, s, v))), -32000, "invalid transaction signature")
	// High-S: the same signature with s' = n - s (and v flipped) is valid
	// ECDSA but malleable; it must be refused.
	n256, _ := new(big.Int).SetString("fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141", 16)
	highS := mustWithSignature(t, good, chainID, rr, new(big.Int).Sub(n256, s), new(big.Int).Xor(v, big.NewInt(1)))
	expect(t, "high-S signature", call(t, url, "eth_sendRawTransaction", rawHex(t, highS)), -32000, "s value")

	// Oversized tx and body.
	huge := signEth(t, key, chainID, 0, make([]byte, types.MaxTxSize+1))
	expect(t, "oversized tx", call(t, url, "eth_sendRawTransaction", rawHex(t, huge)), -32602, "too large")
	status, b := post(t, url, []byte(fmt.Sprintf(`{"jsonrpc":"2.0","id":1,"method":"eth_blockNumber","params":[],"pad":"%s"}`, strings.Repeat("x", 6<<20))))
	if status != http.StatusRequestEntityTooLarge && !strings.Contains(string(b), "too large") {
		t.Errorf("oversized body: status %d, %s", status, b)
	}

	// The good tx commits; sending it again is a replay.
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if r := call(t, url, "eth_sendRawTransaction", rawHex(t, good)); r.Error != nil {
		t.Fatalf("good tx refused: %s", r.Error.Message)
	}
	waitReceipt(t, ctx, url, good.Hash())
	expect(t, "replay of a committed tx", call(t, url, "eth_sendRawTransaction", rawHex(t, good)), -32000, "already")
	expect(t, "nonce too low", call(t, url, "eth_sendRawTransaction", rawHex(t, signEth(t, key, chainID, 0, []byte{1}))), -32000, "nonce too low")

	// Native txs: expired block limit, replayed nonce.
	client, err := sdk.Dial(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	to := common.HexToAddress("0x00000000000000000000000000000000000000dd")
	expired := &types.NativeTx{ChainID: uint64(chainID), GroupID: n.Genesis().GroupID, BlockLimit: 1, Nonce: big.NewInt(77), To: &to, Value: new(big.Int)}
	if err := expired.Sign(crypto.ECDSA(), key.PublicKey(), key.Sign); err != nil {
		t.Fatal(err)
	}
	expect(t, "expired block limit", call(t, url, "bcos_sendTransaction", hexutil.Encode(types.NewNativeTx(crypto.ECDSA(), expired).Bytes()), false), -32000, "block limit", "expired")
	otherGroup := *expired
	otherGroup.GroupID, otherGroup.BlockLimit = "group9", n.Height()+10
	otherGroup.Sign(crypto.ECDSA(), key.PublicKey(), key.Sign)
	expect(t, "wrong group", call(t, url, "bcos_sendTransaction", hexutil.Encode(types.NewNativeTx(crypto.ECDSA(), &otherGroup).Bytes()), false), -32000, "group")

	// The node still works.
	tx, err := client.NewNativeTx(ctx, key, &to, big.NewInt(0), nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := client.SendTransaction(ctx, tx); err != nil {
		t.Fatal(err)
	}
	waitReceipt(t, ctx, url, tx.Hash())
	expect(t, "replayed native tx", call(t, url, "bcos_sendTransaction", hexutil.Encode(tx.Bytes()), false), -32000, "already")
}

func TestBadInputSM(t *testing.T) {
	n := startNode(t, crypto.NameSM)
	url := "http://" + n.RPCAddr()
	key, _ := crypto.ECDSA().GenerateKey()
	ethTx := signEth(t, key, int64(n.Genesis().ChainID), 0, nil)
	expect(t, "Ethereum tx on an SM chain", call(t, url, "eth_sendRawTransaction", rawHex(t, ethTx)), -32000, "SM2")

	// An SM native tx without its public key.
	smKey, _ := crypto.SM().GenerateKey()
	to := common.HexToAddress("0x00000000000000000000000000000000000000dd")
	nt := &types.NativeTx{ChainID: n.Genesis().ChainID, GroupID: n.Genesis().GroupID, BlockLimit: 100, Nonce: big.NewInt(1), To: &to, Value: new(big.Int)}
	nt.Sign(crypto.SM(), smKey.PublicKey(), smKey.Sign)
	nt.PublicKey = nil
	expect(t, "SM tx without public key", call(t, url, "bcos_sendTransaction", hexutil.Encode(types.NewNativeTx(crypto.SM(), nt).Bytes()), false), -32000, "public key")
	if r := call(t, url, "eth_blockNumber"); r.Error != nil {
		t.Fatalf("node stopped working: %s", r.Error.Message)
	}
}

func mustWithSignature(t *testing.T, tx *ethtypes.Transaction, chainID int64, r, s, v *big.Int) *ethtypes.Transaction {
	t.Helper()
	signer := ethtypes.LatestSignerForChainID(big.NewInt(chainID))
	// Rebuild the 65-byte [r || s || recid] signature WithSignature expects.
	sig := make([]byte, 65)
	r.FillBytes(sig[:32])
	s.FillBytes(sig[32:64])
	recid := new(big.Int).Sub(v, big.NewInt(chainID*2+35))
	sig[64] = byte(recid.Uint64() & 1)
	out, err := tx.WithSignature(signer, sig)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func waitReceipt(t *testing.T, ctx context.Context, url string, h common.Hash) {
	t.Helper()
	for {
		r := call(t, url, "eth_getTransactionReceipt", h.Hex())
		if r.Error == nil && string(r.Result) != "null" {
			return
		}
		select {
		case <-ctx.Done():
			t.Fatalf("no receipt for %s", h)
		case <-time.After(20 * time.Millisecond):
		}
	}
}
