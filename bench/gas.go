package bench

import (
	"context"
	"errors"
	"fmt"
	"math/big"
	"strings"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/ethereum/go-ethereum/rpc"
)

// Gas estimation of the setup txs and of the workload's calls: nodes price
// gas differently (go-ethereum's later forks charge more for new storage),
// so the gas limits come from the node's eth_estimateGas, with headroom,
// and never below the fixed limits of sign.go. A node without
// eth_estimateGas gets the fixed limits.
const (
	// gasHeadroomNum/gasHeadroomDen is the factor over an estimate.
	gasHeadroomNum, gasHeadroomDen = 5, 4
	// maxTxGas is the largest gas limit a tx may carry on Ethereum since
	// Osaka (EIP-7825); a node may also bound it by its block gas limit.
	maxTxGas = 1 << 24
)

// txFeeCap is the most fees a tx sent to go-ethereum (and clients that
// follow it) may cost: its default --rpc.txfeecap, 1 ether. The node does
// not tell its setting.
var txFeeCap = new(big.Int).Exp(big.NewInt(10), big.NewInt(18), nil)

// estimator asks the node for gas estimates; once the node has shown it
// does not answer them, it returns the fixed limits.
type estimator struct {
	r *runner
	// unsupported: the node has no eth_estimateGas.
	unsupported bool
}

// errNoEstimate reports that the node does not answer eth_estimateGas.
var errNoEstimate = errors.New("no eth_estimateGas")

// estimate returns the node's estimate for a tx from from to to (nil
// creates a contract) with value and data, or errNoEstimate.
func (e *estimator) estimate(ctx context.Context, from common.Address, to *common.Address, value *big.Int, data []byte) (uint64, error) {
	if e.unsupported {
		return 0, errNoEstimate
	}
	arg := map[string]any{"from": from}
	if to != nil {
		arg["to"] = to
	}
	if value != nil && value.Sign() > 0 {
		arg["value"] = (*hexutil.Big)(value)
	}
	if len(data) > 0 {
		arg["input"] = hexutil.Bytes(data)
	}
	var gas hexutil.Uint64
	err := e.r.conns[0].CallContext(ctx, &gas, "eth_estimateGas", arg)
	if err != nil && isMethodMissing(err) {
		e.unsupported = true
		e.r.log.Warn("the node does not answer eth_estimateGas: using fixed gas limits, which may be too low for its gas prices", "err", err)
		return 0, errNoEstimate
	}
	return uint64(gas), err
}

// withHeadroom returns the gas limit for a tx the node estimates at est:
// with headroom, never below fixed.
func withHeadroom(est, fixed uint64) uint64 {
	return max(fixed, est*gasHeadroomNum/gasHeadroomDen)
}

// isMethodMissing reports whether err is a node's answer that it does not
// know the method.
func isMethodMissing(err error) bool {
	var re rpc.Error
	if errors.As(err, &re) && re.ErrorCode() == -32601 {
		return true
	}
	msg := strings.ToLower(err.Error())
	return strings.Contains(msg, "method not found") || strings.Contains(msg, "does not exist") || strings.Contains(msg, "not supported")
}

// gasFor returns the gas limit of a setup tx from from: the node's
// estimate with headroom, or fixed when the node gives none.
func (e *estimator) gasFor(ctx context.Context, what string, from common.Address, t setupTx, fixed uint64) (uint64, error) {
	est, err := e.estimate(ctx, from, t.to, t.value, t.data)
	switch {
	case errors.Is(err, errNoEstimate):
		return fixed, nil
	case err != nil:
		return 0, fmt.Errorf("%w: %s: eth_estimateGas: %v", ErrSetup, what, err)
	}
	return withHeadroom(est, fixed), nil
}

// txGasCap returns the most gas one tx may carry on the node: the lowest
// of EIP-7825's cap, the latest block's gas limit and what keeps the tx's
// fees at the bench's gas price within txFeeCap.
func (r *runner) txGasCap(ctx context.Context) uint64 {
	limit := uint64(maxTxGas)
	var head struct {
		GasLimit hexutil.Uint64 `json:"gasLimit"`
	}
	if err := r.conns[0].CallContext(ctx, &head, "eth_getBlockByNumber", "latest", false); err == nil && head.GasLimit > 0 {
		limit = min(limit, uint64(head.GasLimit))
	}
	if price := r.sg.maxFee(1); price.Sign() > 0 {
		if byFee := new(big.Int).Div(txFeeCap, price); byFee.IsUint64() {
			limit = min(limit, byFee.Uint64())
		}
	}
	return limit
}

// address is the account the setup txs come from.
func (p *payer) address() common.Address {
	if p.key != nil {
		return p.key.Address()
	}
	return p.account
}

// mintPlan chooses how many accounts one mintBatch call funds and its gas
// limit: at most mintBatchSize, as many as keep the estimate of a full
// batch, with headroom, under the node's per-tx cap.
func (r *runner) mintPlan(ctx context.Context, e *estimator, from common.Address) (batch int, gas uint64, err error) {
	limit := r.txGasCap(ctx)
	k := min(mintBatchSize, len(r.keys))
	for {
		data, err := r.mintData(0, k)
		if err != nil {
			return 0, 0, err
		}
		est, err := e.estimate(ctx, from, &r.ct.tokenAddr, nil, data)
		switch {
		case errors.Is(err, errNoEstimate):
			return mintBatchSize, gasMint, nil
		case err != nil && k == 1:
			return 0, 0, fmt.Errorf("%w: minting tokens: eth_estimateGas of a mint to one account: %v", ErrSetup, err)
		case err != nil:
			// Likely over the node's cap: try half.
			k /= 2
			continue
		}
		need := est * gasHeadroomNum / gasHeadroomDen
		if need <= limit {
			return k, min(limit, max(gasMint, need)), nil
		}
		if k == 1 {
			return 0, 0, fmt.Errorf("%w: minting tokens: a mint to one account needs %d gas, over the per-tx limit %d (the lowest of 2^24, the block gas limit and what keeps its fees within 1 ether at the gas price %v wei)", ErrSetup, need, limit, r.sg.maxFee(1))
		}
		// Scale down by the ratio, at least by one.
		k = min(k-1, max(1, int(uint64(k)*limit/need)))
	}
}

// mintData is the input of a mintBatch call to the keys from start on,
// count of them: enough tokens for every planned transfer of 1.
func (r *runner) mintData(start, count int) ([]byte, error) {
	to := make([]common.Address, count)
	for i, k := range r.keys[start : start+count] {
		to[i] = k.Address()
	}
	return r.ct.token.abi.Pack("mintBatch", to, big.NewInt(1<<40))
}

// estimateCalls sets the gas of the workload's contract calls from the
// node's estimates of a representative call of each kind in ops (a write
// to a fresh slot, where there is one): once the contracts are deployed
// and the tokens minted, before the txs are signed.
func (r *runner) estimateCalls(ctx context.Context, e *estimator, ops []Op) error {
	for _, kind := range []Kind{KindERC20, KindKV} {
		op, ok := representative(ops, kind)
		if !ok {
			continue
		}
		to, value, data, _, err := r.ct.opTx(op, r.value)
		if err != nil {
			return err
		}
		est, err := e.estimate(ctx, r.keys[op.From].Address(), to, value, data)
		switch {
		case errors.Is(err, errNoEstimate):
			return nil
		case err != nil:
			return fmt.Errorf("%w: eth_estimateGas of a %v call: %v", ErrSetup, kind, err)
		}
		r.ct.callGas[kind] = withHeadroom(est, gasCall)
		r.log.Info("gas limit", "tx", kind.String(), "estimate", est, "gas", r.ct.callGas[kind])
	}
	return nil
}

// representative returns the first op of kind that is not hot (it writes
// a fresh slot), else the first op of kind.
func representative(ops []Op, kind Kind) (Op, bool) {
	var first *Op
	for i := range ops {
		if ops[i].Kind != kind {
			continue
		}
		if !ops[i].Hot {
			return ops[i], true
		}
		if first == nil {
			first = &ops[i]
		}
	}
	if first == nil {
		return Op{}, false
	}
	return *first, true
}
