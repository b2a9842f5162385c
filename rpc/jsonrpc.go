package rpc

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"runtime/debug"
	"time"

	"github.com/gobcos/gobcos/types"
)

// The JSON-RPC 2.0 envelope: parsing requests (single and batch),
// dispatching them, and encoding answers.

type jsonRequest struct {
	Version json.RawMessage `json:"jsonrpc"`
	ID      json.RawMessage `json:"id"`
	Method  json.RawMessage `json:"method"`
	Params  json.RawMessage `json:"params"`
}

type jsonResponse struct {
	Version string          `json:"jsonrpc"`
	ID      json.RawMessage `json:"id"`
	Result  json.RawMessage `json:"result,omitempty"`
	Error   *Error          `json:"error,omitempty"`
}

type jsonNotification struct {
	Version string `json:"jsonrpc"`
	Method  string `json:"method"`
	Params  any    `json:"params"`
}

var nullID = json.RawMessage("null")

// call is one method invocation.
type call struct {
	ctx    context.Context
	method string
	params []json.RawMessage
	conn   *wsConn // nil over HTTP
	// tx is params[0] decoded as decodeTxArg decodes it, by a batch's
	// pre-pass (predecode) for a send request; nil otherwise.
	tx *types.Transaction
	// sent is the outcome of sending tx when the batch sent it ahead of
	// the request (sendRun).
	sent sent
	// after runs once the answer is queued (subscriptions start there, so
	// no notification overtakes the subscription id).
	after func()
}

type handlerFunc func(c *call) (any, error)

func errorResponse(id json.RawMessage, e *Error) []byte {
	if id == nil {
		id = nullID
	}
	b, err := json.Marshal(&jsonResponse{Version: "2.0", ID: id, Error: e})
	if err != nil {
		// Only Data could fail to encode; drop it.
		b, _ = json.Marshal(&jsonResponse{Version: "2.0", ID: id, Error: &Error{Code: e.Code, Message: e.Message}})
	}
	return b
}

// answer is what a body gets: one response, or the responses of a batch,
// joined in brackets with commas as they are written. A batch's answers
// are kept apart until then: an HTTP answer is written piece by piece
// (a load generator's batch of eth_getBlockReceipts runs to megabytes,
// which joining would copy once more).
type answer struct {
	one   []byte   // the response to a single request; nil for a batch
	batch [][]byte // the responses of a batch that has some
}

// empty reports whether nothing is to be sent (notifications only).
func (a answer) empty() bool { return a.one == nil && len(a.batch) == 0 }

// size is the number of bytes the answer takes.
func (a answer) size() int {
	if a.batch == nil {
		return len(a.one)
	}
	n := len(a.batch) + 1 // the brackets and the commas
	for _, r := range a.batch {
		n += len(r)
	}
	return n
}

// bytes returns the answer in one slice.
func (a answer) bytes() []byte {
	if a.batch == nil {
		return a.one
	}
	out := make([]byte, 0, a.size())
	out = append(out, '[')
	for i, r := range a.batch {
		if i > 0 {
			out = append(out, ',')
		}
		out = append(out, r...)
	}
	return append(out, ']')
}

// writeTo writes the answer to w.
func (a answer) writeTo(w io.Writer) error {
	if a.batch == nil {
		_, err := w.Write(a.one)
		return err
	}
	punct := []byte("[,]")
	for i, r := range a.batch {
		sep := punct[1:2]
		if i == 0 {
			sep = punct[0:1]
		}
		if _, err := w.Write(sep); err != nil {
			return err
		}
		if _, err := w.Write(r); err != nil {
			return err
		}
	}
	_, err := w.Write(punct[2:3])
	return err
}

// handleBody answers one HTTP body or WebSocket message: a single request
// or a batch. It returns the answer (empty when nothing is to be sent:
// notifications only), and the callbacks to run once the answer is sent.
func (s *Server) handleBody(ctx context.Context, body []byte, conn *wsConn) (answer, []func()) {
	body = bytes.TrimLeft(body, " \t\r\n")
	if !validJSON(body) {
		return answer{one: errorResponse(nil, &Error{Code: CodeParseError, Message: "parse error: the request is not valid JSON"})}, nil
	}
	if len(body) == 0 || body[0] != '[' {
		resp, after := s.handleRequest(ctx, body, conn)
		return answer{one: resp}, after
	}
	// The body is valid: it is split, not decoded again (envelope.go).
	items := splitArray(body)
	if len(items) == 0 {
		return answer{one: errorResponse(nil, invalidRequest("invalid request: %v", ErrEmptyBatch))}, nil
	}
	if len(items) > s.cfg.MaxBatch {
		return answer{one: errorResponse(nil, invalidRequest("%v: %d requests, the limit is %d", ErrBatchTooLarge, len(items), s.cfg.MaxBatch))}, nil
	}
	// Each entry is parsed once; the txs of its send requests are decoded
	// once (and their signatures checked together) before any request runs.
	reqs := make([]*request, len(items))
	bad := make([][]byte, len(items))
	parsed := make([]request, len(items))
	for i, item := range items {
		if bad[i] = s.parseRequest(item, &parsed[i]); bad[i] == nil {
			reqs[i] = &parsed[i]
		}
	}
	calls := make([]call, len(items))
	txs := s.predecode(ctx, reqs)
	var (
		parts = make([][]byte, 0, len(items)) // the answers
		after []func()
		size  int
		sends []sent // the outcomes of the txs sent ahead (sendRun); nil: none are
		next  int    // the first request sendRun did not look at
	)
	if _, ok := s.b.(TxBatchSender); ok {
		sends = make([]sent, len(items))
	}
	for i, item := range items {
		var resp []byte
		var cb []func()
		switch {
		case size > s.cfg.MaxBatchResponseBytes:
			resp = s.batchOverflow(item)
		case reqs[i] == nil:
			resp = bad[i]
		default:
			var sn sent
			if sends != nil {
				if i >= next {
					next = max(i+1, s.sendRun(ctx, items, reqs, txs, i, size, sends))
				}
				sn = sends[i]
			}
			calls[i] = call{ctx: ctx, method: reqs[i].method, params: reqs[i].params, conn: conn, tx: txs[i], sent: sn}
			resp, cb = s.run(&calls[i], reqs[i])
		}
		after = append(after, cb...)
		if resp == nil {
			continue
		}
		parts = append(parts, resp)
		size += len(resp)
	}
	if len(parts) == 0 {
		return answer{}, after
	}
	return answer{batch: parts}, after
}

// batchOverflow answers a batch entry once the batch's answer is too large.
func (s *Server) batchOverflow(item json.RawMessage) []byte {
	var req jsonRequest
	if json.Unmarshal(item, &req) != nil || req.ID == nil {
		if jsonKind(item) == "an object" {
			return nil // a notification gets no answer
		}
		return errorResponse(nil, invalidRequest("invalid request: a batch entry must be an object"))
	}
	return errorResponse(req.ID, limitExceeded("batch response too large: the limit is %d bytes; send fewer requests per batch", s.cfg.MaxBatchResponseBytes))
}

// request is a parsed request object.
type request struct {
	id     json.RawMessage // nil for a notification
	method string
	params []json.RawMessage
}

// handleRequest answers one request object; nil for a notification.
func (s *Server) handleRequest(ctx context.Context, raw json.RawMessage, conn *wsConn) ([]byte, []func()) {
	var req request
	if bad := s.parseRequest(raw, &req); bad != nil {
		return bad, nil
	}
	return s.run(&call{ctx: ctx, method: req.method, params: req.params, conn: conn}, &req)
}

// parseRequest checks and parses one request object, which must be valid
// JSON (handleBody checks the body first), into req; when it is not a
// valid request, bad is the error answer (and req is not to be used).
func (s *Server) parseRequest(raw json.RawMessage, req *request) (bad []byte) {
	if jsonKind(raw) != "an object" {
		return errorResponse(nil, invalidRequest("invalid request: want a request object, got %s", jsonKind(raw)))
	}
	r, err := decodeRequest(raw)
	if err != nil {
		return errorResponse(nil, invalidRequest("invalid request: %v", err))
	}
	id := r.ID
	switch jsonKind(id) {
	case "nothing", "a string", "a number", "null":
	default:
		return errorResponse(nil, invalidRequest("invalid request: id must be a string, a number or null, got %s", jsonKind(id)))
	}
	if r.Version != nil && string(r.Version) != `"2.0"` {
		if v, err := jsonString(r.Version); err != nil || v != "2.0" {
			return errorResponse(id, invalidRequest(`invalid request: "jsonrpc" must be "2.0"`))
		}
	}
	method, err := s.methodName(r.Method)
	if err != nil {
		return errorResponse(id, invalidRequest("invalid request: method: %v", err))
	}
	if method == "" {
		return errorResponse(id, invalidRequest("invalid request: method is empty"))
	}
	var params []json.RawMessage
	switch jsonKind(r.Params) {
	case "nothing", "null":
	case "an array":
		params = splitArray(r.Params)
	case "an object":
		return errorResponse(id, invalidParams("params must be an array of positional parameters; named parameters are not supported"))
	default:
		return errorResponse(id, invalidParams("params must be an array, got %s", jsonKind(r.Params)))
	}
	*req = request{id: id, method: method, params: params}
	return nil
}

// methodName decodes a request's method: the name of a method the server
// has when raw spells it plainly (no copy made), else as jsonString does.
func (s *Server) methodName(raw json.RawMessage) (string, error) {
	if n := len(raw); n >= 2 && raw[0] == '"' && raw[n-1] == '"' {
		if name, ok := s.methodNames[string(raw[1:n-1])]; ok {
			return name, nil
		}
	}
	return jsonString(raw)
}

// run answers req by the call c made of it (with its params[0] already
// decoded as a transaction by predecode, and the outcome of sending it
// when the batch did: sendRun).
func (s *Server) run(c *call, req *request) ([]byte, []func()) {
	result, rerr := s.dispatch(c)
	var after []func()
	if c.after != nil {
		after = append(after, c.after)
	}
	if req.id == nil { // notification
		if rerr != nil {
			s.log.Debug("notification failed", "method", req.method, "err", rerr.Message)
		}
		return nil, after
	}
	if rerr != nil {
		return errorResponse(req.id, rerr), nil
	}
	return s.encodeResult(req.id, req.method, result), after
}

func (s *Server) encodeResult(id json.RawMessage, method string, result any) []byte {
	hint := 128
	switch r := result.(type) {
	case []*rpcReceipt:
		hint += receiptsSize(r...)
	case *rpcReceipt:
		hint += receiptsSize(r)
	}
	if b, ok := appendResult(responsePrefix(id, hint), result); ok {
		return append(b, '}')
	}
	res, err := json.Marshal(result)
	if err != nil {
		s.log.Error("cannot encode a result", "method", method, "err", err)
		return errorResponse(id, &Error{Code: CodeInternal, Message: "internal error: cannot encode the result"})
	}
	return successResponse(id, res)
}

// successResponse frames an encoded result as jsonResponse does, without
// encoding and scanning the result a second time (json.Marshal compacts
// and re-validates a RawMessage field): large answers such as a block's
// receipts cost half as much. id is a request's id as decoded, so it is
// valid JSON without insignificant whitespace; it gets the HTML escaping
// json.Marshal applies, res already has it.
func successResponse(id, res json.RawMessage) []byte {
	return append(append(responsePrefix(id, len(res)+1), res...), '}')
}

// responsePrefix is a success answer up to its result, with room for
// extra more bytes.
func responsePrefix(id json.RawMessage, extra int) []byte {
	if id == nil {
		id = nullID
	}
	var b bytes.Buffer
	b.Grow(len(`{"jsonrpc":"2.0","id":,"result":`) + len(id) + extra)
	b.WriteString(`{"jsonrpc":"2.0","id":`)
	json.HTMLEscape(&b, id)
	b.WriteString(`,"result":`)
	return b.Bytes()
}

// dispatch runs the method, turning errors and panics into error objects.
func (s *Server) dispatch(c *call) (result any, rerr *Error) {
	if s.observer != nil {
		start := time.Now().Add(-c.sent.share)
		defer func() { s.observe(c.method, start, rerr) }()
	}
	h, ok := s.methods[c.method]
	if !ok {
		return nil, methodNotFound(c.method)
	}
	if s.isClosed() && !c.sent.done { // a tx sent ahead is answered with its outcome
		return nil, &Error{Code: CodeServer, Message: ErrServerClosed.Error()}
	}
	defer func() {
		if p := recover(); p != nil {
			s.log.Error("panic in rpc method", "method", c.method, "panic", fmt.Sprint(p), "stack", string(debug.Stack()))
			result, rerr = nil, &Error{Code: CodeInternal, Message: "internal error while handling " + c.method}
		}
	}()
	res, err := h(c)
	if err != nil {
		return nil, toError(err)
	}
	return res, nil
}
