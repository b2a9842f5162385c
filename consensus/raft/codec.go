package raft

import (
	"encoding/binary"
	"fmt"
	"math"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/rlp"

	"github.com/gobcos/gobcos/types"
)

// NodeID is the raft id of the node with public key pub: the first eight
// bytes of the key's hash, never 0 and never one of raft's local targets.
// Every node derives it alike, so a node added later knows its own id.
func NodeID(h types.Hasher, pub []byte) uint64 {
	sum := h.Hash(pub)
	id := binary.BigEndian.Uint64(sum[:8])
	if id == 0 {
		id = 1
	}
	if id >= math.MaxUint64-1 { // raft's local append and apply threads
		id -= 2
	}
	return id
}

// ExtraLen is the length of a Raft block's Header.Extra: the raft term
// and then the log index of the entry holding the block, 8 bytes each,
// big-endian.
const ExtraLen = 16

// EncodeExtra makes a Raft block's Header.Extra.
func EncodeExtra(term, index uint64) []byte {
	b := make([]byte, 0, ExtraLen)
	b = binary.BigEndian.AppendUint64(b, term)
	return binary.BigEndian.AppendUint64(b, index)
}

// DecodeExtra reads the raft term and log index of a Raft block.
func DecodeExtra(extra []byte) (term, index uint64, err error) {
	if len(extra) != ExtraLen {
		return 0, 0, fmt.Errorf("%w: extra has %d bytes, want %d", ErrBadEntry, len(extra), ExtraLen)
	}
	return binary.BigEndian.Uint64(extra[:8]), binary.BigEndian.Uint64(extra[8:]), nil
}

// entryBlock is the first byte of a normal entry holding a block.
const entryBlock = 0x01

type blockEntry struct {
	Header *types.Header
	Txs    [][]byte
}

func encodeBlockEntry(h *types.Header, txs [][]byte) []byte {
	b, err := rlp.EncodeToBytes(&blockEntry{Header: h, Txs: txs})
	if err != nil {
		panic(fmt.Sprintf("raft: encoding a block cannot fail: %v", err))
	}
	return append([]byte{entryBlock}, b...)
}

// decodeBlockEntry decodes a normal entry's data; ok is false for entries
// that hold no block (raft's empty entries).
func decodeBlockEntry(data []byte) (be *blockEntry, ok bool, err error) {
	if len(data) == 0 {
		return nil, false, nil
	}
	if data[0] != entryBlock {
		return nil, true, fmt.Errorf("%w: unknown entry kind %#x", ErrBadEntry, data[0])
	}
	be = new(blockEntry)
	if err := rlp.DecodeBytes(data[1:], be); err != nil {
		return nil, true, fmt.Errorf("%w: %v", ErrBadEntry, err)
	}
	if be.Header == nil {
		return nil, true, fmt.Errorf("%w: no header", ErrBadEntry)
	}
	return be, true, nil
}

// snapData is a snapshot's application data: the block the snapshot's
// log index covers, and the signer list at that index.
type snapData struct {
	Height  uint64
	Hash    common.Hash
	Signers [][]byte
}

func (s *snapData) encode() []byte {
	b, err := rlp.EncodeToBytes(s)
	if err != nil {
		panic(fmt.Sprintf("raft: encoding snapshot data cannot fail: %v", err))
	}
	return b
}

func decodeSnapData(b []byte) (*snapData, error) {
	s := new(snapData)
	if err := rlp.DecodeBytes(b, s); err != nil {
		return nil, fmt.Errorf("%w: snapshot data: %v", ErrPersist, err)
	}
	return s, nil
}
