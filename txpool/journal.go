package txpool

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"
	"sync"

	"github.com/gobcos/gobcos/types"
)

// The journal file: a magic line, then one record per transaction,
//
//	be32(len(tx)) be32(CRC-32C(tx)) tx
//
// where tx is the transaction's encoding (Transaction.Bytes). Records are
// only ever appended, one write per Append, until Rotate replaces the file
// with one holding the transactions it is given.
const journalMagic = "gobcos txpool journal v1\n"

const journalRecordHeader = 8

var journalCRC = crc32.MakeTable(crc32.Castagnoli)

// ErrJournalClosed is returned by a journal's methods after Close.
var ErrJournalClosed = errors.New("txpool: journal closed")

// Journal keeps transactions on disk so that a node killed before they
// were committed offers them again when it restarts: the node appends
// every transaction a client sends it once the pool accepted it, before
// answering, and from time to time rotates the file to what the pool
// still holds.
//
// An append reaches the operating system before Append returns, so it
// survives the process being killed; it is not synced to the disk, so a
// power cut may lose the appends since the last rotation (Rotate syncs).
// A Journal is safe for concurrent use.
type Journal struct {
	path string
	mu   sync.Mutex
	f    *os.File // nil once closed
	buf  []byte   // Append's encoding, used again
	n    int      // records appended since the file was opened or rotated
	size int64    // bytes of whole records in the file (its magic line included)
}

// JournalContents is what OpenJournal read from an existing journal.
type JournalContents struct {
	// Txs are the decoded transactions, in the order they were written.
	Txs []*types.Transaction
	// Undecodable counts whole records whose bytes are not a transaction.
	Undecodable int
	// TornBytes is how many bytes after the last whole record could not be
	// read (a record cut short by a crash, or damaged); they are dropped.
	TornBytes int64
	// MovedAside names where a file that is not a journal at all was
	// moved ("" if none was).
	MovedAside string
}

// OpenJournal opens the journal at path, creating it if it does not
// exist, and returns the transactions it holds, decoded with h. A record
// cut short or damaged ends the reading: the file is truncated after the
// last whole record, so appends made from now on follow it. A file whose
// first line is not a journal's is moved aside to path+".corrupt" and a
// new journal is begun.
func OpenJournal(path string, h types.Hasher) (*Journal, *JournalContents, error) {
	got := &JournalContents{}
	data, err := os.ReadFile(path)
	switch {
	case errors.Is(err, os.ErrNotExist):
		data = nil
	case err != nil:
		return nil, nil, fmt.Errorf("txpool: reading journal: %w", err)
	}
	end := int64(0)
	if len(data) > 0 && !bytes.HasPrefix([]byte(journalMagic), data) { // else empty, or its first write cut short
		if !bytes.HasPrefix(data, []byte(journalMagic)) {
			got.MovedAside = path + ".corrupt"
			if err := os.Rename(path, got.MovedAside); err != nil {
				return nil, nil, fmt.Errorf("txpool: moving aside %s, which is not a journal: %w", path, err)
			}
		} else {
			var ok int64
			got.Txs, got.Undecodable, ok = decodeJournal(data[len(journalMagic):], h)
			end = int64(len(journalMagic)) + ok
			got.TornBytes = int64(len(data)) - end
		}
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, nil, fmt.Errorf("txpool: opening journal: %w", err)
	}
	if end == 0 {
		_, err = f.WriteAt([]byte(journalMagic), 0)
		end = int64(len(journalMagic))
	}
	if err == nil {
		err = f.Truncate(end)
	}
	if err == nil {
		_, err = f.Seek(end, io.SeekStart)
	}
	if err != nil {
		f.Close()
		return nil, nil, fmt.Errorf("txpool: preparing journal: %w", err)
	}
	return &Journal{path: path, f: f, size: end}, got, nil
}

// decodeJournal decodes the records of data (the file after its magic
// line) up to the first one cut short or failing its checksum; it returns
// the transactions, the count of whole records that do not decode, and
// the length of data the whole records take.
func decodeJournal(data []byte, h types.Hasher) (txs []*types.Transaction, undecodable int, ok int64) {
	for {
		rest := data[ok:]
		if len(rest) < journalRecordHeader {
			return txs, undecodable, ok
		}
		size := binary.BigEndian.Uint32(rest)
		if size == 0 || size > types.MaxTxSize || int64(len(rest)-journalRecordHeader) < int64(size) {
			return txs, undecodable, ok
		}
		body := rest[journalRecordHeader : journalRecordHeader+int(size)]
		if crc32.Checksum(body, journalCRC) != binary.BigEndian.Uint32(rest[4:]) {
			return txs, undecodable, ok
		}
		ok += journalRecordHeader + int64(size)
		tx, err := types.DecodeTx(h, bytes.Clone(body))
		if err != nil {
			undecodable++
			continue
		}
		txs = append(txs, tx)
	}
}

// appendRecords appends the records of txs to dst.
func appendRecords(dst []byte, txs []*types.Transaction) []byte {
	for _, tx := range txs {
		b := tx.Bytes()
		dst = binary.BigEndian.AppendUint32(dst, uint32(len(b)))
		dst = binary.BigEndian.AppendUint32(dst, crc32.Checksum(b, journalCRC))
		dst = append(dst, b...)
	}
	return dst
}

// Append writes txs to the journal in one write. A write that fails is
// cut off the file again, so that later appends stay readable.
func (j *Journal) Append(txs []*types.Transaction) error {
	if len(txs) == 0 {
		return nil
	}
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.f == nil {
		return ErrJournalClosed
	}
	j.buf = appendRecords(j.buf[:0], txs)
	if _, err := j.f.Write(j.buf); err != nil {
		if j.f.Truncate(j.size) == nil {
			j.f.Seek(j.size, io.SeekStart)
		}
		return fmt.Errorf("txpool: appending to journal: %w", err)
	}
	j.n += len(txs)
	j.size += int64(len(j.buf))
	if cap(j.buf) > 1<<20 {
		j.buf = nil // a large batch's buffer is not kept
	}
	return nil
}

// Appended is how many transactions were appended since the journal was
// opened or last rotated.
func (j *Journal) Appended() int {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.n
}

// Rotate replaces the journal with one holding txs (what the pool holds
// now), written to a new file, synced and renamed into place: a crash
// leaves either the old journal or the new one. Appends wait for it, so
// a transaction appended while the caller read the pool is in the new
// file, or in the pool the caller read.
func (j *Journal) Rotate(txs []*types.Transaction) error {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.f == nil {
		return ErrJournalClosed
	}
	tmp := j.path + ".new"
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return fmt.Errorf("txpool: rotating journal: %w", err)
	}
	fail := func(err error) error {
		f.Close()
		os.Remove(tmp)
		return fmt.Errorf("txpool: rotating journal: %w", err)
	}
	w := bufio.NewWriterSize(f, 256<<10)
	w.WriteString(journalMagic)
	size := int64(len(journalMagic))
	var rec []byte
	for i := 0; i < len(txs); i += 256 {
		rec = appendRecords(rec[:0], txs[i:min(i+256, len(txs))])
		if _, err := w.Write(rec); err != nil {
			return fail(err)
		}
		size += int64(len(rec))
	}
	if err := w.Flush(); err != nil {
		return fail(err)
	}
	if err := f.Sync(); err != nil {
		return fail(err)
	}
	if err := os.Rename(tmp, j.path); err != nil {
		return fail(err)
	}
	syncDir(filepath.Dir(j.path))
	j.f.Close()
	j.f, j.n, j.size = f, 0, size
	return nil
}

// syncDir makes a rename in dir durable; where directories cannot be
// synced, the rename is left to the file system.
func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
}

// Close closes the journal file; the journal keeps what was written.
func (j *Journal) Close() error {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.f == nil {
		return nil
	}
	err := j.f.Close()
	j.f = nil
	return err
}
