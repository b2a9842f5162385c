package crypto

import (
	"bytes"
	"encoding/hex"
	"errors"
	"math/big"
	"strings"
	"testing"

	"github.com/ethereum/go-ethereum/common"
)

func mustHex(t *testing.T, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(strings.TrimPrefix(s, "0x"))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestSuiteConformance runs the same behavioural checks on every suite.
func TestSuiteConformance(t *testing.T) {
	for _, s := range []Suite{ECDSA(), SM()} {
		t.Run(s.Name(), func(t *testing.T) { testSuite(t, s) })
	}
}

func testSuite(t *testing.T, s Suite) {
	byName, err := ByName(s.Name())
	if err != nil || byName.Name() != s.Name() {
		t.Fatalf("ByName(%q) = %v, %v", s.Name(), byName, err)
	}
	k, err := s.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	if k.SuiteName() != s.Name() {
		t.Fatalf("key suite %q", k.SuiteName())
	}
	pub := k.PublicKey()
	if len(pub) != 65 || pub[0] != 4 {
		t.Fatalf("public key %x not uncompressed", pub)
	}
	if err := s.ValidatePublicKey(pub); err != nil {
		t.Fatal(err)
	}
	if s.Address(pub) != k.Address() {
		t.Fatal("address of key differs from Address(pub)")
	}
	// Round trip of the private key.
	k2, err := s.ParsePrivateKey(k.Bytes())
	if err != nil || !bytes.Equal(k2.PublicKey(), pub) {
		t.Fatalf("parse private key: %v", err)
	}
	digest := s.Hash([]byte("gobcos conformance"))
	sig, err := k.Sign(digest[:])
	if err != nil {
		t.Fatal(err)
	}
	if len(sig) != s.SignatureSize() {
		t.Fatalf("signature length %d, want %d", len(sig), s.SignatureSize())
	}
	if err := s.Verify(pub, digest[:], sig); err != nil {
		t.Fatalf("verify own signature: %v", err)
	}
	// Wrong digest, wrong key, corrupted signature all fail.
	other := s.Hash([]byte("other"))
	if s.Verify(pub, other[:], sig) == nil {
		t.Fatal("signature verified over the wrong digest")
	}
	k3, _ := s.GenerateKey()
	if s.Verify(k3.PublicKey(), digest[:], sig) == nil {
		t.Fatal("signature verified with the wrong key")
	}
	bad := bytes.Clone(sig)
	bad[10] ^= 1
	if s.Verify(pub, digest[:], bad) == nil {
		t.Fatal("corrupted signature verified")
	}
	if s.Verify(pub, digest[:], sig[:20]) == nil {
		t.Fatal("truncated signature verified")
	}
	// Bad keys are refused.
	if _, err := s.ParsePrivateKey(make([]byte, 32)); !errors.Is(err, ErrInvalidKey) {
		t.Fatalf("zero private key: %v", err)
	}
	if _, err := s.ParsePrivateKey([]byte{1, 2, 3}); !errors.Is(err, ErrInvalidKey) {
		t.Fatalf("short private key: %v", err)
	}
	offCurve := bytes.Clone(pub)
	offCurve[64] ^= 1
	if s.ValidatePublicKey(offCurve) == nil {
		t.Fatal("off-curve public key accepted")
	}
	// Recovery: exact where supported, ErrNoRecovery otherwise.
	rec, err := s.Recover(digest[:], sig)
	switch {
	case errors.Is(err, ErrNoRecovery):
	case err != nil:
		t.Fatalf("recover: %v", err)
	case !bytes.Equal(rec, pub):
		t.Fatal("recovered a different key")
	}
	// Hashing is deterministic and input-sensitive.
	if s.Hash([]byte("a"), []byte("b")) != s.Hash([]byte("ab")) {
		t.Fatal("Hash is not over the concatenation")
	}
}

func TestByNameUnknown(t *testing.T) {
	if _, err := ByName("rsa"); !errors.Is(err, ErrUnknownSuite) {
		t.Fatalf("got %v", err)
	}
}

// Published vectors.

func TestKeccakVectors(t *testing.T) {
	s := ECDSA()
	if got := s.Hash(); got != common.HexToHash("c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470") {
		t.Fatalf("keccak256(\"\") = %x", got)
	}
	if got := s.Hash([]byte("abc")); got != common.HexToHash("4e03657aea45a94fc7d47ba826c8d667c0d1e6e33a64a036ec44f58fa12d6c45") {
		t.Fatalf("keccak256(abc) = %x", got)
	}
}

// TestEIP155Vector signs the example transaction of EIP-155 and checks the
// published r, s and sender.
func TestEIP155Vector(t *testing.T) {
	s := ECDSA()
	k, err := s.ParsePrivateKey(mustHex(t, "4646464646464646464646464646464646464646464646464646464646464646"))
	if err != nil {
		t.Fatal(err)
	}
	if k.Address() != common.HexToAddress("0x9d8A62f656a8d1615C1294fd71e9CFb3E4855A4F") {
		t.Fatalf("address %s", k.Address())
	}
	hash := mustHex(t, "daf5a779ae972f972197303d7b574746c7ef83eadac0f2791ad23db92e4c8e53")
	sig, err := k.Sign(hash)
	if err != nil {
		t.Fatal(err)
	}
	r, _ := new(big.Int).SetString("18515461264373351373200002665853028612451056578545711640558177340181847433846", 10)
	sv, _ := new(big.Int).SetString("46948507304638947509940763649030358759909902576025900602547168820602576006531", 10)
	if new(big.Int).SetBytes(sig[:32]).Cmp(r) != 0 || new(big.Int).SetBytes(sig[32:64]).Cmp(sv) != 0 || sig[64] != 0 {
		t.Fatalf("signature %x differs from EIP-155's", sig)
	}
	pub, err := s.Recover(hash, sig)
	if err != nil || s.Address(pub) != k.Address() {
		t.Fatalf("recover: %v", err)
	}
	// The same signature with s replaced by n-s is valid ECDSA but high-S:
	// it must be refused.
	n := new(big.Int).Lsh(big.NewInt(1), 256)
	n.SetString("fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141", 16)
	high := bytes.Clone(sig)
	new(big.Int).Sub(n, sv).FillBytes(high[32:64])
	high[64] ^= 1
	if err := s.Verify(k.PublicKey(), hash, high); !errors.Is(err, ErrHighS) {
		t.Fatalf("high-S verify: %v", err)
	}
	if _, err := s.Recover(hash, high); !errors.Is(err, ErrHighS) {
		t.Fatalf("high-S recover: %v", err)
	}
}

func TestSM3Vectors(t *testing.T) {
	s := SM()
	// GB/T 32905-2016 examples 1 and 2.
	if got := s.Hash([]byte("abc")); got != common.HexToHash("66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0") {
		t.Fatalf("sm3(abc) = %x", got)
	}
	if got := s.Hash([]byte(strings.Repeat("abcd", 16))); got != common.HexToHash("debe9ff92275b8a138604889c18e5a4d6fdb70e5387e5765293dcba39c0c5732") {
		t.Fatalf("sm3(abcd*16) = %x", got)
	}
}

// TestSM2Vector checks the signature example over the recommended curve of
// GM/T 0003.5 (message "message digest", default user id).
func TestSM2Vector(t *testing.T) {
	s := SM()
	k, err := s.ParsePrivateKey(mustHex(t, "3945208F7B2144B13F36E38AC6D39F95889393692860B51A42FB81EF4DF7C5B8"))
	if err != nil {
		t.Fatal(err)
	}
	wantPub := mustHex(t, "04"+"09F9DF311E5421A150DD7D161E4BC5C672179FAD1833FC076BB08FF356F35020"+"CCEA490CE26775A52DC6EA718CC1AA600AED05FBF35E084A6632F6072DA9AD13")
	if !bytes.Equal(k.PublicKey(), wantPub) {
		t.Fatalf("public key %x", k.PublicKey())
	}
	sig := mustHex(t, "F5A03B0648D2C4630EEAC513E1BB81A15944DA3827D5B74143AC7EACEEE720B3"+"B1B6AA29DF212FD8763182BC0D421CA1BB9038FD1F7F42D4840B69C485BBC1AA")
	msg := []byte("message digest")
	if err := s.Verify(wantPub, msg, sig); err != nil {
		t.Fatalf("standard signature does not verify: %v", err)
	}
	sig[63] ^= 1
	if s.Verify(wantPub, msg, sig) == nil {
		t.Fatal("tampered standard signature verified")
	}
}

func BenchmarkVerify(b *testing.B) {
	for _, s := range []Suite{ECDSA(), SM()} {
		k, _ := s.GenerateKey()
		d := s.Hash([]byte("bench"))
		sig, _ := k.Sign(d[:])
		pub := k.PublicKey()
		b.Run(s.Name(), func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				if err := s.Verify(pub, d[:], sig); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
