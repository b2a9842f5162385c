package keystore

import (
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/gobcos/gobcos/crypto"
)

func TestStoreSaveListLoad(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "ks")
	s := NewStore(dir, true)
	if accts, err := s.List(); err != nil || len(accts) != 0 {
		t.Fatalf("List of a missing dir = %v, %v", accts, err)
	}
	ek, _ := crypto.ECDSA().GenerateKey()
	sk, _ := crypto.SM().GenerateKey()
	a1, err := s.Save(ek, "one")
	if err != nil {
		t.Fatal(err)
	}
	a2, err := s.Save(sk, "two")
	if err != nil {
		t.Fatal(err)
	}
	name := regexp.MustCompile(`^UTC--\d{4}-\d\d-\d\dT\d\d-\d\d-\d\d\.\d{9}Z--[0-9a-f]{40}\.json$`)
	for _, a := range []Account{a1, a2} {
		if !name.MatchString(filepath.Base(a.Path)) {
			t.Errorf("file name %s does not follow UTC--<time>--<address>.json", filepath.Base(a.Path))
		}
		if !strings.Contains(a.Path, strings.ToLower(a.Address.Hex()[2:])) {
			t.Errorf("file name %s does not carry the address", a.Path)
		}
		st, err := os.Stat(a.Path)
		if err != nil {
			t.Fatal(err)
		}
		if st.Mode().Perm() != 0o600 {
			t.Errorf("%s has mode %v, want 0600", a.Path, st.Mode().Perm())
		}
	}
	if _, err := s.Save(ek, "again"); !errors.Is(err, ErrAccountExists) {
		t.Fatalf("duplicate Save: err = %v", err)
	}

	// Junk that List must skip, and a go-ethereum file it must read.
	os.WriteFile(filepath.Join(dir, "garbage"), []byte("not a key"), 0o600)
	os.WriteFile(filepath.Join(dir, ".hidden"), []byte("{}"), 0o600)
	os.Mkdir(filepath.Join(dir, "sub"), 0o700)
	geth, err := os.ReadFile("testdata/geth/aaa")
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, "UTC--2016-03-22T12-57-55.920751759Z--f466859ead1932d743d622cb74fc058882e8648a"), geth, 0o600)

	accts, err := s.List()
	if err != nil {
		t.Fatal(err)
	}
	if len(accts) != 3 {
		t.Fatalf("List = %d accounts, want 3: %+v", len(accts), accts)
	}
	suites := map[string]string{}
	for _, a := range accts {
		suites[a.Address.Hex()] = a.Suite
	}
	if suites[ek.Address().Hex()] != crypto.NameECDSA || suites[sk.Address().Hex()] != crypto.NameSM {
		t.Fatalf("suites = %v", suites)
	}

	got, err := s.Load(sk.Address(), "two")
	if err != nil {
		t.Fatal(err)
	}
	if got.SuiteName() != crypto.NameSM || got.Address() != sk.Address() {
		t.Fatal("Load returned another key")
	}
	if _, err := s.Load(sk.Address(), "one"); !errors.Is(err, ErrWrongPassword) {
		t.Fatalf("wrong password: err = %v", err)
	}
	other, _ := crypto.ECDSA().GenerateKey()
	if _, err := s.Load(other.Address(), "x"); !errors.Is(err, ErrNoSuchAccount) {
		t.Fatalf("unknown address: err = %v", err)
	}
	if _, err := s.Load(accts[0].Address, "foobar"); err != nil {
		t.Fatalf("go-ethereum file: %v", err)
	}
	// No temporary files are left behind.
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), ".tmp-") {
			t.Errorf("temporary file %s left behind", e.Name())
		}
	}
}

func TestLoadFileTooLarge(t *testing.T) {
	p := filepath.Join(t.TempDir(), "big")
	if err := os.WriteFile(p, make([]byte, MaxFileSize+10), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadFile(p, ""); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("err = %v", err)
	}
}
