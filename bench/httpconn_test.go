package bench

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// connServer is an httptest server that counts the connections clients
// open to it.
func connServer(t *testing.T, h http.HandlerFunc) (*httptest.Server, *atomic.Int32) {
	t.Helper()
	var conns atomic.Int32
	s := httptest.NewUnstartedServer(h)
	s.Config.ConnState = func(_ net.Conn, st http.ConnState) {
		if st == http.StateNew {
			conns.Add(1)
		}
	}
	s.Start()
	t.Cleanup(s.Close)
	return s, &conns
}

func TestConnClientPosts(t *testing.T) {
	var host atomic.Value // the server's host:port, as the Host header must name it
	s, conns := connServer(t, func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if r.Method != http.MethodPost || r.URL.RequestURI() != "/rpc?x=1" || r.Header.Get("Content-Type") != "application/json" ||
			r.ContentLength != int64(len(body)) || r.Host != host.Load() {
			http.Error(w, "unexpected request "+r.Method+" "+r.URL.RequestURI(), http.StatusBadRequest)
			return
		}
		switch string(body) {
		case "chunked": // no length: the server sends chunks
			w.Write([]byte("first,"))
			w.(http.Flusher).Flush()
			w.Write([]byte("second"))
		case "close":
			w.Header().Set("Connection", "close")
			w.Write([]byte("closing"))
		case "fail":
			http.Error(w, "refused", http.StatusServiceUnavailable)
		default:
			w.Write(append([]byte("echo:"), body...))
		}
	})
	host.Store(strings.TrimPrefix(s.URL, "http://"))
	c := newRawClient(s.URL + "/rpc?x=1")
	if c == nil || c.cc == nil {
		t.Fatalf("plain http URL %s not served by the connection client", s.URL)
	}
	defer c.close()
	ctx := context.Background()
	var buf bytes.Buffer
	post := func(body string) (string, error) {
		t.Helper()
		got, err := c.post(ctx, []byte(body), &buf)
		return string(got), err
	}
	for i, body := range []string{`{"a":1}`, strings.Repeat("x", 200_000), `[]`} {
		got, err := post(body)
		if err != nil || got != "echo:"+body {
			t.Fatalf("post %d: %.40q, %v", i, got, err)
		}
	}
	if got, err := post("chunked"); err != nil || got != "first,second" {
		t.Fatalf("chunked answer: %q, %v", got, err)
	}
	if n := conns.Load(); n != 1 {
		t.Fatalf("%d connections opened for 4 posts, want 1 kept alive", n)
	}
	got, err := post("fail")
	var he *httpError
	if !errors.As(err, &he) || !strings.Contains(err.Error(), "503") || !strings.Contains(err.Error(), "refused") {
		t.Fatalf("a 503 answer gave %q, %v; want an httpError with status and body", got, err)
	}
	if got, err := post("close"); err != nil || got != "closing" {
		t.Fatalf("answer with Connection: close: %q, %v", got, err)
	}
	if got, err := post("after"); err != nil || got != "echo:after" {
		t.Fatalf("post after a closed connection: %q, %v", got, err)
	}
	if n := conns.Load(); n != 2 {
		t.Fatalf("%d connections opened, want 2 (one new after the server closed the first)", n)
	}
}

// A connection the server dropped while idle costs the next post nothing:
// it is sent again on a new connection.
func TestConnClientIdleConnectionDropped(t *testing.T) {
	s, conns := connServer(t, func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		w.Write(body)
	})
	c := newRawClient(s.URL)
	defer c.close()
	var buf bytes.Buffer
	for i := range 3 {
		if got, err := c.post(context.Background(), []byte("ping"), &buf); err != nil || string(got) != "ping" {
			t.Fatalf("post %d: %q, %v", i, got, err)
		}
		s.CloseClientConnections() // idle, between posts
	}
	if n := conns.Load(); n != 3 {
		t.Fatalf("%d connections opened, want 3", n)
	}
}

// A server that dies partway through an answer on a kept connection may
// have acted on the request: it is not sent again.
func TestConnClientNoRetryAfterPartialAnswer(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	var requests atomic.Int32
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer conn.Close()
				br := bufio.NewReader(conn)
				for {
					req, err := http.ReadRequest(br)
					if err != nil {
						return
					}
					io.Copy(io.Discard, req.Body)
					if requests.Add(1) == 1 {
						io.WriteString(conn, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
						continue
					}
					io.WriteString(conn, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n") // then dies
					return
				}
			}()
		}
	}()
	c := newRawClient("http://" + ln.Addr().String())
	defer c.close()
	var buf bytes.Buffer
	if got, err := c.post(context.Background(), []byte("{}"), &buf); err != nil || string(got) != "ok" {
		t.Fatalf("first post: %q, %v", got, err)
	}
	if _, err := c.post(context.Background(), []byte("{}"), &buf); err == nil {
		t.Fatal("a cut-off answer gave no error")
	}
	if n := requests.Load(); n != 2 {
		t.Fatalf("the server got %d requests, want 2: a request partly answered was sent again", n)
	}
}

// A post whose context ends while the server is silent returns at once,
// and the client works on afterwards.
func TestConnClientCancel(t *testing.T) {
	release := make(chan struct{})
	s, _ := connServer(t, func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if string(body) == "stall" {
			select {
			case <-release:
			case <-r.Context().Done():
			}
			return
		}
		w.Write(body)
	})
	defer close(release)
	c := newRawClient(s.URL)
	defer c.close()
	var buf bytes.Buffer
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	start := time.Now()
	if _, err := c.post(ctx, []byte("stall"), &buf); err == nil {
		t.Fatal("a post to a stalled server returned no error after its context ended")
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Fatalf("the cancelled post took %v", d)
	}
	ctx2, cancel2 := context.WithCancel(context.Background())
	defer cancel2()
	if got, err := c.post(ctx2, []byte("ok"), &buf); err != nil || string(got) != "ok" {
		t.Fatalf("post after a cancelled one: %q, %v", got, err)
	}
	cancel2() // ended after the answer: the next post must not inherit its deadline
	if got, err := c.post(context.Background(), []byte("again"), &buf); err != nil || string(got) != "again" {
		t.Fatalf("post after a context ended between posts: %q, %v", got, err)
	}
}

// URLs the connection client does not serve keep net/http's client.
func TestRawClientKinds(t *testing.T) {
	for url, conn := range map[string]bool{
		"http://127.0.0.1:8545":          true,
		"http://node.example/rpc":        true,
		"https://127.0.0.1:8545":         false,
		"http://user:pw@127.0.0.1:8545/": false,
	} {
		c := newRawClient(url)
		if c == nil || (c.cc != nil) != conn || (c.hc != nil) == conn {
			t.Errorf("%s: connection client %v, want %v", url, c != nil && c.cc != nil, conn)
		}
	}
	if c := newRawClient("ws://127.0.0.1:8546"); c != nil {
		t.Error("a WebSocket URL got a raw HTTP client")
	}
	if c := newRawClient("http://node.example/rpc"); c.cc.addr != "node.example:80" {
		t.Errorf("address of a URL without a port: %s", c.cc.addr)
	}
}
