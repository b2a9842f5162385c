package rpc

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"

	ethtypes "github.com/ethereum/go-ethereum/core/types"
)

// parseCallArgs decodes the transaction object of eth_call,
// eth_estimateGas and eth_createAccessList. Fee fields are checked for
// consistency but not used: gobcos charges no gas. Unknown fields are
// ignored, as go-ethereum does; blob and set-code fields are refused.
func parseCallArgs(raw json.RawMessage, chainID uint64) (CallMsg, error) {
	m, err := objectFields(raw)
	if err != nil {
		return CallMsg{}, err
	}
	for _, key := range []string{"blobVersionedHashes", "blobs", "commitments", "proofs", "maxFeePerBlobGas"} {
		if v, ok := m[key]; ok && !isNull(v) {
			return CallMsg{}, fmt.Errorf("field %q: blob transactions are not supported", key)
		}
	}
	if v, ok := m["authorizationList"]; ok && !isNull(v) {
		return CallMsg{}, errors.New(`field "authorizationList": EIP-7702 set-code transactions are not supported`)
	}
	var msg CallMsg
	if a, err := fieldAddress(m, "from"); err != nil {
		return CallMsg{}, err
	} else if a != nil {
		msg.From = *a
	}
	if msg.To, err = fieldAddress(m, "to"); err != nil {
		return CallMsg{}, err
	}
	if g, err := fieldUint64(m, "gas"); err != nil {
		return CallMsg{}, err
	} else if g != nil {
		msg.Gas = *g
	}
	if msg.Value, err = fieldBig(m, "value"); err != nil {
		return CallMsg{}, err
	}
	if msg.Value == nil {
		msg.Value = new(big.Int)
	}
	if _, err := fieldUint64(m, "nonce"); err != nil {
		return CallMsg{}, err
	}
	gasPrice, err := fieldBig(m, "gasPrice")
	if err != nil {
		return CallMsg{}, err
	}
	feeCap, err := fieldBig(m, "maxFeePerGas")
	if err != nil {
		return CallMsg{}, err
	}
	tipCap, err := fieldBig(m, "maxPriorityFeePerGas")
	if err != nil {
		return CallMsg{}, err
	}
	if gasPrice != nil && (feeCap != nil || tipCap != nil) {
		return CallMsg{}, errors.New("both gasPrice and (maxFeePerGas or maxPriorityFeePerGas) specified")
	}
	if feeCap != nil && tipCap != nil && feeCap.Cmp(tipCap) < 0 {
		return CallMsg{}, fmt.Errorf("maxFeePerGas (%v) < maxPriorityFeePerGas (%v)", feeCap, tipCap)
	}
	if id, err := fieldUint64(m, "chainId"); err != nil {
		return CallMsg{}, err
	} else if id != nil && *id != chainID {
		return CallMsg{}, fmt.Errorf(`field "chainId": %d does not match this chain's id %d`, *id, chainID)
	}
	if t, err := fieldUint64(m, "type"); err != nil {
		return CallMsg{}, err
	} else if t != nil {
		switch *t {
		case ethtypes.LegacyTxType, ethtypes.AccessListTxType, ethtypes.DynamicFeeTxType, 0x60:
		default:
			return CallMsg{}, fmt.Errorf(`field "type": transaction type %#x is not supported (use 0x0, 0x1, 0x2 or 0x60)`, *t)
		}
	}
	data, hasData, err := fieldBytes(m, "data")
	if err != nil {
		return CallMsg{}, err
	}
	input, hasInput, err := fieldBytes(m, "input")
	if err != nil {
		return CallMsg{}, err
	}
	switch {
	case hasData && hasInput && !bytes.Equal(data, input):
		return CallMsg{}, errors.New(`both "data" and "input" are set and not equal; use "input" to pass call data`)
	case hasInput:
		msg.Data = input
	default:
		msg.Data = data
	}
	if al, ok := m["accessList"]; ok && !isNull(al) {
		if jsonKind(al) != "an array" {
			return CallMsg{}, fmt.Errorf(`field "accessList": want an array, got %s`, jsonKind(al))
		}
		if err := json.Unmarshal(al, &msg.AccessList); err != nil {
			return CallMsg{}, fmt.Errorf(`field "accessList": %v`, err)
		}
	}
	return msg, nil
}

func (c *call) callArgs(i int, name string, chainID uint64) (CallMsg, error) {
	raw, err := c.required(i, name)
	if err != nil {
		return CallMsg{}, err
	}
	msg, err := parseCallArgs(raw, chainID)
	if err != nil {
		return CallMsg{}, argError(i, name, err)
	}
	return msg, nil
}
