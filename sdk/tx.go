package sdk

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"strings"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	ethtypes "github.com/ethereum/go-ethereum/core/types"

	"github.com/gobcos/gobcos/crypto"
	"github.com/gobcos/gobcos/types"
)

// NewNativeTx builds and signs a native transaction with a fresh block
// limit and a random 256-bit nonce. to is nil to create a contract; value
// may be nil; gas 0 takes the chain's per-transaction gas limit.
func (c *Client) NewNativeTx(ctx context.Context, key crypto.PrivateKey, to *common.Address, value *big.Int, input []byte, gas uint64) (*types.Transaction, error) {
	if err := c.checkKey(key); err != nil {
		return nil, err
	}
	limit, err := c.BlockLimit(ctx)
	if err != nil {
		return nil, err
	}
	var nb [32]byte
	if _, err := rand.Read(nb[:]); err != nil {
		return nil, fmt.Errorf("sdk: reading randomness: %w", err)
	}
	n := &types.NativeTx{
		ChainID:    c.info.ChainID,
		GroupID:    c.info.GroupID,
		BlockLimit: limit,
		Nonce:      new(big.Int).SetBytes(nb[:]),
		Value:      new(big.Int),
		Input:      common.CopyBytes(input),
		GasLimit:   gas,
	}
	if to != nil {
		a := *to
		n.To = &a
	}
	if value != nil {
		if value.Sign() < 0 {
			return nil, fmt.Errorf("sdk: negative value %v", value)
		}
		n.Value.Set(value)
	}
	if err := n.Sign(c.info.Suite, key.PublicKey(), key.Sign); err != nil {
		return nil, fmt.Errorf("sdk: signing: %w", err)
	}
	return types.NewNativeTx(c.info.Suite, n), nil
}

func (c *Client) checkKey(key crypto.PrivateKey) error {
	if key == nil {
		return fmt.Errorf("%w: nil key", ErrWrongSuite)
	}
	if key.SuiteName() != c.info.Suite.Name() {
		return fmt.Errorf("%w: key is %s, chain is %s", ErrWrongSuite, key.SuiteName(), c.info.Suite.Name())
	}
	return nil
}

// SendTransaction sends a signed transaction (bcos_sendTransaction for
// native ones, eth_sendRawTransaction for Ethereum ones) and returns its
// hash. A rejected block limit comes back wrapping ErrBlockLimit: the
// transaction cannot be re-signed here, so build a new one (or use
// SendNative, which does).
func (c *Client) SendTransaction(ctx context.Context, tx *types.Transaction) (common.Hash, error) {
	if tx.IsEthereum() {
		var h common.Hash
		if err := c.rc.CallContext(ctx, &h, "eth_sendRawTransaction", hexutil.Bytes(tx.Bytes())); err != nil {
			return common.Hash{}, classifySendError(err)
		}
		if h != tx.Hash() {
			return common.Hash{}, fmt.Errorf("%w: node %s, client %s", ErrHashMismatch, h, tx.Hash())
		}
		return h, nil
	}
	if _, err := c.sendNative(ctx, tx, false); err != nil {
		return common.Hash{}, err
	}
	return tx.Hash(), nil
}

// sendNative sends a native tx with bcos_sendTransaction. With wait the
// node may answer with the receipt, which is returned; otherwise the
// receipt is nil.
func (c *Client) sendNative(ctx context.Context, tx *types.Transaction, wait bool) (*Receipt, error) {
	var res json.RawMessage
	if err := c.rc.CallContext(ctx, &res, "bcos_sendTransaction", hexutil.Bytes(tx.Bytes()), wait); err != nil {
		return nil, classifySendError(err)
	}
	res = bytes.TrimSpace(res)
	switch {
	case len(res) == 0 || bytes.Equal(res, []byte("null")):
		return nil, nil
	case res[0] == '"':
		var h common.Hash
		if err := json.Unmarshal(res, &h); err != nil {
			return nil, fmt.Errorf("sdk: bcos_sendTransaction answered %s: %w", res, err)
		}
		if h != tx.Hash() {
			return nil, fmt.Errorf("%w: node %s, client %s", ErrHashMismatch, h, tx.Hash())
		}
		return nil, nil
	default:
		r := new(Receipt)
		if err := json.Unmarshal(res, r); err != nil {
			return nil, fmt.Errorf("sdk: bcos_sendTransaction receipt: %w", err)
		}
		if r.TxHash != tx.Hash() {
			return nil, fmt.Errorf("%w: node %s, client %s", ErrHashMismatch, r.TxHash, tx.Hash())
		}
		return r, nil
	}
}

// classifySendError marks the node's block-limit rejections with ErrBlockLimit.
func classifySendError(err error) error {
	if strings.Contains(strings.ToLower(err.Error()), "block limit") {
		return fmt.Errorf("%w: %w", ErrBlockLimit, err)
	}
	return fmt.Errorf("sdk: sending transaction: %w", err)
}

// submitNative signs and sends a native tx; when the node rejects the block
// limit it re-reads the height, re-signs and resends once.
func (c *Client) submitNative(ctx context.Context, key crypto.PrivateKey, to *common.Address, value *big.Int, input []byte, gas uint64, wait bool) (*types.Transaction, *Receipt, error) {
	for attempt := 0; ; attempt++ {
		tx, err := c.NewNativeTx(ctx, key, to, value, input, gas)
		if err != nil {
			return nil, nil, err
		}
		r, err := c.sendNative(ctx, tx, wait)
		if err == nil {
			return tx, r, nil
		}
		if attempt > 0 || !errors.Is(err, ErrBlockLimit) {
			return nil, nil, err
		}
		c.log.Info("node rejected the block limit; refreshing the height and re-signing", "blockLimit", tx.Native().BlockLimit, "err", err)
		if _, err := c.BlockNumber(ctx); err != nil {
			return nil, nil, err
		}
	}
}

// SendNative signs and sends a native transaction and returns its hash
// without waiting for the receipt. See NewNativeTx for the arguments.
func (c *Client) SendNative(ctx context.Context, key crypto.PrivateKey, to *common.Address, value *big.Int, input []byte, gas uint64) (common.Hash, error) {
	tx, _, err := c.submitNative(ctx, key, to, value, input, gas, false)
	if err != nil {
		return common.Hash{}, err
	}
	return tx.Hash(), nil
}

// SendNativeWait signs and sends a native transaction and waits for its
// receipt. A failed execution returns the receipt and a *RevertError.
func (c *Client) SendNativeWait(ctx context.Context, key crypto.PrivateKey, to *common.Address, value *big.Int, input []byte, gas uint64) (*Receipt, error) {
	return c.sendWait(ctx, key, to, value, input, gas, false, nil)
}

// sendWait sends a native (or, with eth, an Ethereum) transaction and
// waits for its receipt; failures are decoded with abi when given.
func (c *Client) sendWait(ctx context.Context, key crypto.PrivateKey, to *common.Address, value *big.Int, input []byte, gas uint64, eth bool, abiErrs errorABI) (*Receipt, error) {
	var r *Receipt
	if eth {
		h, err := c.SendEthTransaction(ctx, key, to, value, input, gas)
		if err != nil {
			return nil, err
		}
		if r, err = c.WaitReceipt(ctx, h); err != nil {
			return nil, err
		}
	} else {
		tx, got, err := c.submitNative(ctx, key, to, value, input, gas, true)
		if err != nil {
			return nil, err
		}
		r = got
		if r == nil {
			if r, err = c.waitReceipt(ctx, tx.Hash(), tx.Native().BlockLimit); err != nil {
				return nil, err
			}
		}
	}
	if !r.Succeeded() {
		return r, newRevertError(abiErrs, r.Output, r.ErrorMessage)
	}
	return r, nil
}

// SendEthTransaction signs a legacy EIP-155 Ethereum transaction with gas
// price zero and the pending account nonce, and sends it. It works on ECDSA
// chains only. gas 0 asks the node to estimate. Concurrent sends from one
// account may race for a nonce: serialise them per account.
func (c *Client) SendEthTransaction(ctx context.Context, key crypto.PrivateKey, to *common.Address, value *big.Int, input []byte, gas uint64) (common.Hash, error) {
	if c.info.Suite.Name() != crypto.NameECDSA {
		return common.Hash{}, ErrEthTxUnsupported
	}
	if err := c.checkKey(key); err != nil {
		return common.Hash{}, err
	}
	ek, ok := crypto.ECDSAKey(key)
	if !ok {
		return common.Hash{}, fmt.Errorf("%w: not a secp256k1 key", ErrWrongSuite)
	}
	if value == nil {
		value = new(big.Int)
	}
	var nonce hexutil.Uint64
	if err := c.rc.CallContext(ctx, &nonce, "eth_getTransactionCount", key.Address(), "pending"); err != nil {
		return common.Hash{}, fmt.Errorf("sdk: eth_getTransactionCount: %w", err)
	}
	if gas == 0 {
		var est hexutil.Uint64
		if err := c.rc.CallContext(ctx, &est, "eth_estimateGas", callArgs(key.Address(), to, value, input)); err != nil {
			if rerr, ok := revertFromRPC(err, nil); ok {
				return common.Hash{}, rerr
			}
			return common.Hash{}, fmt.Errorf("sdk: eth_estimateGas: %w", err)
		}
		gas = uint64(est)
	}
	etx := ethtypes.NewTx(&ethtypes.LegacyTx{Nonce: uint64(nonce), GasPrice: new(big.Int), Gas: gas, To: to, Value: value, Data: input})
	signed, err := ethtypes.SignTx(etx, ethtypes.NewEIP155Signer(new(big.Int).SetUint64(c.info.ChainID)), ek)
	if err != nil {
		return common.Hash{}, fmt.Errorf("sdk: signing: %w", err)
	}
	tx, err := types.NewEthTx(signed)
	if err != nil {
		return common.Hash{}, err
	}
	return c.SendTransaction(ctx, tx)
}

// callArgs is the JSON object of eth_call and eth_estimateGas.
func callArgs(from common.Address, to *common.Address, value *big.Int, input []byte) map[string]any {
	// Both spellings of the input: "input" is the current one, "data" the
	// one older servers read; servers accept both when they agree.
	m := map[string]any{"from": from, "input": hexutil.Bytes(input), "data": hexutil.Bytes(input)}
	if to != nil {
		m["to"] = *to
	}
	if value != nil && value.Sign() > 0 {
		m["value"] = (*hexutil.Big)(value)
	}
	return m
}
