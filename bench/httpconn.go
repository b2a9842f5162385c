package bench

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"sync"
	"syscall"
	"time"
)

// connClient posts JSON-RPC bodies to one plain-HTTP URL over a keep-alive
// connection of its own, writing the request and reading the answer on the
// calling goroutine. The load generator shares the machine with the nodes
// it measures: net/http's client hands every request and answer between
// the caller and the connection's reader and writer goroutines, and at a
// fixed rate, with a tx or two per request, those handovers and their
// wakeups cost the bench as much as the request's own system calls
// (BENCHMARKS.md, "A leaner load generator at a fixed rate"). The request
// is written by hand (its line and headers never change but for the
// length); the answer is read with net/http's own parser
// (http.ReadResponse), so any HTTP/1.1 answer a server may give (a length,
// chunks, or a close) is read right.
//
// A connection the server closed while idle is found when the next request
// gets no answer at all; that request is sent once more on a new
// connection (nothing of it reached the server, or the server dropped it
// unread).
type connClient struct {
	addr string // host:port to dial
	head []byte // request line and headers, up to the Content-Length value

	mu    sync.Mutex // one request at a time
	conn  net.Conn
	br    *bufio.Reader // reads conn through got
	got   int64         // bytes read from conn since the request was written
	hdr   []byte        // head with this request's length
	parts [2][]byte     // hdr and the body, written at once (writev)
}

// newConnClient is a client of u, or nil when u is not a URL it serves:
// only plain http:// URLs without credentials (net/http serves the rest).
func newConnClient(u *url.URL) *connClient {
	if u.Scheme != "http" || u.User != nil || u.Host == "" {
		return nil
	}
	addr := u.Host
	if u.Port() == "" {
		addr = net.JoinHostPort(u.Hostname(), "80")
	}
	head := fmt.Appendf(nil, "POST %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: gobcos-bench\r\nContent-Type: application/json\r\nAccept: application/json\r\nContent-Length: ", u.RequestURI(), u.Host)
	return &connClient{addr: addr, head: head}
}

// post sends body and returns the answer's body, read into buf (which it
// may grow; the answer is valid until buf's next use). An answer with a
// non-2xx status is an *httpError.
func (c *connClient) post(ctx context.Context, body []byte, buf *bytes.Buffer) ([]byte, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for attempt := 0; ; attempt++ {
		reused := c.conn != nil
		if !reused {
			if err := c.dial(ctx); err != nil {
				return nil, err
			}
		}
		answer, unanswered, err := c.roundTrip(ctx, body, buf)
		if err == nil {
			return answer, nil
		}
		var he *httpError
		if errors.As(err, &he) {
			return nil, err // an answer: the connection stays
		}
		c.closeConn()
		if !reused || !unanswered || attempt > 0 || ctx.Err() != nil {
			return nil, err
		}
	}
}

func (c *connClient) dial(ctx context.Context) error {
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", c.addr)
	if err != nil {
		return err
	}
	c.conn = conn
	if c.br == nil {
		c.br = bufio.NewReaderSize(countingReader{c}, 64<<10)
	} else {
		c.br.Reset(countingReader{c})
	}
	return nil
}

// countingReader reads the client's connection, counting the bytes.
type countingReader struct{ c *connClient }

func (r countingReader) Read(p []byte) (int, error) {
	n, err := r.c.conn.Read(p)
	r.c.got += int64(n)
	return n, err
}

// roundTrip writes one request on the open connection and reads its
// answer. unanswered says that no byte of an answer arrived before the
// connection failed.
func (c *connClient) roundTrip(ctx context.Context, body []byte, buf *bytes.Buffer) (answer []byte, unanswered bool, err error) {
	if ctx.Done() != nil {
		if d, ok := ctx.Deadline(); ok {
			_ = c.conn.SetDeadline(d)
		}
		conn := c.conn
		stop := context.AfterFunc(ctx, func() { _ = conn.SetDeadline(time.Unix(1, 0)) })
		defer func() {
			if !stop() {
				// Cancelled meanwhile: the deadline now in the past
				// would fail the next request.
				c.closeConn()
				if err == nil {
					err = ctx.Err()
				}
			} else if _, ok := ctx.Deadline(); ok && c.conn != nil {
				_ = c.conn.SetDeadline(time.Time{})
			}
		}()
	}
	c.hdr = append(c.hdr[:0], c.head...)
	c.hdr = strconv.AppendInt(c.hdr, int64(len(body)), 10)
	c.hdr = append(c.hdr, "\r\n\r\n"...)
	c.parts = [2][]byte{c.hdr, body}
	bufs := net.Buffers(c.parts[:])
	if _, err := bufs.WriteTo(c.conn); err != nil {
		return nil, true, err
	}
	c.got = 0 // a kept connection holds nothing unread between answers
	resp, err := http.ReadResponse(c.br, nil)
	if err != nil {
		return nil, c.got == 0 && c.br.Buffered() == 0 && (errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, syscall.ECONNRESET)), err
	}
	buf.Reset()
	_, err = buf.ReadFrom(resp.Body)
	resp.Body.Close()
	if err != nil {
		return nil, false, err
	}
	if resp.Close {
		c.closeConn()
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return nil, false, &httpError{status: resp.Status, body: bytes.Clone(buf.Bytes())}
	}
	return buf.Bytes(), false, nil
}

func (c *connClient) closeConn() {
	if c.conn != nil {
		c.conn.Close()
		c.conn = nil
	}
}

// close closes the connection; a later post opens a new one.
func (c *connClient) close() {
	c.mu.Lock()
	c.closeConn()
	c.mu.Unlock()
}
