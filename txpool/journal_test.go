package txpool

import (
	"bytes"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"os"
	"path/filepath"
	"testing"

	"github.com/gobcos/gobcos/crypto"
	"github.com/gobcos/gobcos/internal/cryptotest"
	"github.com/gobcos/gobcos/types"
)

// journalTxs returns n signed txs: Ethereum and native ones in turn.
func journalTxs(t testing.TB, n int) []*types.Transaction {
	t.Helper()
	suite := crypto.ECDSA()
	key := cryptotest.Key(t, suite)
	txs := make([]*types.Transaction, n)
	for i := range txs {
		if i%2 == 0 {
			txs[i] = ethTx(t, key, uint64(i))
		} else {
			txs[i] = nativeTx(t, suite, key, int64(i), 50)
		}
	}
	return txs
}

func openJournal(t testing.TB, path string) (*Journal, *JournalContents) {
	t.Helper()
	j, got, err := OpenJournal(path, crypto.ECDSA())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { j.Close() })
	return j, got
}

func mustAppend(t testing.TB, j *Journal, txs ...*types.Transaction) {
	t.Helper()
	if err := j.Append(txs); err != nil {
		t.Fatal(err)
	}
}

// checkSize checks j counts the bytes its file holds.
func checkSize(t testing.TB, j *Journal, path string) {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Size() != j.size {
		t.Fatalf("journal file of %d bytes, the journal counts %d", fi.Size(), j.size)
	}
}

// reopen closes j and opens its file again.
func reopen(t testing.TB, j *Journal, path string) (*Journal, *JournalContents) {
	t.Helper()
	if err := j.Close(); err != nil {
		t.Fatal(err)
	}
	return openJournal(t, path)
}

func TestJournalKeepsAppendsAcrossReopen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "journal")
	txs := journalTxs(t, 5)
	j, got := openJournal(t, path)
	if len(got.Txs) != 0 || got.TornBytes != 0 || got.MovedAside != "" {
		t.Fatalf("a new journal read %+v", got)
	}
	mustAppend(t, j, txs[:2]...)
	mustAppend(t, j, txs[2:]...)
	if j.Appended() != 5 {
		t.Fatalf("Appended = %d, want 5", j.Appended())
	}
	j, got = reopen(t, j, path)
	sameOrder(t, got.Txs, txs)
	if got.TornBytes != 0 || got.Undecodable != 0 {
		t.Fatalf("a whole journal read %+v", got)
	}
	for i, tx := range got.Txs {
		if !bytes.Equal(tx.Bytes(), txs[i].Bytes()) || tx.IsEthereum() != txs[i].IsEthereum() {
			t.Fatalf("tx %d read back differs from the one written", i)
		}
	}
	// Appends after a reopen follow the records read.
	more := journalTxs(t, 1)
	mustAppend(t, j, more...)
	_, got = reopen(t, j, path)
	sameOrder(t, got.Txs, append(txs, more...))
}

func TestJournalRotateKeepsOnlyWhatItIsGiven(t *testing.T) {
	path := filepath.Join(t.TempDir(), "journal")
	txs := journalTxs(t, 6)
	j, _ := openJournal(t, path)
	mustAppend(t, j, txs[:4]...)
	if err := j.Rotate([]*types.Transaction{txs[1], txs[3]}); err != nil {
		t.Fatal(err)
	}
	if j.Appended() != 0 {
		t.Fatalf("Appended after Rotate = %d, want 0", j.Appended())
	}
	checkSize(t, j, path)
	mustAppend(t, j, txs[5])
	checkSize(t, j, path)
	_, got := reopen(t, j, path)
	sameOrder(t, got.Txs, []*types.Transaction{txs[1], txs[3], txs[5]})
	if _, err := os.Stat(path + ".new"); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("Rotate left its temporary file: %v", err)
	}
}

// TestJournalTornTail: a node killed while writing a record leaves it cut
// short. The records before it are read, the torn one is dropped, and the
// appends made after reopening are read too (not stranded behind it).
func TestJournalTornTail(t *testing.T) {
	path := filepath.Join(t.TempDir(), "journal")
	txs := journalTxs(t, 4)
	j, _ := openJournal(t, path)
	mustAppend(t, j, txs[:3]...)
	j.Close()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(path, fi.Size()-5); err != nil {
		t.Fatal(err)
	}
	j, got := openJournal(t, path)
	sameOrder(t, got.Txs, txs[:2])
	if want := int64(journalRecordHeader + len(txs[2].Bytes()) - 5); got.TornBytes != want {
		t.Fatalf("TornBytes = %d, want %d", got.TornBytes, want)
	}
	checkSize(t, j, path)
	mustAppend(t, j, txs[3])
	checkSize(t, j, path)
	_, got = reopen(t, j, path)
	sameOrder(t, got.Txs, []*types.Transaction{txs[0], txs[1], txs[3]})
	if got.TornBytes != 0 {
		t.Fatalf("TornBytes after the torn record was cut = %d", got.TornBytes)
	}
}

// TestJournalDamage: a record failing its checksum ends the reading; a
// whole record whose bytes are not a tx is counted and skipped.
func TestJournalDamage(t *testing.T) {
	dir := t.TempDir()
	txs := journalTxs(t, 3)
	whole := append([]byte(journalMagic), appendRecords(nil, txs)...)
	second := len(journalMagic) + journalRecordHeader + len(txs[0].Bytes())

	damaged := bytes.Clone(whole)
	damaged[second+journalRecordHeader+3] ^= 0xff
	path := filepath.Join(dir, "damaged")
	if err := os.WriteFile(path, damaged, 0o600); err != nil {
		t.Fatal(err)
	}
	_, got := openJournal(t, path)
	sameOrder(t, got.Txs, txs[:1])
	if want := int64(len(whole) - second); got.TornBytes != want {
		t.Fatalf("TornBytes = %d, want %d", got.TornBytes, want)
	}

	junk := []byte("not a transaction")
	rec := binary.BigEndian.AppendUint32(nil, uint32(len(junk)))
	rec = binary.BigEndian.AppendUint32(rec, crc32.Checksum(junk, journalCRC))
	rec = append(rec, junk...)
	mixed := append(append(bytes.Clone(whole[:second]), rec...), whole[second:]...)
	path = filepath.Join(dir, "undecodable")
	if err := os.WriteFile(path, mixed, 0o600); err != nil {
		t.Fatal(err)
	}
	_, got = openJournal(t, path)
	sameOrder(t, got.Txs, txs)
	if got.Undecodable != 1 || got.TornBytes != 0 {
		t.Fatalf("read %+v, want 1 undecodable record and no torn bytes", got)
	}
}

// TestJournalNotAJournal: a file that is not a journal is moved aside,
// kept as it was, and a new journal begins.
func TestJournalNotAJournal(t *testing.T) {
	path := filepath.Join(t.TempDir(), "journal")
	if err := os.WriteFile(path, []byte("something else"), 0o600); err != nil {
		t.Fatal(err)
	}
	j, got := openJournal(t, path)
	if got.MovedAside != path+".corrupt" || len(got.Txs) != 0 {
		t.Fatalf("read %+v, want the file moved aside", got)
	}
	if b, err := os.ReadFile(got.MovedAside); err != nil || string(b) != "something else" {
		t.Fatalf("moved-aside file = %q, %v", b, err)
	}
	txs := journalTxs(t, 1)
	mustAppend(t, j, txs...)
	_, got = reopen(t, j, path)
	sameOrder(t, got.Txs, txs)
}

// TestJournalTornMagic: a journal whose first line was cut short holds
// nothing and is begun again, not moved aside.
func TestJournalTornMagic(t *testing.T) {
	path := filepath.Join(t.TempDir(), "journal")
	if err := os.WriteFile(path, []byte(journalMagic[:7]), 0o600); err != nil {
		t.Fatal(err)
	}
	j, got := openJournal(t, path)
	if got.MovedAside != "" || len(got.Txs) != 0 || got.TornBytes != 0 {
		t.Fatalf("read %+v", got)
	}
	txs := journalTxs(t, 2)
	mustAppend(t, j, txs...)
	_, got = reopen(t, j, path)
	sameOrder(t, got.Txs, txs)
}

func TestJournalClosed(t *testing.T) {
	path := filepath.Join(t.TempDir(), "journal")
	j, _ := openJournal(t, path)
	if err := j.Close(); err != nil {
		t.Fatal(err)
	}
	if err := j.Append(journalTxs(t, 1)); !errors.Is(err, ErrJournalClosed) {
		t.Fatalf("Append after Close = %v, want ErrJournalClosed", err)
	}
	if err := j.Rotate(nil); !errors.Is(err, ErrJournalClosed) {
		t.Fatalf("Rotate after Close = %v, want ErrJournalClosed", err)
	}
	if err := j.Close(); err != nil {
		t.Fatalf("a second Close = %v", err)
	}
}

// FuzzJournal opens journal files of any content. Opening never fails or
// panics on content, and whatever it read, an append made after it is
// read back after what it read.
func FuzzJournal(f *testing.F) {
	txs := journalTxs(f, 3)
	whole := append([]byte(journalMagic), appendRecords(nil, txs)...)
	f.Add(whole)
	f.Add(whole[:len(whole)-7])
	f.Add([]byte(journalMagic))
	f.Add([]byte{})
	f.Add([]byte("gobcos txpool journal v0\n"))
	f.Add(append([]byte(journalMagic), 0, 0, 0, 0, 0, 0, 0, 0))
	f.Add(append([]byte(journalMagic), 0xff, 0xff, 0xff, 0xff, 1, 2, 3, 4))
	extra := journalTxs(f, 1)[0]
	f.Fuzz(func(t *testing.T, data []byte) {
		path := filepath.Join(t.TempDir(), "journal")
		if err := os.WriteFile(path, data, 0o600); err != nil {
			t.Fatal(err)
		}
		j, got, err := OpenJournal(path, crypto.ECDSA())
		if err != nil {
			t.Fatalf("OpenJournal: %v", err)
		}
		defer j.Close()
		if got.TornBytes < 0 || got.TornBytes > int64(len(data)) {
			t.Fatalf("TornBytes = %d of a %d-byte file", got.TornBytes, len(data))
		}
		if err := j.Append([]*types.Transaction{extra}); err != nil {
			t.Fatal(err)
		}
		j.Close()
		j2, again, err := OpenJournal(path, crypto.ECDSA())
		if err != nil {
			t.Fatal(err)
		}
		defer j2.Close()
		sameOrder(t, again.Txs, append(got.Txs, extra))
		if again.TornBytes != 0 || again.Undecodable != got.Undecodable {
			t.Fatalf("reopened: %+v after %+v", again, got)
		}
	})
}

// BenchmarkJournalAppend appends the txs of a JSON-RPC batch of 50 (the
// load generator's) in one Append, as the node does before answering.
func BenchmarkJournalAppend(b *testing.B) {
	txs := journalTxs(b, 50)
	j, _ := openJournal(b, filepath.Join(b.TempDir(), "journal"))
	b.ReportAllocs()
	for b.Loop() {
		mustAppend(b, j, txs...)
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(txs)), "ns/tx")
}
