package state

import (
	"bytes"
	"encoding/hex"
	"errors"
	"math/big"
	"strings"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	ethtypes "github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/rlp"
	"github.com/holiman/uint256"
)

// TestKeyArena: the arena's keys equal AccountKey's and StorageKey's, and
// appending to one leaves the next one alone.
func TestKeyArena(t *testing.T) {
	var a keyArena
	for i := range 200 { // past a chunk
		addr := common.BigToAddress(big.NewInt(int64(i)))
		slot := common.BigToHash(big.NewInt(int64(1000 + i)))
		ak, sk := a.accountKey(addr), a.storageKey(addr, slot)
		if string(ak) != string(AccountKey(addr)) || string(sk) != string(StorageKey(addr, slot)) {
			t.Fatalf("key %d: %x %x", i, ak, sk)
		}
		_ = append(ak, 0xff, 0xff, 0xff)
		if string(sk) != string(StorageKey(addr, slot)) {
			t.Fatalf("appending to key %d changed the next one", i)
		}
	}
}

// refAccount is the struct the account record was first defined by: the
// reference encodeAccount and decodeAccount are held to.
type refAccount struct {
	Nonce    uint64
	Balance  *uint256.Int
	CodeHash []byte
}

// TestAccountEncoding: encodeAccount writes what RLP-encoding refAccount
// writes, and decodeAccount reads it back.
func TestAccountEncoding(t *testing.T) {
	code := common.HexToHash("0x1234")
	for _, a := range []Account{
		{CodeHash: ethtypes.EmptyCodeHash},
		{Nonce: 1, Balance: *uint256.NewInt(5), CodeHash: ethtypes.EmptyCodeHash},
		{Nonce: 1 << 40, Balance: *new(uint256.Int).SetAllOne(), CodeHash: code},
		{Nonce: 127, Balance: *uint256.NewInt(128), CodeHash: code},
	} {
		ref := refAccount{Nonce: a.Nonce, Balance: &a.Balance}
		if a.CodeHash != ethtypes.EmptyCodeHash {
			ref.CodeHash = a.CodeHash[:]
		}
		want, err := rlp.EncodeToBytes(&ref)
		if err != nil {
			t.Fatal(err)
		}
		got := encodeAccount(&a)
		if !bytes.Equal(got, want) {
			t.Fatalf("%+v: %x, want %x", a, got, want)
		}
		back, err := decodeAccount(got)
		if err != nil || *back != a {
			t.Fatalf("%+v decoded as %+v (%v)", a, back, err)
		}
	}
}

// FuzzDecodeAccount: decodeAccount accepts exactly the records decoding
// into refAccount accepts (with a code hash of 0 or 32 bytes), with the
// same values.
func FuzzDecodeAccount(f *testing.F) {
	for _, seed := range []string{
		"c3018080", "c50105820102", "e3808080a0" + strings.Repeat("11", 32), "c4010580" + "00",
		"c3010080", "c401820005" + "80", "c2018080", "c401058080", "c3c08080", "c380c080",
		"e301a1" + strings.Repeat("ff", 33) + "80", "c30181" + "05" + "80",
	} {
		b, _ := hex.DecodeString(seed)
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		got, err := decodeAccount(b)
		var ref refAccount
		refErr := rlp.DecodeBytes(b, &ref)
		if refErr == nil && len(ref.CodeHash) != 0 && len(ref.CodeHash) != common.HashLength {
			refErr = errors.New("code hash length")
		}
		if (err == nil) != (refErr == nil) {
			t.Fatalf("%x: decodeAccount error %v, reference error %v", b, err, refErr)
		}
		if err != nil {
			if !errors.Is(err, ErrCorrupt) {
				t.Fatalf("%x: error %v is not ErrCorrupt", b, err)
			}
			return
		}
		want := Account{Nonce: ref.Nonce, CodeHash: ethtypes.EmptyCodeHash}
		if ref.Balance != nil {
			want.Balance = *ref.Balance
		}
		if len(ref.CodeHash) != 0 {
			want.CodeHash = common.Hash(ref.CodeHash)
		}
		if *got != want {
			t.Fatalf("%x: %+v, reference %+v", b, *got, want)
		}
	})
}
