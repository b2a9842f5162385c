package rpc

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/ethereum/go-ethereum/accounts/abi"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	ethtypes "github.com/ethereum/go-ethereum/core/types"

	"github.com/gobcos/gobcos/types"
)

// State queries, execution, fees and sending transactions.

// stateQuery reads the address argument and resolves the block argument
// to the number of a committed block.
func (s *Server) stateQuery(c *call, blockArg int) (common.Address, uint64, error) {
	if err := c.maxArgs(blockArg + 1); err != nil {
		return common.Address{}, 0, err
	}
	addr, err := c.addressArg(0, "address")
	if err != nil {
		return common.Address{}, 0, err
	}
	ref, err := c.stateArg(blockArg, "block")
	if err != nil {
		return common.Address{}, 0, err
	}
	n, err := s.stateNumber(ref)
	return addr, n, err
}

func (s *Server) ethGetBalance(c *call) (any, error) {
	addr, n, err := s.stateQuery(c, 1)
	if err != nil {
		return nil, err
	}
	bal, err := s.b.Balance(addr, n)
	if err != nil {
		return nil, err
	}
	return (*hexutil.Big)(bigOrZero(bal)), nil
}

func (s *Server) ethGetCode(c *call) (any, error) {
	addr, n, err := s.stateQuery(c, 1)
	if err != nil {
		return nil, err
	}
	code, err := s.b.Code(addr, n)
	if err != nil {
		return nil, err
	}
	return nonNilBytes(code), nil
}

func (s *Server) ethGetStorageAt(c *call) (any, error) {
	if err := c.maxArgs(3); err != nil {
		return nil, err
	}
	str, err := c.stringArg(1, "storage slot")
	if err != nil {
		return nil, err
	}
	slot, err := parseSlot(str)
	if err != nil {
		return nil, argError(1, "storage slot", err)
	}
	addr, n, err := s.stateQuery(c, 2)
	if err != nil {
		return nil, err
	}
	v, err := s.b.Storage(addr, slot, n)
	if err != nil {
		return nil, err
	}
	return hexutil.Bytes(v[:]), nil
}

func (s *Server) ethGetTransactionCount(c *call) (any, error) {
	if err := c.maxArgs(2); err != nil {
		return nil, err
	}
	if ref, err := c.stateArg(1, "block"); err == nil && ref.hash == nil && ref.tag.kind == tagPending {
		addr, err := c.addressArg(0, "address")
		if err != nil {
			return nil, err
		}
		n, err := s.b.PendingNonce(addr)
		if err != nil {
			return nil, err
		}
		return hexutil.Uint64(n), nil
	}
	addr, number, err := s.stateQuery(c, 1)
	if err != nil {
		return nil, err
	}
	n, err := s.b.Nonce(addr, number)
	if err != nil {
		return nil, err
	}
	return hexutil.Uint64(n), nil
}

// revertError is the error of a reverted call, exactly as go-ethereum
// answers it: code 3, the decoded reason in the message, the raw revert
// data in data (so ethers decodes custom errors).
func revertError(data []byte) *Error {
	msg := "execution reverted"
	if reason, err := abi.UnpackRevert(data); err == nil {
		msg += ": " + reason
	}
	return &Error{Code: CodeReverted, Message: msg, Data: hexutil.Encode(data)}
}

// execArgs reads the call object and the block argument of eth_call,
// eth_estimateGas and eth_createAccessList, resolved to a committed block.
func (s *Server) execArgs(c *call) (execReq, error) {
	if len(c.params) > 2 {
		return execReq{}, invalidParams("too many arguments: %s takes at most 2 (state and block overrides are not supported), got %d", c.method, len(c.params))
	}
	msg, err := c.callArgs(0, "transaction", s.chainID)
	if err != nil {
		return execReq{}, err
	}
	ref, err := c.stateArg(1, "block")
	if err != nil {
		return execReq{}, err
	}
	n, err := s.stateNumber(ref)
	if err != nil {
		return execReq{}, err
	}
	ctx, cancel := context.WithTimeout(c.ctx, s.cfg.CallTimeout)
	return execReq{msg: msg, number: n, ctx: ctx, cancel: cancel}, nil
}

// execReq is a call to execute at a block, with its deadline.
type execReq struct {
	msg    CallMsg
	number uint64
	ctx    context.Context
	cancel context.CancelFunc
}

func execError(res *ExecResult, err error, ctx context.Context, timeout fmt.Stringer) error {
	if err != nil {
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			return fmt.Errorf("execution aborted (timeout = %v)", timeout)
		}
		return err
	}
	if res == nil {
		return errors.New("the executor returned no result")
	}
	if res.Reverted {
		return revertError(res.ReturnData)
	}
	return res.Err
}

func (s *Server) ethCall(c *call) (any, error) {
	req, err := s.execArgs(c)
	if err != nil {
		return nil, err
	}
	defer req.cancel()
	res, err := s.b.Call(req.ctx, req.msg, req.number)
	if err := execError(res, err, req.ctx, s.cfg.CallTimeout); err != nil {
		return nil, err
	}
	return nonNilBytes(res.ReturnData), nil
}

func (s *Server) ethEstimateGas(c *call) (any, error) {
	req, err := s.execArgs(c)
	if err != nil {
		return nil, err
	}
	defer req.cancel()
	res, err := s.b.EstimateGas(req.ctx, req.msg, req.number)
	if err := execError(res, err, req.ctx, s.cfg.CallTimeout); err != nil {
		return nil, err
	}
	return hexutil.Uint64(res.GasUsed), nil
}

type rpcAccessList struct {
	AccessList ethtypes.AccessList `json:"accessList"`
	GasUsed    hexutil.Uint64      `json:"gasUsed"`
	Error      string              `json:"error,omitempty"`
}

func (s *Server) ethCreateAccessList(c *call) (any, error) {
	ab, ok := s.b.(AccessListBackend)
	if !ok {
		return nil, methodNotFound(c.method)
	}
	req, err := s.execArgs(c)
	if err != nil {
		return nil, err
	}
	defer req.cancel()
	al, res, err := ab.CreateAccessList(req.ctx, req.msg, req.number)
	if err != nil {
		return nil, execError(nil, err, req.ctx, s.cfg.CallTimeout)
	}
	if al == nil {
		al = ethtypes.AccessList{}
	}
	out := &rpcAccessList{AccessList: al}
	if res != nil {
		out.GasUsed = hexutil.Uint64(res.GasUsed)
		switch {
		case res.Reverted:
			out.Error = revertError(res.ReturnData).Message
		case res.Err != nil:
			out.Error = res.Err.Error()
		}
	}
	return out, nil
}

func (s *Server) ethSendRawTransaction(c *call) (any, error) {
	if err := c.maxArgs(1); err != nil {
		return nil, err
	}
	tx, err := s.decodeTxArg(c, 0)
	if err != nil {
		return nil, err
	}
	if !tx.IsEthereum() {
		return nil, argError(0, "transaction", errors.New("eth_sendRawTransaction accepts only Ethereum-signed transactions; send native (type 0x60) transactions with bcos_sendTransaction"))
	}
	if err := s.sendTx(c, tx); err != nil {
		return nil, err
	}
	return tx.Hash(), nil
}

// decodeTxArg decodes argument i as a signed transaction; argument 0 of a
// batch's send request comes decoded already (call.tx).
func (s *Server) decodeTxArg(c *call, i int) (*types.Transaction, error) {
	if i == 0 && c.tx != nil {
		return c.tx, nil
	}
	raw, err := c.bytesArg(i, "transaction")
	if err != nil {
		return nil, err
	}
	tx, err := types.DecodeTx(s.suite, raw)
	if err != nil {
		return nil, argError(i, "transaction", err)
	}
	return tx, nil
}

func (s *Server) zeroFee(c *call) (any, error) {
	if err := c.maxArgs(0); err != nil {
		return nil, err
	}
	return hexutil.Uint64(0), nil
}

func (s *Server) ethAccounts(c *call) (any, error) {
	if err := c.maxArgs(0); err != nil {
		return nil, err
	}
	return []common.Address{}, nil
}

// Fee history: the base fee and rewards are zero (gas is not charged);
// gas used ratios come from the stored headers.

const (
	maxFeeHistoryBlocks      = 1024
	maxFeeHistoryPercentiles = 100
)

type rpcFeeHistory struct {
	OldestBlock   hexutil.Uint64     `json:"oldestBlock"`
	BaseFeePerGas []hexutil.Uint64   `json:"baseFeePerGas"`
	GasUsedRatio  []float64          `json:"gasUsedRatio"`
	Reward        [][]hexutil.Uint64 `json:"reward,omitempty"`
}

func (s *Server) ethFeeHistory(c *call) (any, error) {
	if err := c.maxArgs(3); err != nil {
		return nil, err
	}
	count, err := c.countArg(0, "blockCount")
	if err != nil {
		return nil, err
	}
	tag, err := c.blockTagArg(1, "newestBlock")
	if err != nil {
		return nil, err
	}
	var percentiles []float64
	if raw := c.optional(2); raw != nil {
		if jsonKind(raw) != "an array" || json.Unmarshal(raw, &percentiles) != nil {
			return nil, argError(2, "rewardPercentiles", errors.New("want an array of numbers between 0 and 100"))
		}
		if len(percentiles) > maxFeeHistoryPercentiles {
			return nil, argError(2, "rewardPercentiles", fmt.Errorf("%d percentiles, at most %d", len(percentiles), maxFeeHistoryPercentiles))
		}
		for i, p := range percentiles {
			if p < 0 || p > 100 {
				return nil, argError(2, "rewardPercentiles", fmt.Errorf("entry %d is %v, not between 0 and 100", i, p))
			}
			if i > 0 && p < percentiles[i-1] {
				return nil, argError(2, "rewardPercentiles", fmt.Errorf("entries must not decrease: entry %d (%v) is below entry %d (%v)", i, p, i-1, percentiles[i-1]))
			}
		}
	}
	head, err := s.headNumber()
	if err != nil {
		return nil, err
	}
	newest := tag.resolve(head)
	if newest > head {
		return nil, fmt.Errorf("request beyond head block: requested #%d, head is #%d", newest, head)
	}
	count = min(count, maxFeeHistoryBlocks, newest+1)
	out := &rpcFeeHistory{BaseFeePerGas: []hexutil.Uint64{}, GasUsedRatio: []float64{}}
	if count == 0 {
		return out, nil
	}
	oldest := newest + 1 - count
	out.OldestBlock = hexutil.Uint64(oldest)
	out.BaseFeePerGas = make([]hexutil.Uint64, count+1)
	for n := oldest; n <= newest; n++ {
		h, err := s.headerByNumber(n)
		if err != nil {
			return nil, err
		}
		if h == nil {
			return nil, fmt.Errorf("block #%d is missing from the ledger", n)
		}
		ratio := 0.0
		if h.GasLimit > 0 {
			ratio = float64(h.GasUsed) / float64(h.GasLimit)
		}
		out.GasUsedRatio = append(out.GasUsedRatio, ratio)
		if len(percentiles) > 0 {
			out.Reward = append(out.Reward, make([]hexutil.Uint64, len(percentiles)))
		}
	}
	return out, nil
}
