package rpc

import (
	"strings"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"

	"github.com/gobcos/gobcos/types"
)

func TestChainInfoAndConfig(t *testing.T) {
	e := newTestEnv(t, Config{})
	info := decode[map[string]any](t, e.ok("bcos_getChainInfo"))
	sealers := info["sealers"].([]any)
	s0 := sealers[0].(map[string]any)
	if info["chainId"] != "0x4ee8" || info["groupId"] != testGroupID || info["cryptoSuite"] != "ecdsa" || info["consensus"] != "pbft" ||
		info["version"] != "3.0.0" || info["blockNumber"] != "0x1" || info["blockLimitWindow"] != "0x3e8" || info["txGasLimit"] != "0x11e1a300" ||
		len(sealers) != 1 || s0["nodeId"] != hexutil.Encode(e.f.sealer.PublicKey()) || s0["address"] != strings.ToLower(e.f.sealer.Address().Hex()) {
		t.Fatalf("chain info %v", info)
	}
	all := decode[map[string]string](t, e.ok("bcos_getSystemConfig"))
	if len(all) != 3 || all["tx_count_limit"] != "1000" {
		t.Fatalf("system config %v", all)
	}
	one := decode[map[string]string](t, e.ok("bcos_getSystemConfig", "tx_gas_limit"))
	if one["key"] != "tx_gas_limit" || one["value"] != "300000000" {
		t.Fatalf("one key %v", one)
	}
}

func TestProofs(t *testing.T) {
	e := newTestEnv(t, Config{})
	hdr := e.f.blocks[1].Header
	for i, tx := range e.txs {
		p := decode[struct {
			BlockNumber string            `json:"blockNumber"`
			BlockHash   common.Hash       `json:"blockHash"`
			Index       string            `json:"index"`
			TxHash      common.Hash       `json:"txHash"`
			Root        common.Hash       `json:"root"`
			Leaf        common.Hash       `json:"leaf"`
			Transaction hexutil.Bytes     `json:"transaction"`
			Receipt     hexutil.Bytes     `json:"receipt"`
			Proof       []types.ProofStep `json:"proof"`
		}](t, e.ok("bcos_getTransactionProof", tx.Hash().Hex()))
		if p.Root != hdr.TxRoot || p.BlockHash != hdr.Hash(e.f.suite) || p.Index != hexutil.EncodeUint64(uint64(i)) || p.TxHash != tx.Hash() {
			t.Fatalf("tx proof %d: %+v", i, p)
		}
		// A client verifies from the tx bytes alone.
		decoded, err := types.DecodeTx(e.f.suite, p.Transaction)
		if err != nil || decoded.Hash() != tx.Hash() {
			t.Fatalf("tx proof %d: transaction bytes", i)
		}
		th := tx.Hash()
		leaf := types.MerkleLeaf(e.f.suite, th[:])
		if leaf != p.Leaf || types.VerifyMerkleProof(e.f.suite, p.Root, leaf, p.Proof) != nil {
			t.Fatalf("tx proof %d does not verify", i)
		}
		rp := decode[struct {
			Root    common.Hash       `json:"root"`
			Receipt hexutil.Bytes     `json:"receipt"`
			Proof   []types.ProofStep `json:"proof"`
		}](t, e.ok("bcos_getReceiptProof", tx.Hash().Hex()))
		r, err := types.DecodeReceipt(rp.Receipt)
		if err != nil || r.GasUsed != e.f.receipts[1][i].GasUsed {
			t.Fatalf("receipt proof %d: receipt %v", i, err)
		}
		if rp.Root != hdr.ReceiptRoot || types.VerifyMerkleProof(e.f.suite, rp.Root, types.MerkleLeaf(e.f.suite, rp.Receipt), rp.Proof) != nil {
			t.Fatalf("receipt proof %d does not verify", i)
		}
		// A tampered proof fails.
		if len(rp.Proof) > 0 {
			rp.Proof[0].Hash[0] ^= 1
			if types.VerifyMerkleProof(e.f.suite, rp.Root, types.MerkleLeaf(e.f.suite, rp.Receipt), rp.Proof) == nil {
				t.Fatal("tampered proof verifies")
			}
		}
	}
	e.fails(CodeServer, []string{"not found"}, "bcos_getTransactionProof", common.Hash{5}.Hex())
	pending := e.alice.legacy(&otherAddr, 0, nil)
	e.ok("eth_sendRawTransaction", hexutil.Encode(pending.Bytes()))
	e.fails(CodeServer, []string{"is pending"}, "bcos_getReceiptProof", pending.Hash().Hex())
}

func TestSendTransactionWait(t *testing.T) {
	e := newTestEnv(t, Config{})
	tx := nativeTx(t, testKey(t, 4), &tokenAddr, nil, 1234)
	done := make(chan rpcResp, 1)
	go func() {
		done <- e.call("bcos_sendTransaction", hexutil.Encode(tx.Bytes()), true)
	}()
	// Mine once the tx is in the pool; the waiting call then answers.
	for e.f.PendingTxCount() == 0 {
		time.Sleep(time.Millisecond)
	}
	b := e.f.mine()
	r := <-done
	if r.Error != nil {
		t.Fatalf("wait: %+v", r.Error)
	}
	rc := decode[map[string]any](t, r.Result)
	if rc["transactionHash"] != tx.Hash().Hex() || rc["blockHash"] != b.Header.Hash(e.f.suite).Hex() || rc["status"] != "0x1" || rc["output"] != "0x" || rc["type"] != "0x60" {
		t.Fatalf("receipt %v", rc)
	}
	if len(rc["logs"].([]any)) != 1 {
		t.Fatalf("logs %v", rc["logs"])
	}
	// The same receipt is served by bcos_getTransactionReceipt.
	if got := e.ok("bcos_getTransactionReceipt", tx.Hash().Hex()); string(mustCompact(t, got)) != string(mustCompact(t, r.Result)) {
		t.Fatalf("receipts differ:\n%s\n%s", got, r.Result)
	}
	// Pool errors come back at once.
	e.fails(CodeServer, []string{"already known"}, "bcos_sendTransaction", hexutil.Encode(tx.Bytes()), true)
}

func TestSendTransactionWaitTimeout(t *testing.T) {
	e := newTestEnv(t, Config{ReceiptWaitTimeout: time.Millisecond})
	tx := nativeTx(t, testKey(t, 4), &tokenAddr, nil, 99)
	err := e.fails(CodeServer, []string{"timed out waiting for the transaction to be committed", "poll eth_getTransactionReceipt"}, "bcos_sendTransaction", hexutil.Encode(tx.Bytes()), true)
	if err.Data != tx.Hash().Hex() {
		t.Fatalf("data %v", err.Data)
	}
	e.s.hub.mu.Lock()
	n := len(e.s.hub.waiters)
	e.s.hub.mu.Unlock()
	if n != 0 {
		t.Fatalf("%d waiters left", n)
	}
}
