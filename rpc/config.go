package rpc

import (
	"errors"
	"fmt"
	"time"
)

// Config holds the server's limits. Zero (or negative) fields take the
// defaults of DefaultConfig; Validate reports negative ones.
type Config struct {
	// CORSOrigins are the origins browsers may call from; "*" allows all.
	// WebSocket upgrades check the Origin header against the same list.
	CORSOrigins []string
	// MaxBodyBytes bounds an HTTP request body.
	MaxBodyBytes int64
	// MaxWSMessageBytes bounds one WebSocket message; a larger message
	// closes the connection (close code 1009).
	MaxWSMessageBytes int64
	// MaxBatch bounds the number of requests in one batch.
	MaxBatch int
	// MaxBatchResponseBytes bounds the encoded answers of one batch; later
	// requests of the batch get a limit error.
	MaxBatchResponseBytes int
	// MaxLogRange bounds toBlock-fromBlock+1 of eth_getLogs.
	MaxLogRange uint64
	// MaxLogResults bounds the logs one eth_getLogs returns.
	MaxLogResults int
	// FilterTimeout removes a filter not polled for this long.
	FilterTimeout time.Duration
	// MaxFilters bounds the filters installed at once.
	MaxFilters int
	// MaxSubscriptionsPerConn bounds eth_subscribe per WebSocket connection.
	MaxSubscriptionsPerConn int
	// MaxConcurrentPerConn bounds requests handled at once per WebSocket.
	MaxConcurrentPerConn int
	// CallTimeout bounds eth_call, eth_estimateGas and eth_createAccessList.
	CallTimeout time.Duration
	// ReceiptWaitTimeout bounds bcos_sendTransaction with waitForReceipt.
	ReceiptWaitTimeout time.Duration
}

// DefaultConfig is the configuration used for unset fields.
func DefaultConfig() Config {
	return Config{
		CORSOrigins:             []string{"*"},
		MaxBodyBytes:            5 << 20,
		MaxWSMessageBytes:       5 << 20,
		MaxBatch:                1000,
		MaxBatchResponseBytes:   25 << 20,
		MaxLogRange:             10000,
		MaxLogResults:           10000,
		FilterTimeout:           5 * time.Minute,
		MaxFilters:              10000,
		MaxSubscriptionsPerConn: 128,
		MaxConcurrentPerConn:    16,
		CallTimeout:             5 * time.Second,
		ReceiptWaitTimeout:      30 * time.Second,
	}
}

// withDefaults fills unset (zero or negative) fields from DefaultConfig.
func (c Config) withDefaults() Config {
	d := DefaultConfig()
	if c.CORSOrigins == nil {
		c.CORSOrigins = d.CORSOrigins
	}
	def(&c.MaxBodyBytes, d.MaxBodyBytes)
	def(&c.MaxWSMessageBytes, d.MaxWSMessageBytes)
	def(&c.MaxBatch, d.MaxBatch)
	def(&c.MaxBatchResponseBytes, d.MaxBatchResponseBytes)
	def(&c.MaxLogRange, d.MaxLogRange)
	def(&c.MaxLogResults, d.MaxLogResults)
	def(&c.FilterTimeout, d.FilterTimeout)
	def(&c.MaxFilters, d.MaxFilters)
	def(&c.MaxSubscriptionsPerConn, d.MaxSubscriptionsPerConn)
	def(&c.MaxConcurrentPerConn, d.MaxConcurrentPerConn)
	def(&c.CallTimeout, d.CallTimeout)
	def(&c.ReceiptWaitTimeout, d.ReceiptWaitTimeout)
	return c
}

func def[T int | int64 | uint64 | time.Duration](v *T, d T) {
	if *v <= 0 {
		*v = d
	}
}

// Validate reports a configuration the server should not run with. Zero
// fields are fine (they take defaults); negative ones are mistakes.
func (c Config) Validate() error {
	var errs []error
	neg := func(name string, v int64) {
		if v < 0 {
			errs = append(errs, fmt.Errorf("rpc: %s must not be negative (got %d)", name, v))
		}
	}
	neg("MaxBodyBytes", c.MaxBodyBytes)
	neg("MaxWSMessageBytes", c.MaxWSMessageBytes)
	neg("MaxBatch", int64(c.MaxBatch))
	neg("MaxBatchResponseBytes", int64(c.MaxBatchResponseBytes))
	neg("MaxLogResults", int64(c.MaxLogResults))
	neg("FilterTimeout", int64(c.FilterTimeout))
	neg("MaxFilters", int64(c.MaxFilters))
	neg("MaxSubscriptionsPerConn", int64(c.MaxSubscriptionsPerConn))
	neg("MaxConcurrentPerConn", int64(c.MaxConcurrentPerConn))
	neg("CallTimeout", int64(c.CallTimeout))
	neg("ReceiptWaitTimeout", int64(c.ReceiptWaitTimeout))
	if c.MaxBodyBytes > 0 && c.MaxBodyBytes < 1024 {
		errs = append(errs, fmt.Errorf("rpc: MaxBodyBytes %d is below 1024", c.MaxBodyBytes))
	}
	if c.MaxWSMessageBytes > 0 && c.MaxWSMessageBytes < 1024 {
		errs = append(errs, fmt.Errorf("rpc: MaxWSMessageBytes %d is below 1024", c.MaxWSMessageBytes))
	}
	for _, o := range c.CORSOrigins {
		if o == "" {
			errs = append(errs, errors.New("rpc: CORSOrigins contains an empty origin"))
		}
	}
	return errors.Join(errs...)
}
