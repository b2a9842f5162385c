package types_test

import (
	"bytes"
	"math/big"
	"math/rand/v2"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	ethtypes "github.com/ethereum/go-ethereum/core/types"
	ethcrypto "github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/rlp"

	"github.com/gobcos/gobcos/crypto"
	"github.com/gobcos/gobcos/types"
)

// DecodeTx takes an Ethereum tx's input bytes as its canonical encoding
// without encoding the decoded tx again to compare, which it did before.
// The tests below check that both accept the same inputs, on valid txs of
// every accepted type, on every non-canonical rewrite of each of their
// RLP items, on byte-level mutations, on random bytes, and (fuzzing) on
// what the fuzzer derives from all of these.

// reencodedAccepts is the check DecodeTx made before: the bytes decode as
// an Ethereum tx whose encoding is the same bytes. It applies to inputs
// DecodeTx hands to go-ethereum's decoder (ethInput).
func reencodedAccepts(b []byte) bool {
	etx := new(ethtypes.Transaction)
	if etx.UnmarshalBinary(b) != nil {
		return false
	}
	enc, err := etx.MarshalBinary()
	return err == nil && bytes.Equal(enc, b)
}

// ethInput reports whether DecodeTx decodes b with go-ethereum's decoder
// (its other answers do not depend on the change).
func ethInput(b []byte) bool {
	if len(b) == 0 || len(b) > types.MaxTxSize || b[0] == types.NativeTxType {
		return false
	}
	return b[0] >= 0x7f || b[0] == ethtypes.AccessListTxType || b[0] == ethtypes.DynamicFeeTxType
}

// checkSameAcceptance fails when DecodeTx and the re-encoding check
// disagree on b, or when an accepted tx is not b hashed with Keccak.
func checkSameAcceptance(t testing.TB, b []byte) {
	t.Helper()
	if !ethInput(b) {
		return
	}
	tx, err := types.DecodeTx(crypto.ECDSA(), b)
	if old := reencodedAccepts(b); old != (err == nil) {
		t.Fatalf("input %x: the re-encoding check accepts it: %v, DecodeTx: %v", b, old, err)
	}
	if err != nil {
		return
	}
	if !bytes.Equal(tx.Bytes(), b) || tx.Hash() != ethcrypto.Keccak256Hash(b) || tx.Hash() != tx.Eth().Hash() {
		t.Fatalf("input %x: decoded as %x, hash %s", b, tx.Bytes(), tx.Hash())
	}
}

// canonicalSeeds are signed Ethereum txs of every type DecodeTx accepts,
// with fields of various sizes (zero, one byte under and over 0x80, long
// data, contract creation, access lists).
func canonicalSeeds(t testing.TB) [][]byte {
	t.Helper()
	k, err := ethcrypto.ToECDSA(bytes.Repeat([]byte{7}, 32))
	if err != nil {
		t.Fatal(err)
	}
	to := common.HexToAddress("0x00000000000000000000000000000000000000ff")
	signer := ethtypes.LatestSignerForChainID(big.NewInt(testChainID))
	big1 := new(big.Int).Lsh(big.NewInt(1), 200)
	al := ethtypes.AccessList{{Address: to, StorageKeys: []common.Hash{{1}, {0x80}}}, {Address: common.Address{}, StorageKeys: nil}}
	inners := []ethtypes.TxData{
		&ethtypes.LegacyTx{Nonce: 0, GasPrice: new(big.Int), Gas: 21000, To: &to, Value: new(big.Int)},
		&ethtypes.LegacyTx{Nonce: 0x7f, GasPrice: big.NewInt(0x80), Gas: 1, To: nil, Value: big1, Data: []byte{0x7f}},
		&ethtypes.LegacyTx{Nonce: 1 << 40, GasPrice: big.NewInt(1), Gas: 1 << 62, To: &to, Value: big.NewInt(0x80), Data: bytes.Repeat([]byte{0xab}, 70)},
		&ethtypes.AccessListTx{ChainID: big.NewInt(testChainID), Nonce: 3, GasPrice: new(big.Int), Gas: 50000, To: &to, Value: big.NewInt(5), Data: []byte{0x80}, AccessList: al},
		&ethtypes.AccessListTx{ChainID: big.NewInt(testChainID), Nonce: 0, GasPrice: new(big.Int), Gas: 50000, To: nil},
		&ethtypes.DynamicFeeTx{ChainID: big.NewInt(testChainID), Nonce: 9, GasTipCap: big.NewInt(1), GasFeeCap: big.NewInt(0x100), Gas: 21000, To: &to, Value: new(big.Int), AccessList: al},
		&ethtypes.DynamicFeeTx{ChainID: big.NewInt(testChainID), Nonce: 0, GasTipCap: new(big.Int), GasFeeCap: new(big.Int), Gas: 21000, To: nil, Data: bytes.Repeat([]byte{1}, 300)},
	}
	var out [][]byte
	for _, inner := range inners {
		tx, err := ethtypes.SignNewTx(k, signer, inner)
		if err != nil {
			t.Fatal(err)
		}
		b, err := tx.MarshalBinary()
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, b)
	}
	return out
}

// rlpItem is a parsed RLP item: a string or a list of items.
type rlpItem struct {
	list    bool
	content []byte // a string's bytes
	items   []*rlpItem
}

func parseRLP(t testing.TB, b []byte) *rlpItem {
	t.Helper()
	kind, content, rest, err := rlp.Split(b)
	if err != nil || len(rest) != 0 {
		t.Fatalf("seed %x: %v (%d bytes left)", b, err, len(rest))
	}
	if kind != rlp.List {
		return &rlpItem{content: content}
	}
	it := &rlpItem{list: true}
	for len(content) > 0 {
		_, _, rest, err := rlp.Split(content)
		if err != nil {
			t.Fatal(err)
		}
		it.items = append(it.items, parseRLP(t, content[:len(content)-len(rest)]))
		content = rest
	}
	return it
}

// The ways an item can be encoded other than canonically.
const (
	longHeader   = iota // the long header form for a short payload
	zeroLenByte         // a length of length with a leading zero byte
	byteAsString        // a single byte below 0x80 sent as a one-byte string
	leadingZero         // a zero byte before a string's content
	wrongEmpty          // an empty string sent as an empty list, or the reverse
	variants
)

// encodeRLP encodes it, and the item target (counted in pre-order from
// *n) with variant v.
func encodeRLP(it *rlpItem, target int, v int, n *int) []byte {
	me := *n == target
	*n++
	var payload []byte
	if it.list {
		for _, c := range it.items {
			payload = append(payload, encodeRLP(c, target, v, n)...)
		}
	} else {
		payload = it.content
	}
	if me {
		switch v {
		case leadingZero:
			if !it.list {
				payload = append([]byte{0}, payload...)
			}
		case byteAsString:
			if !it.list && len(payload) == 1 && payload[0] < 0x80 {
				return []byte{0x81, payload[0]}
			}
		case wrongEmpty:
			if len(payload) == 0 {
				if it.list {
					return []byte{0x80}
				}
				return []byte{0xc0}
			}
		}
	}
	short, long := byte(0x80), byte(0xb7)
	if it.list {
		short, long = 0xc0, 0xf7
	}
	if !it.list && len(payload) == 1 && payload[0] < 0x80 && !(me && v == leadingZero) {
		return payload
	}
	switch {
	case me && v == longHeader:
		return append([]byte{long + 1, byte(len(payload))}, payload...)[:2+len(payload)]
	case me && v == zeroLenByte:
		return append([]byte{long + 2, 0, byte(len(payload))}, payload...)[:3+len(payload)]
	case len(payload) < 56:
		return append([]byte{short + byte(len(payload))}, payload...)
	}
	l := new(big.Int).SetInt64(int64(len(payload))).Bytes()
	return append(append([]byte{long + byte(len(l))}, l...), payload...)
}

// rewrites are the seed with each RLP item encoded in each of the ways
// above that apply, plus a trailing byte. All but leadingZero are
// non-canonical; leadingZero is for a byte string (Data) another valid
// value, for an integer a non-canonical encoding. strict tells them apart.
func rewrites(t testing.TB, seed []byte) [][]byte {
	out, _ := rewritesStrict(t, seed)
	return out
}

func rewritesStrict(t testing.TB, seed []byte) (out [][]byte, strict []bool) {
	t.Helper()
	var prefix []byte
	body := seed
	if seed[0] < 0x7f {
		prefix, body = seed[:1], seed[1:]
	}
	root := parseRLP(t, body)
	var count int
	encodeRLP(root, -1, 0, &count)
	for target := range count {
		for v := range variants {
			var n int
			enc := encodeRLP(root, target, v, &n)
			if bytes.Equal(enc, body) || len(enc) > 255+3 && v != leadingZero && v != wrongEmpty && v != byteAsString {
				// Unchanged, or a payload too long for the one-byte
				// lengths of the header variants.
				continue
			}
			out = append(out, append(append([]byte{}, prefix...), enc...))
			strict = append(strict, v != leadingZero)
		}
	}
	for _, c := range []byte{0x00, 0x80, 0xc0} {
		out = append(out, append(append([]byte{}, seed...), c))
		strict = append(strict, true)
	}
	return out, strict
}

func TestDecodeTxCanonicalSeedsAccepted(t *testing.T) {
	for _, b := range canonicalSeeds(t) {
		if !reencodedAccepts(b) {
			t.Fatalf("seed %x is not canonical", b)
		}
		checkSameAcceptance(t, b)
	}
}

// TestDecodeTxRefusesRewrites: both answer the same on every rewrite, and
// both refuse every non-canonical one.
func TestDecodeTxRefusesRewrites(t *testing.T) {
	n := 0
	for _, seed := range canonicalSeeds(t) {
		out, strict := rewritesStrict(t, seed)
		for i, b := range out {
			n++
			if bytes.Equal(b, seed) {
				t.Fatalf("rewrite of %x unchanged", seed)
			}
			checkSameAcceptance(t, b)
			if _, err := types.DecodeTx(crypto.ECDSA(), b); err == nil && strict[i] {
				t.Fatalf("non-canonical %x (from %x) accepted", b, seed)
			}
		}
	}
	if n < 200 {
		t.Fatalf("only %d rewrites", n)
	}
}

// TestDecodeTxMutationsSameAcceptance compares both on byte-level
// mutations of the seeds and of their rewrites, and on random bytes.
func TestDecodeTxMutationsSameAcceptance(t *testing.T) {
	special := []byte{0x00, 0x01, 0x7f, 0x80, 0x81, 0xb7, 0xb8, 0xb9, 0xc0, 0xc1, 0xf7, 0xf8, 0xf9, 0xff}
	perSeed, random := 40, 20000
	if testing.Short() {
		perSeed, random = 6, 5000
	}
	for _, seed := range canonicalSeeds(t) {
		inputs := append([][]byte{seed}, rewrites(t, seed)...)
		for _, in := range inputs[:min(len(inputs), perSeed)] {
			for i := range in {
				for _, c := range append(special, in[i]+1, in[i]-1) {
					m := bytes.Clone(in)
					m[i] = c
					checkSameAcceptance(t, m)
				}
				checkSameAcceptance(t, append(bytes.Clone(in[:i]), in[i+1:]...))
				checkSameAcceptance(t, append(append(bytes.Clone(in[:i]), 0), in[i:]...))
				checkSameAcceptance(t, in[:i])
			}
		}
	}
	r := rand.New(rand.NewPCG(1, 2))
	for range random {
		b := make([]byte, 1+r.IntN(200))
		for i := range b {
			b[i] = byte(r.Uint32())
		}
		b[0] = special[r.IntN(len(special))]
		checkSameAcceptance(t, b)
	}
}

// FuzzDecodeTxCanonical compares DecodeTx with the re-encoding check on
// what the fuzzer makes of the seeds and their non-canonical rewrites.
func FuzzDecodeTxCanonical(f *testing.F) {
	for _, seed := range canonicalSeeds(f) {
		f.Add(seed)
		for _, b := range rewrites(f, seed) {
			f.Add(b)
		}
	}
	f.Fuzz(func(t *testing.T, b []byte) { checkSameAcceptance(t, b) })
}
