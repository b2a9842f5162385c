package rpc

import "time"

// UnknownMethod is the method name a CallObserver is given for calls of
// methods the server does not have, so that clients cannot make up names.
const UnknownMethod = "unknown"

// CallObserver is told of every JSON-RPC call the server dispatched: its
// method (a registered name or UnknownMethod), the time to answer it and
// whether the answer is an error. It is called on the request's goroutine
// and must be quick and safe for concurrent use.
type CallObserver interface {
	RPCCall(method string, took time.Duration, failed bool)
}

// SetCallObserver sets the observer of calls (nil: none). Call it before
// the server handles requests.
func (s *Server) SetCallObserver(o CallObserver) { s.observer = o }

// observe reports a call that started at start to the observer, if any.
func (s *Server) observe(method string, start time.Time, rerr *Error) {
	if s.observer == nil {
		return
	}
	if _, ok := s.methods[method]; !ok {
		method = UnknownMethod
	}
	s.observer.RPCCall(method, time.Since(start), rerr != nil)
}
