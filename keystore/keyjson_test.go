package keystore

import (
	"encoding/hex"
	"encoding/json"
	"errors"
	"os"
	"strings"
	"testing"

	gethks "github.com/ethereum/go-ethereum/accounts/keystore"
	"github.com/ethereum/go-ethereum/common"
	"github.com/google/uuid"

	"github.com/gobcos/gobcos/crypto"
)

type vector struct {
	JSON     json.RawMessage `json:"json"`
	Password string          `json:"password"`
	Priv     string          `json:"priv"`
}

func TestDecryptPublishedVectors(t *testing.T) {
	raw, err := os.ReadFile("testdata/v3_test_vector.json")
	if err != nil {
		t.Fatal(err)
	}
	var vs map[string]vector
	if err := json.Unmarshal(raw, &vs); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"wikipage_test_vector_scrypt", "wikipage_test_vector_pbkdf2", "31_byte_key", "30_byte_key"} {
		t.Run(name, func(t *testing.T) {
			if testing.Short() && strings.HasPrefix(name, "wikipage") {
				t.Skip("the wiki vectors cost about 32 MiB x 8 of scrypt or 2^18 PBKDF2 rounds")
			}
			v, ok := vs[name]
			if !ok {
				t.Fatalf("vector %s missing", name)
			}
			key, err := Decrypt(v.JSON, v.Password)
			if err != nil {
				t.Fatalf("Decrypt: %v", err)
			}
			want := strings.Repeat("0", 64-len(v.Priv)) + v.Priv
			if got := hex.EncodeToString(key.Bytes()); got != want {
				t.Fatalf("key = %s, want %s", got, want)
			}
			if key.SuiteName() != crypto.NameECDSA {
				t.Fatalf("suite = %s", key.SuiteName())
			}
		})
	}
	// A wrong password on a published vector (the cheap one).
	if _, err := Decrypt(vs["31_byte_key"].JSON, "bar"); !errors.Is(err, ErrWrongPassword) {
		t.Fatalf("wrong password: err = %v, want ErrWrongPassword", err)
	}
}

func TestDecryptGethFiles(t *testing.T) {
	cases := []struct {
		file, password string
		addr           string
		err            error
	}{
		{"very-light-scrypt.json", "", "45dea0fb0bba44f4fcf290bba71fd57d7117cbb8", nil},
		{"aaa", "foobar", "f466859ead1932d743d622cb74fc058882e8648a", nil},
		{"UTC--2016-03-22T12-57-55.920751759Z--7ef5a6135f1fd6a02593eedc869c6d41d934aef8", "foobar", "7ef5a6135f1fd6a02593eedc869c6d41d934aef8", nil},
		{"aaa", "foobaz", "", ErrWrongPassword},
		{"zero", "foobar", "", ErrAddressMismatch},
	}
	for _, c := range cases {
		key, err := LoadFile("testdata/geth/"+c.file, c.password)
		if c.err != nil {
			if !errors.Is(err, c.err) {
				t.Errorf("%s: err = %v, want %v", c.file, err, c.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", c.file, err)
			continue
		}
		if key.Address() != common.HexToAddress(c.addr) {
			t.Errorf("%s: address %s, want %s", c.file, key.Address().Hex(), c.addr)
		}
	}
}

func TestRoundTripBothSuites(t *testing.T) {
	for _, suite := range []crypto.Suite{crypto.ECDSA(), crypto.SM()} {
		t.Run(suite.Name(), func(t *testing.T) {
			key, err := suite.GenerateKey()
			if err != nil {
				t.Fatal(err)
			}
			data, err := Encrypt(key, "correct horse", true)
			if err != nil {
				t.Fatal(err)
			}
			var m map[string]any
			if err := json.Unmarshal(data, &m); err != nil {
				t.Fatal(err)
			}
			wantSuite, hasSuite := m["suite"]
			if suite.Name() == crypto.NameSM && wantSuite != "sm" {
				t.Fatalf("SM file suite field = %v", wantSuite)
			}
			if suite.Name() == crypto.NameECDSA && hasSuite {
				t.Fatalf("ECDSA file must look like a geth file, has suite %v", wantSuite)
			}
			got, err := Decrypt(data, "correct horse")
			if err != nil {
				t.Fatal(err)
			}
			if got.SuiteName() != suite.Name() || got.Address() != key.Address() || hex.EncodeToString(got.Bytes()) != hex.EncodeToString(key.Bytes()) {
				t.Fatalf("round trip changed the key")
			}
			if _, err := Decrypt(data, "correct horse "); !errors.Is(err, ErrWrongPassword) {
				t.Fatalf("wrong password: err = %v", err)
			}
			info, err := Inspect(data)
			if err != nil || info.Address != key.Address() || info.Suite != suite.Name() {
				t.Fatalf("Inspect = %+v, %v", info, err)
			}
		})
	}
}

// Files we write decrypt with go-ethereum and the other way round; SM files
// are refused by go-ethereum instead of being misread as secp256k1 keys.
func TestInteroperatesWithGoEthereum(t *testing.T) {
	key, err := crypto.ECDSA().GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	ours, err := Encrypt(key, "pw", true)
	if err != nil {
		t.Fatal(err)
	}
	gk, err := gethks.DecryptKey(ours, "pw")
	if err != nil {
		t.Fatalf("go-ethereum cannot read our file: %v", err)
	}
	if gk.Address != key.Address() {
		t.Fatalf("go-ethereum read address %s, want %s", gk.Address.Hex(), key.Address().Hex())
	}

	ek, _ := crypto.ECDSAKey(key)
	theirs, err := gethks.EncryptKey(&gethks.Key{Id: uuid.New(), Address: key.Address(), PrivateKey: ek}, "pw2", gethks.LightScryptN, gethks.LightScryptP)
	if err != nil {
		t.Fatal(err)
	}
	back, err := Decrypt(theirs, "pw2")
	if err != nil {
		t.Fatalf("cannot read go-ethereum's file: %v", err)
	}
	if back.Address() != key.Address() {
		t.Fatal("address changed")
	}

	smKey, err := crypto.SM().GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	smFile, err := Encrypt(smKey, "pw", true)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := gethks.DecryptKey(smFile, "pw"); err == nil {
		t.Fatal("go-ethereum decrypted an SM key file as a secp256k1 key")
	}
}

// mutate applies f to the decoded JSON of a valid light ECDSA file.
func mutate(t *testing.T, f func(m map[string]any)) []byte {
	t.Helper()
	key, err := crypto.ECDSA().ParsePrivateKey(common.FromHex("0x7a28b5ba57c53603b0b07b56bba752f7784bf506fa95edc395f5cf6c7514fe9d"))
	if err != nil {
		t.Fatal(err)
	}
	data, err := Encrypt(key, "pw", true)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatal(err)
	}
	f(m)
	out, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func cryptoOf(m map[string]any) map[string]any { return m["crypto"].(map[string]any) }
func kdfOf(m map[string]any) map[string]any    { return cryptoOf(m)["kdfparams"].(map[string]any) }

func TestDecryptRejectsBadFiles(t *testing.T) {
	cases := []struct {
		name string
		data []byte
		want error
	}{
		{"not json", []byte("{"), ErrMalformed},
		{"empty", nil, ErrMalformed},
		{"huge", make([]byte, MaxFileSize+1), ErrTooLarge},
		{"version 1", mutate(t, func(m map[string]any) { m["version"] = 1 }), ErrUnsupported},
		{"version string", mutate(t, func(m map[string]any) { m["version"] = "3" }), ErrMalformed},
		{"unknown suite", mutate(t, func(m map[string]any) { m["suite"] = "rsa" }), ErrUnsupported},
		{"sm suite on an ecdsa file", mutate(t, func(m map[string]any) { m["suite"] = "sm" }), ErrWrongPassword},
		{"cipher", mutate(t, func(m map[string]any) { cryptoOf(m)["cipher"] = "aes-128-cbc" }), ErrUnsupported},
		{"short iv", mutate(t, func(m map[string]any) { cryptoOf(m)["cipherparams"] = map[string]any{"iv": "00"} }), ErrMalformed},
		{"long ciphertext", mutate(t, func(m map[string]any) { cryptoOf(m)["ciphertext"] = strings.Repeat("00", 33) }), ErrMalformed},
		{"bad mac hex", mutate(t, func(m map[string]any) { cryptoOf(m)["mac"] = "zz" }), ErrMalformed},
		{"kdf", mutate(t, func(m map[string]any) { cryptoOf(m)["kdf"] = "argon2" }), ErrUnsupported},
		{"no salt", mutate(t, func(m map[string]any) { delete(kdfOf(m), "salt") }), ErrWrongPassword},
		{"salt not a string", mutate(t, func(m map[string]any) { kdfOf(m)["salt"] = 7 }), ErrMalformed},
		{"n not a power of two", mutate(t, func(m map[string]any) { kdfOf(m)["n"] = 1000 }), ErrMalformed},
		{"n huge", mutate(t, func(m map[string]any) { kdfOf(m)["n"] = 1 << 40 }), ErrKDFTooCostly},
		{"r huge", mutate(t, func(m map[string]any) { kdfOf(m)["r"] = 1 << 40 }), ErrKDFTooCostly},
		{"p huge", mutate(t, func(m map[string]any) { kdfOf(m)["p"] = 1 << 30 }), ErrKDFTooCostly},
		{"n float", mutate(t, func(m map[string]any) { kdfOf(m)["n"] = 4096.5 }), ErrMalformed},
		{"dklen", mutate(t, func(m map[string]any) { kdfOf(m)["dklen"] = 64 }), ErrUnsupported},
		{"pbkdf2 prf", mutate(t, func(m map[string]any) {
			cryptoOf(m)["kdf"] = "pbkdf2"
			cryptoOf(m)["kdfparams"] = map[string]any{"c": 10, "dklen": 32, "prf": "hmac-md5", "salt": "00"}
		}), ErrUnsupported},
		{"pbkdf2 c huge", mutate(t, func(m map[string]any) {
			cryptoOf(m)["kdf"] = "pbkdf2"
			cryptoOf(m)["kdfparams"] = map[string]any{"c": 1 << 40, "dklen": 32, "prf": "hmac-sha256", "salt": "00"}
		}), ErrKDFTooCostly},
		{"address of another key", mutate(t, func(m map[string]any) { m["address"] = strings.Repeat("11", 20) }), ErrAddressMismatch},
		{"address bad hex", mutate(t, func(m map[string]any) { m["address"] = "xyz" }), ErrMalformed},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Decrypt(c.data, "pw")
			if !errors.Is(err, c.want) {
				t.Fatalf("err = %v, want %v", err, c.want)
			}
		})
	}
}

// A file whose ciphertext decrypts to an invalid scalar (here zero) is
// reported as malformed, not as a valid key.
func TestDecryptRejectsInvalidScalar(t *testing.T) {
	data := mutate(t, func(m map[string]any) { delete(m, "address") })
	// Recompute with a zero key: encrypt the zero scalar by hand through the
	// public API is impossible, so flip the ciphertext and fix the MAC by
	// re-deriving with the same parameters.
	var kj keyJSON
	if err := json.Unmarshal(data, &kj); err != nil {
		t.Fatal(err)
	}
	dk, err := deriveKey(&kj.Crypto, "pw", defaultLimits())
	if err != nil {
		t.Fatal(err)
	}
	iv, _ := hex.DecodeString(kj.Crypto.CipherParams.IV)
	ct, err := aesCTR(dk[:16], iv, make([]byte, 32))
	if err != nil {
		t.Fatal(err)
	}
	mac := crypto.ECDSA().Hash(dk[16:32], ct)
	kj.Crypto.CipherText = hex.EncodeToString(ct)
	kj.Crypto.MAC = hex.EncodeToString(mac[:])
	bad, _ := json.Marshal(&kj)
	if _, err := Decrypt(bad, "pw"); !errors.Is(err, ErrMalformed) {
		t.Fatalf("err = %v, want ErrMalformed", err)
	}
}
