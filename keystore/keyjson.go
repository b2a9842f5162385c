package keystore

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/pbkdf2"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/ethereum/go-ethereum/common"
	"github.com/google/uuid"
	"golang.org/x/crypto/scrypt"

	"github.com/gobcos/gobcos/crypto"
)

// KDF parameters Encrypt uses. Standard matches go-ethereum's default
// (256 MiB, about a second); light matches its light setting (4 MiB).
const (
	StandardScryptN = 1 << 18
	StandardScryptP = 1
	LightScryptN    = 1 << 12
	LightScryptP    = 6

	scryptR     = 8
	dkLen       = 32
	keyLen      = 32
	version     = 3
	cipherName  = "aes-128-ctr"
	kdfScrypt   = "scrypt"
	kdfPBKDF2   = "pbkdf2"
	prfSHA256   = "hmac-sha256"
	suiteFieldS = "sm" // value of the "suite" field for SM2 keys

	// MaxFileSize bounds the size of a key file Decrypt and the Store read.
	MaxFileSize = 64 << 10
)

// limits bound what Decrypt accepts from a file.
type limits struct {
	scryptMem  int64 // 128 * N * r bytes
	scryptWork int64 // N * r * p
	pbkdf2Iter int
}

// defaultLimits admit every parameter set in common use (go-ethereum's
// standard N=2^18 r=8 p=1, the wiki vectors' N=2^18 r=1 p=8 and PBKDF2
// with 2^18 iterations) with a four- to sixteen-fold margin.
func defaultLimits() limits {
	return limits{scryptMem: 512 << 20, scryptWork: 1 << 23, pbkdf2Iter: 1 << 22}
}

// Info is what a key file says about itself without decrypting it.
type Info struct {
	Address common.Address
	Suite   string // crypto.NameECDSA or crypto.NameSM
	ID      string // the file's UUID, as written
}

type keyJSON struct {
	Address string     `json:"address,omitempty"`
	Crypto  cryptoJSON `json:"crypto"`
	ID      string     `json:"id"`
	Version int        `json:"version"`
	Suite   string     `json:"suite,omitempty"`
}

type cryptoJSON struct {
	Cipher       string          `json:"cipher"`
	CipherText   string          `json:"ciphertext"`
	CipherParams cipherParams    `json:"cipherparams"`
	KDF          string          `json:"kdf"`
	KDFParams    json.RawMessage `json:"kdfparams"`
	MAC          string          `json:"mac"`
}

type cipherParams struct {
	IV string `json:"iv"`
}

type scryptParams struct {
	N     int    `json:"n"`
	R     int    `json:"r"`
	P     int    `json:"p"`
	DKLen int    `json:"dklen"`
	Salt  string `json:"salt"`
}

type pbkdf2Params struct {
	C     int    `json:"c"`
	DKLen int    `json:"dklen"`
	PRF   string `json:"prf"`
	Salt  string `json:"salt"`
}

// Encrypt encrypts key with password into a version 3 key file. light
// selects the cheap scrypt parameters (for test chains and tests); otherwise
// decrypting costs about 256 MiB and a second, which is the point.
func Encrypt(key crypto.PrivateKey, password string, light bool) ([]byte, error) {
	suite, err := crypto.ByName(key.SuiteName())
	if err != nil {
		return nil, err
	}
	n, p := StandardScryptN, StandardScryptP
	if light {
		n, p = LightScryptN, LightScryptP
	}
	salt := make([]byte, 32)
	iv := make([]byte, aes.BlockSize)
	if _, err := rand.Read(salt); err != nil {
		return nil, fmt.Errorf("keystore: reading randomness: %w", err)
	}
	if _, err := rand.Read(iv); err != nil {
		return nil, fmt.Errorf("keystore: reading randomness: %w", err)
	}
	dk, err := scrypt.Key([]byte(password), salt, n, scryptR, p, dkLen)
	if err != nil {
		return nil, fmt.Errorf("keystore: scrypt: %w", err)
	}
	plain := key.Bytes()
	ct, err := aesCTR(dk[:16], iv, plain)
	clear(plain)
	if err != nil {
		return nil, err
	}
	mac := suite.Hash(dk[16:32], ct)
	params, err := json.Marshal(scryptParams{N: n, R: scryptR, P: p, DKLen: dkLen, Salt: hex.EncodeToString(salt)})
	if err != nil {
		return nil, err
	}
	id, err := uuid.NewRandom()
	if err != nil {
		return nil, fmt.Errorf("keystore: reading randomness: %w", err)
	}
	kj := keyJSON{
		Address: hex.EncodeToString(key.Address().Bytes()),
		Crypto: cryptoJSON{
			Cipher:       cipherName,
			CipherText:   hex.EncodeToString(ct),
			CipherParams: cipherParams{IV: hex.EncodeToString(iv)},
			KDF:          kdfScrypt,
			KDFParams:    params,
			MAC:          hex.EncodeToString(mac[:]),
		},
		ID:      id.String(),
		Version: version,
	}
	if suite.Name() == crypto.NameSM {
		kj.Suite = suiteFieldS
	}
	return json.Marshal(&kj)
}

// Decrypt decrypts a version 3 key file. A file without a "suite" field
// holds an ECDSA (secp256k1) key, as every Ethereum tool writes them. It
// returns an error wrapping ErrWrongPassword when the password is wrong,
// ErrMalformed, ErrUnsupported or ErrKDFTooCostly for files it cannot
// read, and ErrAddressMismatch when the key does not match the file's
// address. It never panics on any input.
func Decrypt(data []byte, password string) (crypto.PrivateKey, error) {
	return decrypt(data, password, defaultLimits())
}

// Inspect reads the address and suite a key file declares, without the
// password. Nothing it returns is authenticated until Decrypt succeeds.
func Inspect(data []byte) (Info, error) {
	kj, suite, err := parse(data)
	if err != nil {
		return Info{}, err
	}
	if kj.Address == "" {
		return Info{}, fmt.Errorf("%w: no address field", ErrMalformed)
	}
	addr, err := parseAddress(kj.Address)
	if err != nil {
		return Info{}, err
	}
	return Info{Address: addr, Suite: suite.Name(), ID: kj.ID}, nil
}

func decrypt(data []byte, password string, lim limits) (crypto.PrivateKey, error) {
	kj, suite, err := parse(data)
	if err != nil {
		return nil, err
	}
	c := &kj.Crypto
	if c.Cipher != cipherName {
		return nil, fmt.Errorf("%w: cipher %q (want %q)", ErrUnsupported, c.Cipher, cipherName)
	}
	iv, err := hexField("cipherparams.iv", c.CipherParams.IV, aes.BlockSize, aes.BlockSize)
	if err != nil {
		return nil, err
	}
	ct, err := hexField("ciphertext", c.CipherText, 1, keyLen)
	if err != nil {
		return nil, err
	}
	mac, err := hexField("mac", c.MAC, 32, 32)
	if err != nil {
		return nil, err
	}
	dk, err := deriveKey(c, password, lim)
	if err != nil {
		return nil, err
	}
	want := suite.Hash(dk[16:32], ct)
	if subtle.ConstantTimeCompare(want[:], mac) != 1 {
		return nil, ErrWrongPassword
	}
	plain, err := aesCTR(dk[:16], iv, ct)
	if err != nil {
		return nil, err
	}
	// Early tools dropped leading zero bytes of the scalar: restore them.
	raw := make([]byte, keyLen)
	copy(raw[keyLen-len(plain):], plain)
	clear(plain)
	key, err := suite.ParsePrivateKey(raw)
	clear(raw)
	if err != nil {
		return nil, fmt.Errorf("%w: decrypted bytes are not a valid %s key: %v", ErrMalformed, suite.Name(), err)
	}
	if kj.Address != "" {
		addr, err := parseAddress(kj.Address)
		if err != nil {
			return nil, err
		}
		if addr != key.Address() {
			return nil, fmt.Errorf("%w: file says %s, key is %s", ErrAddressMismatch, addr.Hex(), key.Address().Hex())
		}
	}
	return key, nil
}

// parse decodes the JSON and checks the fields that do not need the password.
func parse(data []byte) (*keyJSON, crypto.Suite, error) {
	if len(data) > MaxFileSize {
		return nil, nil, fmt.Errorf("%w: %d bytes, limit %d", ErrTooLarge, len(data), MaxFileSize)
	}
	var kj keyJSON
	if err := json.Unmarshal(data, &kj); err != nil {
		return nil, nil, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	if kj.Version != version {
		return nil, nil, fmt.Errorf("%w: version %d (only version 3 files are read)", ErrUnsupported, kj.Version)
	}
	var suite crypto.Suite
	switch kj.Suite {
	case "", crypto.NameECDSA:
		suite = crypto.ECDSA()
	case suiteFieldS:
		suite = crypto.SM()
	default:
		return nil, nil, fmt.Errorf("%w: suite %q (want %q or %q)", ErrUnsupported, kj.Suite, crypto.NameECDSA, crypto.NameSM)
	}
	return &kj, suite, nil
}

func deriveKey(c *cryptoJSON, password string, lim limits) ([]byte, error) {
	switch c.KDF {
	case kdfScrypt:
		var p scryptParams
		if err := json.Unmarshal(c.KDFParams, &p); err != nil {
			return nil, fmt.Errorf("%w: kdfparams: %v", ErrMalformed, err)
		}
		if p.DKLen != dkLen {
			return nil, fmt.Errorf("%w: dklen %d (want %d)", ErrUnsupported, p.DKLen, dkLen)
		}
		if p.N <= 1 || p.N&(p.N-1) != 0 || p.R <= 0 || p.P <= 0 {
			return nil, fmt.Errorf("%w: scrypt n=%d r=%d p=%d (n must be a power of two above 1, r and p positive)", ErrMalformed, p.N, p.R, p.P)
		}
		n, r, pp := int64(p.N), int64(p.R), int64(p.P)
		maxNR := lim.scryptMem / 128 // checked factor by factor first so no product overflows
		if n > maxNR || r > maxNR || n*r > maxNR || pp > lim.scryptWork || n*r*pp > lim.scryptWork {
			return nil, fmt.Errorf("%w: scrypt n=%d r=%d p=%d (limits: 128*n*r <= %d bytes, n*r*p <= %d)", ErrKDFTooCostly, p.N, p.R, p.P, lim.scryptMem, lim.scryptWork)
		}
		salt, err := hexField("kdfparams.salt", p.Salt, 0, 1024)
		if err != nil {
			return nil, err
		}
		dk, err := scrypt.Key([]byte(password), salt, p.N, p.R, p.P, dkLen)
		if err != nil {
			return nil, fmt.Errorf("%w: scrypt: %v", ErrMalformed, err)
		}
		return dk, nil
	case kdfPBKDF2:
		var p pbkdf2Params
		if err := json.Unmarshal(c.KDFParams, &p); err != nil {
			return nil, fmt.Errorf("%w: kdfparams: %v", ErrMalformed, err)
		}
		if p.DKLen != dkLen {
			return nil, fmt.Errorf("%w: dklen %d (want %d)", ErrUnsupported, p.DKLen, dkLen)
		}
		if p.PRF != prfSHA256 {
			return nil, fmt.Errorf("%w: pbkdf2 prf %q (want %q)", ErrUnsupported, p.PRF, prfSHA256)
		}
		if p.C <= 0 {
			return nil, fmt.Errorf("%w: pbkdf2 c=%d", ErrMalformed, p.C)
		}
		if p.C > lim.pbkdf2Iter {
			return nil, fmt.Errorf("%w: pbkdf2 c=%d (limit %d)", ErrKDFTooCostly, p.C, lim.pbkdf2Iter)
		}
		salt, err := hexField("kdfparams.salt", p.Salt, 0, 1024)
		if err != nil {
			return nil, err
		}
		dk, err := pbkdf2.Key(sha256.New, password, salt, p.C, dkLen)
		if err != nil {
			return nil, fmt.Errorf("%w: pbkdf2: %v", ErrMalformed, err)
		}
		return dk, nil
	}
	return nil, fmt.Errorf("%w: kdf %q (want %q or %q)", ErrUnsupported, c.KDF, kdfScrypt, kdfPBKDF2)
}

func aesCTR(key, iv, in []byte) ([]byte, error) {
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("keystore: aes: %w", err)
	}
	out := make([]byte, len(in))
	cipher.NewCTR(block, iv).XORKeyStream(out, in)
	return out, nil
}

// hexField decodes a hex string field whose decoded length must lie in [minLen, maxLen].
func hexField(name, s string, minLen, maxLen int) ([]byte, error) {
	s = strings.TrimPrefix(s, "0x")
	if len(s) > 2*maxLen {
		return nil, fmt.Errorf("%w: %s is longer than %d bytes", ErrMalformed, name, maxLen)
	}
	b, err := hex.DecodeString(s)
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrMalformed, name, err)
	}
	if len(b) < minLen {
		return nil, fmt.Errorf("%w: %s is %d bytes, want at least %d", ErrMalformed, name, len(b), minLen)
	}
	return b, nil
}

func parseAddress(s string) (common.Address, error) {
	b, err := hexField("address", s, common.AddressLength, common.AddressLength)
	if err != nil {
		return common.Address{}, err
	}
	return common.BytesToAddress(b), nil
}
