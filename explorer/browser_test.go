package explorer_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
	ethcrypto "github.com/ethereum/go-ethereum/crypto"

	"github.com/gobcos/gobcos/executor/precompiled"
	"github.com/gobcos/gobcos/explorer"
	"github.com/gobcos/gobcos/sdk"
)

// chromium finds a Chromium or Chrome binary. Without one the browser
// test is skipped, except in CI (CI=true), where it must run.
func chromium(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("no chromium binary on PATH, and CI=true: the browser test must run (apt-get install chromium)")
	}
	t.Skip("browser test skipped: no chromium binary on PATH (apt-get install chromium; in CI it is required)")
	return ""
}

// consoleLog collects the page's console errors and uncaught exceptions.
type consoleLog struct {
	mu   sync.Mutex
	errs []string
}

func (l *consoleLog) listen(ev any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	switch e := ev.(type) {
	case *runtime.EventConsoleAPICalled:
		if e.Type == runtime.ConsoleAPICalledTypeError || e.Type == runtime.ConsoleAPICalledTypeAssert {
			var parts []string
			for _, a := range e.Args {
				parts = append(parts, string(a.Value)+a.Description)
			}
			l.errs = append(l.errs, "console."+string(e.Type)+": "+strings.Join(parts, " "))
		}
	case *runtime.EventExceptionThrown:
		msg := e.ExceptionDetails.Text
		if e.ExceptionDetails.Exception != nil {
			msg += " " + e.ExceptionDetails.Exception.Description
		}
		l.errs = append(l.errs, "exception: "+msg)
	}
}

func (l *consoleLog) errors() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.errs...)
}

// waitText polls sel's text until ok accepts it.
func waitText(ctx context.Context, t *testing.T, sel, what string, ok func(string) bool) string {
	t.Helper()
	var last string
	for {
		txt, err := chromedp.Run(ctx, chromedp.Evaluate[string](
			`(function(){const e=document.querySelector(`+strconv.Quote(sel)+`);return e?e.innerText:""})()`))
		if err == nil && ok(strings.TrimSpace(txt)) {
			return strings.TrimSpace(txt)
		}
		if err == nil {
			last = txt
		}
		select {
		case <-ctx.Done():
			t.Fatalf("%s: %s shows %q: %v", what, sel, last, ctx.Err())
		case <-time.After(100 * time.Millisecond):
		}
	}
}

func TestExplorerInBrowser(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a 4-node chain and a browser")
	}
	chrome := chromium(t)
	chain := startChain(t, 4)
	ctx := testCtx(t, 3*time.Minute)

	// The standalone explorer over every node, as `gobcos up` runs it.
	ex, err := explorer.New(explorer.Config{Endpoints: chain.endpoints(), PollInterval: 200 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	addr, err := ex.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ex.Stop() })
	url := "http://" + addr.String() + "/"

	// A tx to the SystemInfo system contract, whose ABI the explorer knows.
	client, err := sdk.Dial(ctx, "http://"+chain.nodes[1].RPCAddr())
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	key, err := client.Suite().GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	to := precompiled.SystemInfoAddress
	// A few more txs first, so the chart has something to show.
	for i := range 6 {
		if _, err := client.SendNative(ctx, key, &to, nil, ethcrypto.Keccak256([]byte("blockNumber()"))[:4], 0); err != nil {
			t.Fatalf("tx %d: %v", i, err)
		}
	}
	rc, err := client.SendNativeWait(ctx, key, &to, nil, ethcrypto.Keccak256([]byte("info()"))[:4], 0)
	if err != nil {
		t.Fatal(err)
	}
	if !rc.Succeeded() {
		t.Fatalf("tx failed: %s", rc.ErrorMessage)
	}

	allocOpts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(chrome), chromedp.NoSandbox,
		chromedp.WindowSize(1360, 900), chromedp.Flag("disable-gpu", true))
	actx, cancelAlloc := chromedp.NewExecAllocator(ctx, allocOpts...)
	defer cancelAlloc()
	var console consoleLog
	bctx, cancelBrowser := chromedp.NewContext(actx, chromedp.WithListener(console.listen))
	defer cancelBrowser()

	// Overview: the node count and the height.
	if err := chromedp.Do(bctx, chromedp.Navigate(url)); err != nil {
		t.Fatal(err)
	}
	waitText(bctx, t, "#overview-nodes", "node count", func(s string) bool { return s == "4" })
	waitText(bctx, t, "#nodes tbody", "every node online", func(s string) bool { return strings.Count(s, "online") == 4 })
	lo, _ := chain.heights()
	shown := waitText(bctx, t, "#overview-height", "height", func(s string) bool {
		h, err := strconv.ParseUint(s, 10, 64)
		return err == nil && h >= lo && h >= rc.BlockNumber
	})
	_, hi := chain.heights()
	if h, _ := strconv.ParseUint(shown, 10, 64); h > hi {
		t.Fatalf("overview height %d is above every node's (%d)", h, hi)
	}
	waitText(bctx, t, "#latest-blocks tbody", "latest blocks", func(s string) bool { return strings.Contains(s, strconv.FormatUint(rc.BlockNumber, 10)) })
	waitText(bctx, t, "#overview-txs", "tx total", func(s string) bool { return s != "—" && s != "0" })
	shot, err := chromedp.Run(bctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatal(err)
	}
	saveScreenshot(t, "overview.png", shot, os.Getenv("GOBCOS_SCREENSHOT"))

	// Search for the tx; its page shows its fields.
	hash := rc.TxHash.Hex()
	if err := search(bctx, hash); err != nil {
		t.Fatal(err)
	}
	waitText(bctx, t, `dd[data-field="hash"]`, "tx page", func(s string) bool { return strings.EqualFold(s, hash) })
	field := func(name string) string {
		s, err := chromedp.Run(bctx, chromedp.Text(chromedp.CSS(`dd[data-field="`+name+`"]`)))
		if err != nil {
			t.Fatalf("field %s: %v", name, err)
		}
		return strings.TrimSpace(s)
	}
	if got := field("from"); !strings.EqualFold(got, key.Address().Hex()) {
		t.Errorf("from %q, want %s", got, key.Address().Hex())
	}
	if got := field("to"); !strings.EqualFold(got, to.Hex()) {
		t.Errorf("to %q, want %s", got, to.Hex())
	}
	if got := field("status"); got != "success" {
		t.Errorf("status %q", got)
	}
	if got := field("block"); got != strconv.FormatUint(rc.BlockNumber, 10) {
		t.Errorf("block %q, want %d", got, rc.BlockNumber)
	}
	if got := field("index"); got != strconv.FormatUint(rc.TxIndex, 10) {
		t.Errorf("index %q, want %d", got, rc.TxIndex)
	}
	if got := field("input"); !strings.Contains(got, "SystemInfo.info") {
		t.Errorf("input %q is not decoded as SystemInfo.info", got)
	}
	if got := field("proofRoot"); got == "" {
		t.Error("no Merkle proof shown")
	}
	if shot, err = chromedp.Run(bctx, chromedp.FullScreenshot(100)); err != nil {
		t.Fatal(err)
	}
	saveScreenshot(t, "tx.png", shot, os.Getenv("GOBCOS_SCREENSHOT_TX"))

	// The block page names the sealer and the commit signers.
	if err := chromedp.Do(bctx, chromedp.Navigate(url+fmt.Sprintf("#/block/%d", rc.BlockNumber))); err != nil {
		t.Fatal(err)
	}
	waitText(bctx, t, `dd[data-field="txCount"]`, "block page", func(s string) bool { return s != "" && s != "0" })
	waitText(bctx, t, "#signers tbody", "commit signers", func(s string) bool { return strings.Count(s, "org") >= 3 })

	// Search by address and by height.
	for _, q := range []struct{ query, sel, want string }{
		{key.Address().Hex(), `dd[data-field="nonce"]`, ""},
		{strconv.FormatUint(rc.BlockNumber, 10), `dd[data-field="number"]`, strconv.FormatUint(rc.BlockNumber, 10)},
	} {
		if err := search(bctx, q.query); err != nil {
			t.Fatal(err)
		}
		waitText(bctx, t, q.sel, "search "+q.query, func(s string) bool { return s != "" && strings.Contains(s, q.want) })
	}
	// The pending page loads.
	if err := chromedp.Do(bctx, chromedp.Navigate(url+"#/pending")); err != nil {
		t.Fatal(err)
	}
	waitText(bctx, t, "#pending-size", "pending page", func(s string) bool { return s != "—" && s != "" })

	if errs := console.errors(); len(errs) > 0 {
		t.Fatalf("the page logged errors:\n%s", strings.Join(errs, "\n"))
	}
}

// search types q into the search box and submits it.
func search(ctx context.Context, q string) error {
	return chromedp.Do(ctx,
		chromedp.SetValue(chromedp.ID("search"), q),
		chromedp.Click(chromedp.CSS("#search-form button")),
	)
}

func saveScreenshot(t *testing.T, name string, png []byte, extra string) {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, png, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot: %s", p)
	if extra != "" {
		if err := os.WriteFile(extra, png, 0o644); err != nil {
			t.Fatalf("GOBCOS_SCREENSHOT: %v", err)
		}
		t.Logf("screenshot: %s", extra)
	}
}
