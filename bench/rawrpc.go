package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// The timed phase talks plain JSON-RPC 2.0 over HTTP without the generic
// client: request bodies are encoded before it starts, and of the answers
// only what the bench needs is read (for a block's receipts, each one's tx
// hash and status), with one pass over the bytes and no reflection. Any
// answer the selective reader does not understand is decoded again with
// encoding/json, so a node that answers in an unusual but valid way is
// still read right.

// errMissingAnswer and errNoResult are the generic client's errors for a
// batch answer without an entry for a request, and for an entry with
// neither a result nor an error.
var (
	errMissingAnswer = errors.New("response batch did not contain a response to this call")
	errNoResult      = errors.New("JSON-RPC response has no result")
)

// rpcError is a JSON-RPC error object of an answer. It satisfies the
// generic client's rpc.Error, so it is classified the same way.
type rpcError struct {
	Code    int    `json:"code"`
	Message string `json:"message"`
}

func (e *rpcError) Error() string {
	if e.Message == "" {
		return fmt.Sprintf("json-rpc error %d", e.Code)
	}
	return e.Message
}

// ErrorCode is the JSON-RPC error code.
func (e *rpcError) ErrorCode() int { return e.Code }

// httpError is an answer with a non-2xx HTTP status.
type httpError struct {
	status string
	body   []byte
}

func (e *httpError) Error() string {
	if len(e.body) == 0 {
		return e.status
	}
	return fmt.Sprintf("%v: %s", e.status, e.body)
}

// rawClient posts JSON-RPC bodies to one HTTP URL over its own keep-alive
// connections: a plain http:// URL over one connection it reads and
// writes itself (connClient), others with net/http's client.
type rawClient struct {
	url string
	cc  *connClient
	hc  *http.Client
}

// newRawClient is a client of rawURL, or nil when rawURL is not an HTTP
// URL (WebSocket URLs keep the generic client).
func newRawClient(rawURL string) *rawClient {
	if !strings.HasPrefix(rawURL, "http://") && !strings.HasPrefix(rawURL, "https://") {
		return nil
	}
	if u, err := url.Parse(rawURL); err == nil {
		if cc := newConnClient(u); cc != nil {
			return &rawClient{url: rawURL, cc: cc}
		}
	}
	return &rawClient{url: rawURL, hc: &http.Client{Transport: &http.Transport{MaxIdleConns: 4, MaxIdleConnsPerHost: 4, IdleConnTimeout: time.Minute}}}
}

// post sends body and returns the answer's body, read into buf (which it
// may grow; the answer is valid until buf's next use).
func (c *rawClient) post(ctx context.Context, body []byte, buf *bytes.Buffer) ([]byte, error) {
	if c.cc != nil {
		return c.cc.post(ctx, body, buf)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.url, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.ContentLength = int64(len(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	resp, err := c.hc.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	buf.Reset()
	if _, err := buf.ReadFrom(resp.Body); err != nil {
		return nil, err
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return nil, &httpError{status: resp.Status, body: bytes.Clone(buf.Bytes())}
	}
	return buf.Bytes(), nil
}

func (c *rawClient) close() {
	if c.cc != nil {
		c.cc.close()
		return
	}
	c.hc.CloseIdleConnections()
}

// appendRequest appends one request object with a numeric id and params
// already encoded as a JSON array.
func appendRequest(dst []byte, id int, method string, params []byte) []byte {
	dst = append(dst, `{"jsonrpc":"2.0","id":`...)
	dst = strconv.AppendInt(dst, int64(id), 10)
	dst = append(dst, `,"method":"`...)
	dst = append(dst, method...)
	dst = append(dst, `","params":`...)
	dst = append(dst, params...)
	return append(dst, '}')
}

// answerEntry is one entry of an answer, as far as the bench reads it.
type answerEntry struct {
	id     int    // -1 when not a number the bench sent (null: an error about the whole request)
	result []byte // raw JSON; nil when absent
	err    error  // the entry's error object, if any
}

// jsonAnswer is an answer entry for encoding/json, the fallback.
type jsonAnswer struct {
	ID     json.RawMessage `json:"id"`
	Result json.RawMessage `json:"result"`
	Error  *rpcError       `json:"error"`
}

// readAnswers reads the entries of an answer (a batch's array, or a single
// object), calling fn with each one. It reads
// selectively and falls back to encoding/json when it meets anything
// unusual; an answer that is not JSON is an error.
func readAnswers(body []byte, fn func(answerEntry)) error {
	var got []answerEntry
	if scanAnswers(body, func(a answerEntry) { got = append(got, a) }) {
		for _, a := range got {
			fn(a)
		}
		return nil
	}
	return decodeAnswers(body, fn)
}

// decodeAnswers is readAnswers with encoding/json.
func decodeAnswers(body []byte, fn func(answerEntry)) error {
	var entries []jsonAnswer
	b := bytes.TrimSpace(body)
	if len(b) > 0 && b[0] == '{' {
		entries = make([]jsonAnswer, 1)
		if err := json.Unmarshal(b, &entries[0]); err != nil {
			return fmt.Errorf("decoding the answer: %w", err)
		}
	} else if err := json.Unmarshal(b, &entries); err != nil {
		return fmt.Errorf("decoding the answer: %w", err)
	}
	for _, e := range entries {
		id, err := strconv.Atoi(string(e.ID))
		if err != nil || id < 0 {
			id = -1
		}
		a := answerEntry{id: id, result: e.Result}
		if e.Error != nil {
			a.err = e.Error
		}
		fn(a)
	}
	return nil
}

// scanAnswers is readAnswers' selective pass; false when it cannot read
// body (then fn may have been called for some entries: the caller drops
// them).
func scanAnswers(body []byte, fn func(answerEntry)) bool {
	s := &scanner{b: body}
	entry := func() bool {
		a := answerEntry{id: -1}
		ok := s.object(func(key []byte) bool {
			switch string(key) {
			case "id":
				v := s.value()
				n, err := strconv.Atoi(string(v))
				if err == nil && n >= 0 {
					a.id = n
				}
				return v != nil
			case "result":
				a.result = s.value()
				return a.result != nil
			case "error":
				v := s.value()
				if v == nil {
					return false
				}
				if string(v) == "null" {
					return true
				}
				e := new(rpcError)
				if json.Unmarshal(v, e) != nil {
					return false
				}
				a.err = e
				return true
			}
			return !otherSpelling(key, "id", "result", "error") && s.skip()
		})
		if ok {
			fn(a)
		}
		return ok
	}
	s.space()
	var ok bool
	if s.peek() == '[' {
		ok = s.array(entry)
	} else {
		ok = entry()
	}
	s.space()
	return ok && s.i == len(s.b)
}

// batchResults turns the entries of the answer to n requests into one
// error per request: nil for a result, which ok (when not nil) is given
// first and may refuse with an error of its own. pos maps an answer's id
// to its request's position, -1 for none; nil takes ids 0..n-1.
func batchResults(answer []byte, n int, pos func(id int) int, ok func(j int, result []byte) error) ([]error, error) {
	errs := make([]error, n)
	for i := range errs {
		errs[i] = errMissingAnswer
	}
	var whole error // an error answered without a request's id
	err := readAnswers(answer, func(a answerEntry) {
		if a.id < 0 {
			if a.err != nil {
				whole = a.err
			}
			return
		}
		j := a.id
		if pos != nil {
			j = pos(a.id)
		}
		if j < 0 || j >= n || errs[j] != errMissingAnswer {
			return // not a request of this batch, or a second answer to one
		}
		switch {
		case a.err != nil:
			errs[j] = a.err
		case a.result == nil:
			errs[j] = errNoResult
		case ok != nil:
			errs[j] = ok(j, a.result)
		default:
			errs[j] = nil
		}
	})
	if err != nil {
		return nil, err
	}
	if whole != nil {
		for i, e := range errs {
			if e == errMissingAnswer {
				errs[i] = whole
			}
		}
	}
	return errs, nil
}
