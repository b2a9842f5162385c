package rpc

import (
	"encoding/hex"
	"strconv"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
)

// Encoders for the most frequent answers, written out field by field:
// the bytes are exactly those json.Marshal gives (the tests compare them),
// without reflection and without a MarshalText allocation per hex field.
// A block's receipts are fetched once per block by every client that
// tracks its txs, at about a kilobyte per tx.

// appendResult appends the encoding of result when it is of a type
// encoded here; ok is false otherwise.
func appendResult(dst []byte, result any) (out []byte, ok bool) {
	switch r := result.(type) {
	case common.Hash:
		return appendHash(dst, r), true
	case *rpcReceipt:
		if r == nil {
			return append(dst, "null"...), true
		}
		return appendReceipt(dst, r), true
	case []*rpcReceipt:
		if r == nil {
			return append(dst, "null"...), true
		}
		dst = append(dst, '[')
		for i, rr := range r {
			if i > 0 {
				dst = append(dst, ',')
			}
			if rr == nil {
				dst = append(dst, "null"...)
			} else {
				dst = appendReceipt(dst, rr)
			}
		}
		return append(dst, ']'), true
	}
	return dst, false
}

// receiptsSize is about the size of the receipts' encoding, a little
// over rather than under: an answer's buffer is made that size at once,
// and a block's receipts run to megabytes, which a buffer grown as they
// are appended would copy over and over.
func receiptsSize(rs ...*rpcReceipt) int {
	n := 2
	for _, r := range rs {
		n += 1100 // a receipt without logs is about 1 KB
		if r == nil {
			continue
		}
		for _, l := range r.Logs {
			if l != nil { // about 400 bytes of fields, a topic's 69, the data's hex
				n += 400 + 70*len(l.Topics) + 2*len(l.Data)
			}
		}
	}
	return n
}

func appendHexBytes(dst, b []byte) []byte {
	dst = append(dst, '"', '0', 'x')
	dst = hex.AppendEncode(dst, b)
	return append(dst, '"')
}

func appendHash(dst []byte, h common.Hash) []byte { return appendHexBytes(dst, h[:]) }

func appendAddressPtr(dst []byte, a *common.Address) []byte {
	if a == nil {
		return append(dst, "null"...)
	}
	return appendHexBytes(dst, a[:])
}

func appendUint(dst []byte, v hexutil.Uint64) []byte {
	dst = append(dst, '"', '0', 'x')
	dst = strconv.AppendUint(dst, uint64(v), 16)
	return append(dst, '"')
}

func appendReceipt(dst []byte, r *rpcReceipt) []byte {
	dst = append(dst, `{"type":`...)
	dst = appendUint(dst, r.Type)
	dst = append(dst, `,"status":`...)
	dst = appendUint(dst, r.Status)
	dst = append(dst, `,"cumulativeGasUsed":`...)
	dst = appendUint(dst, r.CumulativeGasUsed)
	dst = append(dst, `,"logsBloom":`...)
	dst = appendHexBytes(dst, r.LogsBloom[:])
	dst = append(dst, `,"logs":`...)
	if r.Logs == nil {
		dst = append(dst, "null"...)
	} else {
		dst = append(dst, '[')
		for i, l := range r.Logs {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = appendLog(dst, l)
		}
		dst = append(dst, ']')
	}
	dst = append(dst, `,"transactionHash":`...)
	dst = appendHash(dst, r.TransactionHash)
	dst = append(dst, `,"transactionIndex":`...)
	dst = appendUint(dst, r.TransactionIndex)
	dst = append(dst, `,"blockHash":`...)
	dst = appendHash(dst, r.BlockHash)
	dst = append(dst, `,"blockNumber":`...)
	dst = appendUint(dst, r.BlockNumber)
	dst = append(dst, `,"from":`...)
	dst = appendHexBytes(dst, r.From[:])
	dst = append(dst, `,"to":`...)
	dst = appendAddressPtr(dst, r.To)
	dst = append(dst, `,"gasUsed":`...)
	dst = appendUint(dst, r.GasUsed)
	dst = append(dst, `,"effectiveGasPrice":`...)
	dst = appendUint(dst, r.EffectiveGasPrice)
	dst = append(dst, `,"contractAddress":`...)
	dst = appendAddressPtr(dst, r.ContractAddress)
	return append(dst, '}')
}

func appendLog(dst []byte, l *rpcLog) []byte {
	if l == nil {
		return append(dst, "null"...)
	}
	dst = append(dst, `{"address":`...)
	dst = appendHexBytes(dst, l.Address[:])
	dst = append(dst, `,"topics":`...)
	if l.Topics == nil {
		dst = append(dst, "null"...)
	} else {
		dst = append(dst, '[')
		for i, t := range l.Topics {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = appendHash(dst, t)
		}
		dst = append(dst, ']')
	}
	dst = append(dst, `,"data":`...)
	dst = appendHexBytes(dst, l.Data)
	dst = append(dst, `,"blockNumber":`...)
	dst = appendUint(dst, l.BlockNumber)
	dst = append(dst, `,"blockHash":`...)
	dst = appendHash(dst, l.BlockHash)
	dst = append(dst, `,"blockTimestamp":`...)
	dst = appendUint(dst, l.BlockTimestamp)
	dst = append(dst, `,"transactionHash":`...)
	dst = appendHash(dst, l.TransactionHash)
	dst = append(dst, `,"transactionIndex":`...)
	dst = appendUint(dst, l.TransactionIndex)
	dst = append(dst, `,"logIndex":`...)
	dst = appendUint(dst, l.LogIndex)
	dst = append(dst, `,"removed":`...)
	dst = strconv.AppendBool(dst, l.Removed)
	return append(dst, '}')
}
