package keystore

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/ethereum/go-ethereum/common"

	"github.com/gobcos/gobcos/crypto"
	"github.com/gobcos/gobcos/internal/fileutil"
)

// Account is one key file of a Store.
type Account struct {
	Address common.Address
	Suite   string // crypto.NameECDSA or crypto.NameSM
	Path    string // the key file
}

// Store is a directory of encrypted key files named
// UTC--<time>--<address>.json. Files written by go-ethereum (no .json
// suffix) are read as well. A Store holds no state besides its directory,
// so several Stores over one directory, or several processes, can share it.
type Store struct {
	dir   string
	light bool
}

// NewStore returns the store in dir; dir is created on the first Save.
// light selects the cheap scrypt parameters for new files (see Encrypt).
func NewStore(dir string, light bool) *Store { return &Store{dir: dir, light: light} }

// Dir is the store's directory.
func (s *Store) Dir() string { return s.dir }

// Save encrypts key with password into a new file and returns its account.
// It refuses a key whose address the store already holds.
func (s *Store) Save(key crypto.PrivateKey, password string) (Account, error) {
	if a, err := s.Find(key.Address()); err == nil {
		return Account{}, fmt.Errorf("%w: %s in %s", ErrAccountExists, key.Address().Hex(), a.Path)
	} else if !errors.Is(err, ErrNoSuchAccount) {
		return Account{}, err
	}
	data, err := Encrypt(key, password, s.light)
	if err != nil {
		return Account{}, err
	}
	if err := os.MkdirAll(s.dir, 0o700); err != nil {
		return Account{}, fmt.Errorf("keystore: creating %s: %w", s.dir, err)
	}
	path := filepath.Join(s.dir, FileName(key.Address(), time.Now()))
	if err := writeFileAtomic(path, data); err != nil {
		return Account{}, err
	}
	return Account{Address: key.Address(), Suite: key.SuiteName(), Path: path}, nil
}

// FileName is the name of a key file created at t: UTC--<time>--<address>.json,
// the go-ethereum convention plus a suffix.
func FileName(addr common.Address, t time.Time) string {
	return "UTC--" + t.UTC().Format("2006-01-02T15-04-05.000000000Z") + "--" + strings.ToLower(addr.Hex()[2:]) + ".json"
}

// List returns the accounts of the store, oldest file first. Files that are
// not key files (or declare no address) are skipped; a missing directory
// is an empty store.
func (s *Store) List() ([]Account, error) {
	entries, err := os.ReadDir(s.dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("keystore: reading %s: %w", s.dir, err)
	}
	var out []Account
	for _, e := range entries {
		name := e.Name()
		if !e.Type().IsRegular() || strings.HasPrefix(name, ".") || strings.HasSuffix(name, "~") {
			continue
		}
		path := filepath.Join(s.dir, name)
		data, err := readKeyFile(path)
		if err != nil {
			continue
		}
		info, err := Inspect(data)
		if err != nil {
			continue
		}
		out = append(out, Account{Address: info.Address, Suite: info.Suite, Path: path})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Path < out[j].Path })
	return out, nil
}

// Find returns the account holding addr.
func (s *Store) Find(addr common.Address) (Account, error) {
	accts, err := s.List()
	if err != nil {
		return Account{}, err
	}
	for _, a := range accts {
		if a.Address == addr {
			return a, nil
		}
	}
	return Account{}, fmt.Errorf("%w: %s in %s", ErrNoSuchAccount, addr.Hex(), s.dir)
}

// Load decrypts the key of addr.
func (s *Store) Load(addr common.Address, password string) (crypto.PrivateKey, error) {
	a, err := s.Find(addr)
	if err != nil {
		return nil, err
	}
	return LoadFile(a.Path, password)
}

// LoadFile decrypts the key file at path.
func LoadFile(path, password string) (crypto.PrivateKey, error) {
	data, err := readKeyFile(path)
	if err != nil {
		return nil, err
	}
	key, err := Decrypt(data, password)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return key, nil
}

func readKeyFile(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("keystore: %w", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, MaxFileSize+1))
	if err != nil {
		return nil, fmt.Errorf("keystore: reading %s: %w", path, err)
	}
	if len(data) > MaxFileSize {
		return nil, fmt.Errorf("%w: %s is larger than %d bytes", ErrTooLarge, path, MaxFileSize)
	}
	return data, nil
}

// writeFileAtomic writes data to a temporary file readable only by its
// owner, syncs it and renames it into place, so a crash never leaves a
// truncated key file under the final name.
func writeFileAtomic(path string, data []byte) error {
	if err := fileutil.WriteAtomic(path, data, 0o600); err != nil {
		return fmt.Errorf("keystore: writing %s: %w", path, err)
	}
	return nil
}
