package explorer

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync/atomic"
)

// ErrRPC marks failures to reach a node or errors it answered.
var ErrRPC = errors.New("json-rpc")

// maxRPCResponse bounds a JSON-RPC answer read by the explorer.
const maxRPCResponse = 32 << 20

// rpcClient calls one JSON-RPC endpoint over HTTP.
type rpcClient struct {
	url  string
	http *http.Client
	id   atomic.Uint64
}

type rpcRequest struct {
	Version string `json:"jsonrpc"`
	ID      uint64 `json:"id"`
	Method  string `json:"method"`
	Params  []any  `json:"params"`
}

type rpcResponse struct {
	ID     uint64          `json:"id"`
	Result json.RawMessage `json:"result"`
	Error  *struct {
		Code    int    `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

// call runs method and decodes its result into out (if not nil).
func (c *rpcClient) call(ctx context.Context, out any, method string, params ...any) error {
	if params == nil {
		params = []any{}
	}
	body, err := json.Marshal(rpcRequest{Version: "2.0", ID: c.id.Add(1), Method: method, Params: params})
	if err != nil {
		return err
	}
	raw, err := c.post(ctx, body)
	if err != nil {
		return fmt.Errorf("%w: %s at %s: %v", ErrRPC, method, c.url, err)
	}
	var r rpcResponse
	if err := json.Unmarshal(raw, &r); err != nil {
		return fmt.Errorf("%w: %s at %s: bad answer: %v", ErrRPC, method, c.url, err)
	}
	if r.Error != nil {
		return fmt.Errorf("%w: %s at %s: %s (code %d)", ErrRPC, method, c.url, r.Error.Message, r.Error.Code)
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(r.Result, out); err != nil {
		return fmt.Errorf("%w: %s at %s: decoding the result: %v", ErrRPC, method, c.url, err)
	}
	return nil
}

// batch runs several calls of one method in one request; outs[i] receives
// the result of params[i]. A failed element fails the batch.
func (c *rpcClient) batch(ctx context.Context, method string, params [][]any, outs []any) error {
	reqs := make([]rpcRequest, len(params))
	for i, p := range params {
		reqs[i] = rpcRequest{Version: "2.0", ID: uint64(i), Method: method, Params: p}
	}
	body, err := json.Marshal(reqs)
	if err != nil {
		return err
	}
	raw, err := c.post(ctx, body)
	if err != nil {
		return fmt.Errorf("%w: %s batch at %s: %v", ErrRPC, method, c.url, err)
	}
	var rs []rpcResponse
	if err := json.Unmarshal(raw, &rs); err != nil {
		return fmt.Errorf("%w: %s batch at %s: bad answer: %v", ErrRPC, method, c.url, err)
	}
	if len(rs) != len(params) {
		return fmt.Errorf("%w: %s batch at %s: %d answers to %d requests", ErrRPC, method, c.url, len(rs), len(params))
	}
	for _, r := range rs {
		if r.ID >= uint64(len(outs)) {
			return fmt.Errorf("%w: %s batch at %s: unknown id %d", ErrRPC, method, c.url, r.ID)
		}
		if r.Error != nil {
			return fmt.Errorf("%w: %s at %s: %s", ErrRPC, method, c.url, r.Error.Message)
		}
		if err := json.Unmarshal(r.Result, outs[r.ID]); err != nil {
			return fmt.Errorf("%w: %s at %s: decoding the result: %v", ErrRPC, method, c.url, err)
		}
	}
	return nil
}

func (c *rpcClient) post(ctx context.Context, body []byte) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.url, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, maxRPCResponse))
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("HTTP %s: %.200s", resp.Status, raw)
	}
	return raw, nil
}
