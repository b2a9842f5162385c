package rpc

import (
	"errors"
	"fmt"
)

// JSON-RPC error codes used by the server.
const (
	CodeParseError     = -32700 // the body is not valid JSON
	CodeInvalidRequest = -32600 // the JSON is not a valid request object
	CodeMethodNotFound = -32601 // no such method (or not available here)
	CodeInvalidParams  = -32602 // a parameter is missing, malformed or of the wrong type
	CodeInternal       = -32603 // a bug on our side (for example a recovered panic)
	CodeServer         = -32000 // the request was valid but the node refused or failed it
	CodeLimitExceeded  = -32005 // a query exceeds a configured limit
	CodeReverted       = 3      // eth_call / eth_estimateGas reverted; data holds the revert data
)

// Sentinel errors. Backends return ErrNotFound (possibly wrapped) for an
// absent block, transaction or receipt; the others are the server's own.
var (
	// ErrNotFound tells the server a block, transaction or receipt does not
	// exist; the method then answers null as Ethereum nodes do.
	ErrNotFound = errors.New("not found")

	ErrServerClosed  = errors.New("rpc server is shut down")
	ErrBodyTooLarge  = errors.New("request body too large")
	ErrEmptyBatch    = errors.New("empty batch")
	ErrBatchTooLarge = errors.New("batch too large")
	// ErrNotCommitted is wrapped by the error a state query at a block
	// above the head gets: "block N is not yet committed (head is H)".
	ErrNotCommitted             = errors.New("not yet committed")
	ErrFilterNotFound           = errors.New("filter not found")
	ErrTooManyFilters           = errors.New("too many installed filters")
	ErrReceiptTimeout           = errors.New("timed out waiting for the transaction to be committed")
	ErrSubscriptionLimit        = errors.New("too many subscriptions on this connection")
	ErrNotificationsUnsupported = errors.New("notifications not supported")
	ErrClientTooSlow            = errors.New("client too slow: notification queue full")
)

// Error is a JSON-RPC error object. Methods return it to choose the code;
// any other error becomes CodeServer with the error's text.
type Error struct {
	Code    int    `json:"code"`
	Message string `json:"message"`
	Data    any    `json:"data,omitempty"`
}

func (e *Error) Error() string { return e.Message }

// ErrorCode and ErrorData let errors from a backend choose their JSON-RPC
// code and data, as go-ethereum's rpc package does.
type codedError interface {
	error
	ErrorCode() int
}

type dataError interface {
	error
	ErrorData() any
}

func invalidParams(format string, args ...any) *Error {
	return &Error{Code: CodeInvalidParams, Message: fmt.Sprintf(format, args...)}
}

func invalidRequest(format string, args ...any) *Error {
	return &Error{Code: CodeInvalidRequest, Message: fmt.Sprintf(format, args...)}
}

func methodNotFound(method string) *Error {
	return &Error{Code: CodeMethodNotFound, Message: fmt.Sprintf("the method %s does not exist/is not available", method)}
}

func limitExceeded(format string, args ...any) *Error {
	return &Error{Code: CodeLimitExceeded, Message: fmt.Sprintf(format, args...)}
}

// toError turns any error into a JSON-RPC error object.
func toError(err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	out := &Error{Code: CodeServer, Message: err.Error()}
	var ce codedError
	if errors.As(err, &ce) {
		out.Code = ce.ErrorCode()
	}
	var de dataError
	if errors.As(err, &de) {
		out.Data = de.ErrorData()
	}
	return out
}
