package types_test

import (
	"bytes"
	"crypto/ecdsa"
	"errors"
	"math/big"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	ethtypes "github.com/ethereum/go-ethereum/core/types"

	"github.com/gobcos/gobcos/crypto"
	"github.com/gobcos/gobcos/types"
)

const (
	testChainID = 20200
	testGroup   = "group0"
)

func nativeTx(t testing.TB, s crypto.Suite, k crypto.PrivateKey, mutate func(*types.NativeTx)) *types.Transaction {
	t.Helper()
	to := common.HexToAddress("0x1234")
	n := &types.NativeTx{ChainID: testChainID, GroupID: testGroup, BlockLimit: 100, Nonce: big.NewInt(42), To: &to, Value: big.NewInt(0), Input: []byte{1, 2, 3}}
	if mutate != nil {
		mutate(n)
	}
	if err := n.Sign(s, k.PublicKey(), k.Sign); err != nil {
		t.Fatal(err)
	}
	return types.NewNativeTx(s, n)
}

func ethTx(t testing.TB, k crypto.PrivateKey, chainID int64, dynamic bool) *types.Transaction {
	t.Helper()
	ek, _ := crypto.ECDSAKey(k)
	to := common.HexToAddress("0x5678")
	var inner ethtypes.TxData = &ethtypes.LegacyTx{Nonce: 1, Gas: 21000, GasPrice: big.NewInt(0), To: &to, Value: big.NewInt(0)}
	if dynamic {
		inner = &ethtypes.DynamicFeeTx{ChainID: big.NewInt(chainID), Nonce: 1, Gas: 21000, GasFeeCap: big.NewInt(0), GasTipCap: big.NewInt(0), To: &to}
	}
	return signEth(t, ek, chainID, inner)
}

// signEth signs inner for chainID with ek and wraps it.
func signEth(t testing.TB, ek *ecdsa.PrivateKey, chainID int64, inner ethtypes.TxData) *types.Transaction {
	t.Helper()
	signed, err := ethtypes.SignNewTx(ek, ethtypes.LatestSignerForChainID(big.NewInt(chainID)), inner)
	if err != nil {
		t.Fatal(err)
	}
	tx, err := types.NewEthTx(signed)
	if err != nil {
		t.Fatal(err)
	}
	return tx
}

func TestNativeTxRoundTripBothSuites(t *testing.T) {
	for _, s := range []crypto.Suite{crypto.ECDSA(), crypto.SM()} {
		t.Run(s.Name(), func(t *testing.T) {
			k, _ := s.GenerateKey()
			tx := nativeTx(t, s, k, nil)
			dec, err := types.DecodeTx(s, tx.Bytes())
			if err != nil {
				t.Fatal(err)
			}
			if dec.Hash() != tx.Hash() || dec.Hash() != s.Hash(tx.Bytes()) {
				t.Fatal("hash changed in round trip")
			}
			from, err := dec.Verify(s, testChainID, testGroup)
			if err != nil || from != k.Address() {
				t.Fatalf("verify: %v %s", err, from)
			}
			if _, err := dec.Verify(s, testChainID, testGroup); err != nil {
				t.Fatal("cached verify failed")
			}
			// Wrong chain or group.
			d2, _ := types.DecodeTx(s, tx.Bytes())
			if _, err := d2.Verify(s, testChainID+1, testGroup); !errors.Is(err, types.ErrWrongChainID) {
				t.Fatalf("wrong chain: %v", err)
			}
			if _, err := d2.Verify(s, testChainID, "group1"); !errors.Is(err, types.ErrWrongGroupID) {
				t.Fatalf("wrong group: %v", err)
			}
			// A changed field invalidates the signature.
			other := *tx.Native()
			other.BlockLimit++
			forged := types.NewNativeTx(s, &other)
			if _, err := forged.Verify(s, testChainID, testGroup); !errors.Is(err, types.ErrInvalidSig) {
				t.Fatalf("forged: %v", err)
			}
		})
	}
}

func TestSMNativeTxNeedsPublicKey(t *testing.T) {
	s := crypto.SM()
	k, _ := s.GenerateKey()
	tx := nativeTx(t, s, k, nil)
	n := *tx.Native()
	n.PublicKey = nil
	if _, err := types.NewNativeTx(s, &n).Verify(s, testChainID, testGroup); !errors.Is(err, types.ErrMissingPublicKey) {
		t.Fatalf("got %v", err)
	}
	// Another key's public key does not match the signature.
	k2, _ := s.GenerateKey()
	n.PublicKey = k2.PublicKey()
	if _, err := types.NewNativeTx(s, &n).Verify(s, testChainID, testGroup); !errors.Is(err, types.ErrInvalidSig) {
		t.Fatalf("got %v", err)
	}
}

func TestEthTx(t *testing.T) {
	s := crypto.ECDSA()
	k, _ := s.GenerateKey()
	for _, dyn := range []bool{false, true} {
		tx := ethTx(t, k, testChainID, dyn)
		dec, err := types.DecodeTx(s, tx.Bytes())
		if err != nil {
			t.Fatal(err)
		}
		if dec.Hash() != tx.Eth().Hash() {
			t.Fatal("Ethereum tx hash differs from go-ethereum's")
		}
		from, err := dec.Verify(s, testChainID, testGroup)
		if err != nil || from != k.Address() {
			t.Fatalf("verify: %v", err)
		}
		wrong, _ := types.DecodeTx(s, ethTx(t, k, 1, dyn).Bytes())
		if _, err := wrong.Verify(s, testChainID, testGroup); !errors.Is(err, types.ErrWrongChainID) {
			t.Fatalf("wrong chain id: %v", err)
		}
		// Refused on SM chains.
		sm, _ := types.DecodeTx(crypto.SM(), tx.Bytes())
		if _, err := sm.Verify(crypto.SM(), testChainID, testGroup); !errors.Is(err, types.ErrEthTxNotAllowed) {
			t.Fatalf("SM chain: %v", err)
		}
	}
}

// TestEthTxHashIsGoEthereums checks the hash taken from the encoding
// against go-ethereum's own for every accepted Ethereum tx type.
func TestEthTxHashIsGoEthereums(t *testing.T) {
	s := crypto.ECDSA()
	k, _ := s.GenerateKey()
	ek, _ := crypto.ECDSAKey(k)
	to := common.HexToAddress("0x5678")
	chain := big.NewInt(testChainID)
	acl := ethtypes.AccessList{{Address: to, StorageKeys: []common.Hash{{1}, {2}}}}
	for name, inner := range map[string]ethtypes.TxData{
		"legacy":      &ethtypes.LegacyTx{Nonce: 7, Gas: 50000, GasPrice: big.NewInt(3), To: &to, Value: big.NewInt(9), Data: []byte{1, 2, 3}},
		"access list": &ethtypes.AccessListTx{ChainID: chain, Nonce: 7, Gas: 50000, GasPrice: big.NewInt(3), To: &to, Value: big.NewInt(9), Data: []byte{4}, AccessList: acl},
		"1559":        &ethtypes.DynamicFeeTx{ChainID: chain, Nonce: 7, Gas: 50000, GasFeeCap: big.NewInt(5), GasTipCap: big.NewInt(1), Value: big.NewInt(9), Data: []byte{5, 6}, AccessList: acl},
	} {
		signed, err := ethtypes.SignNewTx(ek, ethtypes.LatestSignerForChainID(chain), inner)
		if err != nil {
			t.Fatal(err)
		}
		want := signed.Hash()
		tx, err := types.NewEthTx(signed)
		if err != nil {
			t.Fatal(err)
		}
		dec, err := types.DecodeTx(s, tx.Bytes())
		if err != nil {
			t.Fatal(name, err)
		}
		if tx.Hash() != want || dec.Hash() != want || dec.Eth().Hash() != want {
			t.Fatalf("%s: hashes %s (built), %s (decoded), go-ethereum %s", name, tx.Hash(), dec.Hash(), want)
		}
	}
}

func TestDecodeTxRejects(t *testing.T) {
	s := crypto.ECDSA()
	cases := map[string][]byte{
		"empty":     nil,
		"blob type": {0x03, 0xc0},
		"garbage":   {0xff, 0x01},
		"native":    {types.NativeTxType, 0x01},
		"too large": bytes.Repeat([]byte{0xc0}, types.MaxTxSize+1),
	}
	for name, b := range cases {
		if _, err := types.DecodeTx(s, b); err == nil {
			t.Errorf("%s: decoded", name)
		}
	}
}

func TestBlockAndReceiptRoundTrip(t *testing.T) {
	s := crypto.SM()
	k, _ := s.GenerateKey()
	txs := []*types.Transaction{nativeTx(t, s, k, nil), nativeTx(t, s, k, func(n *types.NativeTx) { n.Nonce = big.NewInt(7) })}
	rs := []*types.Receipt{
		{Status: 1, GasUsed: 21000, Logs: []*types.Log{{Address: common.HexToAddress("0x1"), Topics: []common.Hash{{1}}, Data: []byte{9}}}},
		{Status: 0, GasUsed: 30000, Output: []byte{0x08, 0xc3}, ErrorMessage: "execution reverted"},
	}
	h := &types.Header{Number: 1, Timestamp: 1700000000, TxRoot: types.TxRoot(s, txs), ReceiptRoot: types.ReceiptRoot(s, rs), LogsBloom: types.LogsBloom(rs), GasLimit: 1 << 30}
	hash := h.Hash(s)
	sig, _ := k.Sign(hash[:])
	h.Signatures = []types.CommitSig{{Index: 0, Signature: sig}}
	if h.Hash(s) != hash {
		t.Fatal("signatures changed the header hash")
	}
	blk := &types.Block{Header: h, Txs: txs}
	dec, err := types.DecodeBlock(s, types.EncodeBlock(blk))
	if err != nil {
		t.Fatal(err)
	}
	if dec.Header.Hash(s) != hash || len(dec.Txs) != 2 || dec.Txs[1].Hash() != txs[1].Hash() || len(dec.Header.Signatures) != 1 {
		t.Fatal("block changed in round trip")
	}
	r, err := types.DecodeReceipt(types.EncodeReceipt(rs[1]))
	if err != nil || r.ErrorMessage != rs[1].ErrorMessage || !bytes.Equal(r.Output, rs[1].Output) {
		t.Fatalf("receipt round trip: %v", err)
	}
	if !h.LogsBloom.Test(common.HexToAddress("0x1").Bytes()) {
		t.Fatal("bloom misses the log address")
	}
}

func TestMerkleProofs(t *testing.T) {
	for _, s := range []crypto.Suite{crypto.ECDSA(), crypto.SM()} {
		for n := 1; n <= 9; n++ {
			leaves := make([]common.Hash, n)
			for i := range leaves {
				leaves[i] = types.MerkleLeaf(s, []byte{byte(i)})
			}
			root := types.MerkleRoot(s, leaves)
			for i := range leaves {
				p, err := types.MerkleProof(s, leaves, i)
				if err != nil {
					t.Fatal(err)
				}
				if err := types.VerifyMerkleProof(s, root, leaves[i], p); err != nil {
					t.Fatalf("n=%d i=%d: %v", n, i, err)
				}
				other := types.MerkleLeaf(s, []byte{byte(i + 100)})
				if types.VerifyMerkleProof(s, root, other, p) == nil {
					t.Fatalf("n=%d i=%d: proof verified a foreign leaf", n, i)
				}
				if len(p) > 0 {
					p[0].Hash[0] ^= 1
					if types.VerifyMerkleProof(s, root, leaves[i], p) == nil {
						t.Fatalf("n=%d i=%d: tampered proof verified", n, i)
					}
				}
			}
		}
		if _, err := types.MerkleProof(s, nil, 0); err == nil {
			t.Fatal("proof of an empty tree")
		}
		if types.MerkleRoot(s, nil) != types.EmptyRoot(s) {
			t.Fatal("empty root")
		}
	}
}

func TestEmptyRootIsEthereumsOnKeccak(t *testing.T) {
	if types.EmptyRoot(crypto.ECDSA()) != ethtypes.EmptyTxsHash {
		t.Fatalf("empty root %x differs from Ethereum's %x", types.EmptyRoot(crypto.ECDSA()), ethtypes.EmptyTxsHash)
	}
}

func TestECDSANativeTxRecoversWithoutPublicKey(t *testing.T) {
	s := crypto.ECDSA()
	k, _ := s.GenerateKey()
	n := *nativeTx(t, s, k, nil).Native()
	n.PublicKey = nil
	from, err := types.NewNativeTx(s, &n).Verify(s, testChainID, testGroup)
	if err != nil || from != k.Address() {
		t.Fatalf("recovered %s, %v; want %s", from, err, k.Address())
	}
	n.Signature = append([]byte(nil), n.Signature...)
	n.Signature[5] ^= 1
	if from, err := types.NewNativeTx(s, &n).Verify(s, testChainID, testGroup); err == nil && from == k.Address() {
		t.Fatal("a corrupted signature recovered the signer")
	}
}

// LogsBloom is go-ethereum's bloom of the same logs.
func TestLogsBloomMatchesEthereum(t *testing.T) {
	var rs []*types.Receipt
	var want ethtypes.Bloom
	for i := range 5 {
		r := &types.Receipt{}
		for j := range i {
			l := &types.Log{Address: common.BytesToAddress([]byte{byte(i), byte(j), 7})}
			for k := range j {
				l.Topics = append(l.Topics, common.BytesToHash([]byte{byte(i), byte(j), byte(k), 9}))
			}
			r.Logs = append(r.Logs, l)
			want.Add(l.Address.Bytes())
			for _, tp := range l.Topics {
				want.Add(tp.Bytes())
			}
		}
		rs = append(rs, r)
	}
	if got := types.LogsBloom(rs); got != want {
		t.Fatalf("bloom differs from go-ethereum's")
	}
	if types.LogsBloom(rs) == (ethtypes.Bloom{}) {
		t.Fatal("empty bloom for logs")
	}
}
