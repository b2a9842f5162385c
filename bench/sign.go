package bench

import (
	"crypto/rand"
	"fmt"
	"math/big"

	"github.com/ethereum/go-ethereum/common"
	ethtypes "github.com/ethereum/go-ethereum/core/types"

	"github.com/gobcos/gobcos/crypto"
	"github.com/gobcos/gobcos/types"
)

// Fixed gas limits of the workloads' txs: enough for the costliest case (a
// first write to a fresh slot), with room, at gobcos' and go-ethereum's
// prices before Osaka. The setup raises those of contract calls, deploys
// and mints to the node's estimates with headroom (gas.go); a node without
// eth_estimateGas gets these.
const (
	gasTransfer = 21_000
	gasCall     = 90_000
	gasDeploy   = 1_500_000
	gasMint     = 8_000_000
)

// signer signs txs of one chain in one format.
type signer struct {
	chain  *Chain
	format string
	// dynamicFee selects EIP-1559 txs (else EIP-155 legacy) for FormatEth.
	dynamicFee bool
	// gasPrice is the legacy gas price or the EIP-1559 fee cap; tip the tip.
	gasPrice, tip *big.Int
	ethSigner     ethtypes.Signer
	blockLimit    uint64 // native txs
}

func newSigner(c *Chain, format string, dynamicFee bool) *signer {
	s := &signer{chain: c, format: format, dynamicFee: dynamicFee, tip: new(big.Int).Set(c.Tip)}
	// Twice the current price leaves room for base fee rises during a run.
	s.gasPrice = new(big.Int).Mul(c.GasPrice, big.NewInt(2))
	if dynamicFee {
		s.gasPrice.Add(s.gasPrice, s.tip)
	}
	s.ethSigner = ethtypes.LatestSignerForChainID(new(big.Int).SetUint64(c.ChainID))
	s.blockLimit = c.Head + c.BlockLimitWindow
	return s
}

// maxFee is the most one tx of gas gas can cost in fees.
func (s *signer) maxFee(gas uint64) *big.Int {
	return new(big.Int).Mul(s.gasPrice, new(big.Int).SetUint64(gas))
}

// sign builds and signs one tx: to nil creates a contract. nonce is the
// account nonce of Ethereum txs (native txs draw a random one).
func (s *signer) sign(key crypto.PrivateKey, nonce uint64, to *common.Address, value *big.Int, data []byte, gas uint64) (*types.Transaction, error) {
	if value == nil {
		value = new(big.Int)
	}
	if s.format == FormatNative {
		var nb [32]byte
		if _, err := rand.Read(nb[:]); err != nil {
			return nil, fmt.Errorf("bench: randomness: %w", err)
		}
		n := &types.NativeTx{
			ChainID: s.chain.ChainID, GroupID: s.chain.GroupID, BlockLimit: s.blockLimit,
			Nonce: new(big.Int).SetBytes(nb[:]), To: to, Value: value, Input: data, GasLimit: gas,
		}
		if err := n.Sign(s.chain.Suite, key.PublicKey(), key.Sign); err != nil {
			return nil, fmt.Errorf("bench: signing: %w", err)
		}
		return types.NewNativeTx(s.chain.Suite, n), nil
	}
	var inner ethtypes.TxData
	if s.dynamicFee {
		inner = &ethtypes.DynamicFeeTx{
			ChainID: new(big.Int).SetUint64(s.chain.ChainID), Nonce: nonce, GasTipCap: s.tip, GasFeeCap: s.gasPrice,
			Gas: gas, To: to, Value: value, Data: data,
		}
	} else {
		inner = &ethtypes.LegacyTx{Nonce: nonce, GasPrice: s.gasPrice, Gas: gas, To: to, Value: value, Data: data}
	}
	tx := ethtypes.NewTx(inner)
	h := s.ethSigner.Hash(tx)
	sig, err := key.Sign(h[:])
	if err != nil {
		return nil, fmt.Errorf("bench: signing: %w", err)
	}
	signed, err := tx.WithSignature(s.ethSigner, sig)
	if err != nil {
		return nil, fmt.Errorf("bench: signing: %w", err)
	}
	return types.NewEthTx(signed)
}

// opTx is the tx data of a planned op: recipient, value, input and gas.
func (c *contracts) opTx(op Op, value *big.Int) (*common.Address, *big.Int, []byte, uint64, error) {
	switch op.Kind {
	case KindTransfer:
		to := op.To
		return &to, value, nil, gasTransfer, nil
	case KindERC20:
		data, err := c.token.abi.Pack("transfer", op.To, big.NewInt(1))
		to := c.tokenAddr
		return &to, nil, data, c.callGas[KindERC20], err
	case KindKV:
		data, err := c.kv.abi.Pack("set", op.Key, new(big.Int).SetUint64(op.Seq+1))
		to := c.kvAddr
		return &to, nil, data, c.callGas[KindKV], err
	}
	return nil, nil, nil, 0, fmt.Errorf("%w: op kind %v", ErrConfig, op.Kind)
}
