package sdk

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/ethereum/go-ethereum/rpc"

	"github.com/gobcos/gobcos/crypto"
)

// Defaults of the options.
const (
	DefaultPollInterval = 500 * time.Millisecond
	DefaultHeightMaxAge = 10 * time.Second
	headsRetryInterval  = 5 * time.Second
)

// Option configures a Client.
type Option func(*config)

type config struct {
	logger       *slog.Logger
	rpcOpts      []rpc.ClientOption
	pollInterval time.Duration
	heightMaxAge time.Duration
	now          func() time.Time
}

// WithLogger sets the logger (nil discards).
func WithLogger(l *slog.Logger) Option { return func(c *config) { c.logger = l } }

// WithRPCOptions passes options to go-ethereum's rpc.DialOptions, for
// example rpc.WithHeader for authentication or rpc.WithHTTPClient. Dial
// only; NewClient receives a connected client.
func WithRPCOptions(opts ...rpc.ClientOption) Option {
	return func(c *config) { c.rpcOpts = append(c.rpcOpts, opts...) }
}

// WithPollInterval sets how often receipts and HTTP log filters are polled
// (default DefaultPollInterval).
func WithPollInterval(d time.Duration) Option {
	return func(c *config) {
		if d > 0 {
			c.pollInterval = d
		}
	}
}

// WithHeightMaxAge sets how old the cached chain height may be before
// BlockLimit re-reads it, when no newHeads subscription keeps it current
// (default DefaultHeightMaxAge).
func WithHeightMaxAge(d time.Duration) Option {
	return func(c *config) {
		if d >= 0 {
			c.heightMaxAge = d
		}
	}
}

// withClock replaces time.Now, for tests.
func withClock(now func() time.Time) Option { return func(c *config) { c.now = now } }

// ChainInfo is the answer of bcos_getChainInfo.
type ChainInfo struct {
	ChainID          uint64
	GroupID          string
	Suite            crypto.Suite
	Consensus        string
	Sealers          []Sealer
	Version          string
	BlockNumber      uint64
	BlockLimitWindow uint64
	TxGasLimit       uint64
}

// Sealer is one member of the group's sealer set.
type Sealer struct {
	NodeID  []byte
	Address common.Address
}

type chainInfoJSON struct {
	ChainID     *hexutil.Uint64 `json:"chainId"`
	GroupID     string          `json:"groupId"`
	CryptoSuite string          `json:"cryptoSuite"`
	Consensus   string          `json:"consensus"`
	Sealers     []struct {
		NodeID  hexutil.Bytes  `json:"nodeId"`
		Address common.Address `json:"address"`
	} `json:"sealers"`
	Version          string          `json:"version"`
	BlockNumber      hexutil.Uint64  `json:"blockNumber"`
	BlockLimitWindow *hexutil.Uint64 `json:"blockLimitWindow"`
	TxGasLimit       hexutil.Uint64  `json:"txGasLimit"`
}

// Client is a connection to one gobcos node serving one group. It is safe
// for concurrent use.
type Client struct {
	rc   *rpc.Client
	cfg  config
	log  *slog.Logger
	info ChainInfo

	ctx    context.Context // ends at Close; background work watches it
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu        sync.Mutex
	height    uint64
	heightAt  time.Time
	headsLive bool
}

// Dial connects to a node (http://, https://, ws://, wss:// or an IPC
// path) and reads its chain information.
func Dial(ctx context.Context, url string, opts ...Option) (*Client, error) {
	cfg := newConfig(opts)
	rc, err := rpc.DialOptions(ctx, url, cfg.rpcOpts...)
	if err != nil {
		return nil, fmt.Errorf("sdk: connecting to %s: %w", url, err)
	}
	c, err := NewClient(ctx, rc, opts...)
	if err != nil {
		rc.Close()
		return nil, err
	}
	return c, nil
}

// NewClient wraps a connected rpc client and reads the chain information.
// The Client owns rc from now on: Close closes it.
func NewClient(ctx context.Context, rc *rpc.Client, opts ...Option) (*Client, error) {
	cfg := newConfig(opts)
	info, err := fetchChainInfo(ctx, rc)
	if err != nil {
		return nil, err
	}
	c := &Client{rc: rc, cfg: cfg, log: cfg.logger, info: *info}
	c.ctx, c.cancel = context.WithCancel(context.Background())
	c.height, c.heightAt = info.BlockNumber, cfg.now()
	if rc.SupportsSubscriptions() {
		c.wg.Add(1)
		go c.followHeads()
	}
	return c, nil
}

func newConfig(opts []Option) config {
	cfg := config{pollInterval: DefaultPollInterval, heightMaxAge: DefaultHeightMaxAge, now: time.Now}
	for _, o := range opts {
		o(&cfg)
	}
	if cfg.logger == nil {
		cfg.logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	return cfg
}

func fetchChainInfo(ctx context.Context, rc *rpc.Client) (*ChainInfo, error) {
	var raw chainInfoJSON
	if err := rc.CallContext(ctx, &raw, "bcos_getChainInfo"); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrBadChainInfo, err)
	}
	if raw.ChainID == nil || raw.GroupID == "" {
		return nil, fmt.Errorf("%w: chainId or groupId missing", ErrBadChainInfo)
	}
	if raw.BlockLimitWindow == nil || *raw.BlockLimitWindow == 0 {
		return nil, fmt.Errorf("%w: blockLimitWindow missing or zero", ErrBadChainInfo)
	}
	suite, err := crypto.ByName(raw.CryptoSuite)
	if err != nil || raw.CryptoSuite == "" {
		return nil, fmt.Errorf("%w: cryptoSuite %q", ErrBadChainInfo, raw.CryptoSuite)
	}
	info := &ChainInfo{
		ChainID:          uint64(*raw.ChainID),
		GroupID:          raw.GroupID,
		Suite:            suite,
		Consensus:        raw.Consensus,
		Version:          raw.Version,
		BlockNumber:      uint64(raw.BlockNumber),
		BlockLimitWindow: uint64(*raw.BlockLimitWindow),
		TxGasLimit:       uint64(raw.TxGasLimit),
	}
	for _, s := range raw.Sealers {
		info.Sealers = append(info.Sealers, Sealer{NodeID: s.NodeID, Address: s.Address})
	}
	return info, nil
}

// ChainInfo asks the node for its current chain information.
func (c *Client) ChainInfo(ctx context.Context) (*ChainInfo, error) {
	info, err := fetchChainInfo(ctx, c.rc)
	if err != nil {
		return nil, err
	}
	c.observeHeight(info.BlockNumber)
	return info, nil
}

// Suite is the chain's crypto suite.
func (c *Client) Suite() crypto.Suite { return c.info.Suite }

// ChainID is the chain id.
func (c *Client) ChainID() uint64 { return c.info.ChainID }

// GroupID is the group the node serves.
func (c *Client) GroupID() string { return c.info.GroupID }

// BlockLimitWindow is how far above the chain height a block limit may be.
func (c *Client) BlockLimitWindow() uint64 { return c.info.BlockLimitWindow }

// RPC is the underlying go-ethereum rpc client, for methods the SDK does
// not wrap.
func (c *Client) RPC() *rpc.Client { return c.rc }

// Close stops background work and closes the connection.
func (c *Client) Close() {
	c.cancel()
	c.rc.Close()
	c.wg.Wait()
}

// BlockNumber asks the node for the chain height.
func (c *Client) BlockNumber(ctx context.Context) (uint64, error) {
	var n hexutil.Uint64
	if err := c.rc.CallContext(ctx, &n, "eth_blockNumber"); err != nil {
		return 0, fmt.Errorf("sdk: eth_blockNumber: %w", err)
	}
	c.observeHeight(uint64(n))
	return uint64(n), nil
}

// BlockLimit is the block limit for a new native transaction: the chain
// height plus nine tenths of the window. The slack keeps the limit valid
// on nodes a few blocks behind the one that reported the height; the
// transaction still has most of the window to be included. The height is
// the cached one unless it is stale (see WithHeightMaxAge).
func (c *Client) BlockLimit(ctx context.Context) (uint64, error) {
	h, err := c.currentHeight(ctx)
	if err != nil {
		return 0, err
	}
	w := c.info.BlockLimitWindow
	margin := w - w/10
	if margin == 0 {
		margin = 1
	}
	return h + margin, nil
}

// currentHeight is the cached height when it is fresh, else the node's.
func (c *Client) currentHeight(ctx context.Context) (uint64, error) {
	c.mu.Lock()
	h, fresh := c.height, c.headsLive || c.cfg.now().Sub(c.heightAt) <= c.cfg.heightMaxAge
	c.mu.Unlock()
	if fresh {
		return h, nil
	}
	return c.BlockNumber(ctx)
}

func (c *Client) observeHeight(h uint64) {
	c.mu.Lock()
	c.height, c.heightAt = h, c.cfg.now()
	c.mu.Unlock()
}

func (c *Client) setHeadsLive(live bool) {
	c.mu.Lock()
	c.headsLive = live
	c.mu.Unlock()
}

type headJSON struct {
	Number hexutil.Uint64 `json:"number"`
}

// followHeads keeps the cached height current from a newHeads
// subscription, resubscribing after failures until Close.
func (c *Client) followHeads() {
	defer c.wg.Done()
	for {
		ch := make(chan headJSON, 64)
		sub, err := c.rc.EthSubscribe(c.ctx, ch, "newHeads")
		if err != nil {
			var rerr rpc.Error
			if errors.Is(err, rpc.ErrNotificationsUnsupported) || (errors.As(err, &rerr) && rerr.ErrorCode() == -32601) {
				c.log.Debug("node offers no newHeads subscription; the height is polled", "err", err)
				return
			}
			c.log.Debug("newHeads subscription failed; retrying", "err", err)
		} else {
			// Catch up on blocks committed before the subscription started.
			if _, err := c.BlockNumber(c.ctx); err == nil {
				c.setHeadsLive(true)
			}
			done := false
			for !done {
				select {
				case h := <-ch:
					c.observeHeight(uint64(h.Number))
					c.setHeadsLive(true)
				case err := <-sub.Err():
					c.log.Debug("newHeads subscription ended; retrying", "err", err)
					done = true
				case <-c.ctx.Done():
					sub.Unsubscribe()
					c.setHeadsLive(false)
					return
				}
			}
			c.setHeadsLive(false)
		}
		select {
		case <-c.ctx.Done():
			return
		case <-time.After(headsRetryInterval):
		}
	}
}
