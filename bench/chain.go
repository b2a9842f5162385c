package bench

import (
	"context"
	"errors"
	"fmt"
	"math/big"
	"net/http"
	"strings"
	"time"

	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/ethereum/go-ethereum/rpc"

	"github.com/gobcos/gobcos/crypto"
)

// Tx formats.
const (
	FormatEth    = "eth"    // Ethereum-signed (EIP-155 legacy or EIP-1559), eth_sendRawTransaction
	FormatNative = "native" // gobcos native txs, bcos_sendTransaction
)

// Chain is what the bench learnt about the chain it drives.
type Chain struct {
	ChainID uint64
	// Gobcos is true when the node answers bcos_getChainInfo.
	Gobcos           bool
	GroupID          string
	Suite            crypto.Suite
	Consensus        string
	Sealers          int // 0 when unknown (not a gobcos node)
	BlockLimitWindow uint64
	// GasPrice is eth_gasPrice (0 on gobcos), Tip eth_maxPriorityFeePerGas.
	GasPrice *big.Int
	Tip      *big.Int
	Head     uint64
}

type chainInfo struct {
	ChainID          hexutil.Uint64 `json:"chainId"`
	GroupID          string         `json:"groupId"`
	CryptoSuite      string         `json:"cryptoSuite"`
	Consensus        string         `json:"consensus"`
	Sealers          []struct{}     `json:"sealers"`
	BlockNumber      hexutil.Uint64 `json:"blockNumber"`
	BlockLimitWindow hexutil.Uint64 `json:"blockLimitWindow"`
}

// detectChain asks the node for its chain id, fees and, on gobcos, its
// suite, group and sealers.
func detectChain(ctx context.Context, rc *rpc.Client) (*Chain, error) {
	var id hexutil.Uint64
	if err := rc.CallContext(ctx, &id, "eth_chainId"); err != nil {
		return nil, fmt.Errorf("eth_chainId: %w", err)
	}
	c := &Chain{ChainID: uint64(id), Suite: crypto.ECDSA(), GasPrice: new(big.Int), Tip: new(big.Int)}
	var info chainInfo
	if err := rc.CallContext(ctx, &info, "bcos_getChainInfo"); err == nil {
		s, err := crypto.ByName(info.CryptoSuite)
		if err != nil {
			return nil, fmt.Errorf("bcos_getChainInfo: %w", err)
		}
		c.Gobcos, c.GroupID, c.Suite, c.Consensus = true, info.GroupID, s, info.Consensus
		c.Sealers, c.BlockLimitWindow = len(info.Sealers), uint64(info.BlockLimitWindow)
	}
	var price, tip hexutil.Big
	if err := rc.CallContext(ctx, &price, "eth_gasPrice"); err != nil {
		return nil, fmt.Errorf("eth_gasPrice: %w", err)
	}
	c.GasPrice = price.ToInt()
	if err := rc.CallContext(ctx, &tip, "eth_maxPriorityFeePerGas"); err == nil {
		c.Tip = tip.ToInt()
	}
	var head hexutil.Uint64
	if err := rc.CallContext(ctx, &head, "eth_blockNumber"); err != nil {
		return nil, fmt.Errorf("eth_blockNumber: %w", err)
	}
	c.Head = uint64(head)
	return c, nil
}

// dial opens one connection: WebSocket for ws:// and wss:// URLs, HTTP
// with its own keep-alive transport otherwise (so n dials are n TCP
// connections).
func dial(ctx context.Context, url string) (*rpc.Client, error) {
	if strings.HasPrefix(url, "ws://") || strings.HasPrefix(url, "wss://") {
		return rpc.DialWebsocket(ctx, url, "")
	}
	hc := &http.Client{Transport: &http.Transport{MaxIdleConns: 4, MaxIdleConnsPerHost: 4, IdleConnTimeout: time.Minute}}
	return rpc.DialOptions(ctx, url, rpc.WithHTTPClient(hc))
}

// wsURL is the WebSocket form of an RPC URL (gobcos serves both on one port).
func wsURL(url string) string {
	switch {
	case strings.HasPrefix(url, "http://"):
		return "ws://" + strings.TrimPrefix(url, "http://")
	case strings.HasPrefix(url, "https://"):
		return "wss://" + strings.TrimPrefix(url, "https://")
	}
	return url
}

// isMethodNotFound reports a JSON-RPC "method not found" answer.
func isMethodNotFound(err error) bool {
	var re rpc.Error
	if errors.As(err, &re) && re.ErrorCode() == -32601 {
		return true
	}
	return err != nil && strings.Contains(strings.ToLower(err.Error()), "not found") && strings.Contains(strings.ToLower(err.Error()), "method")
}
