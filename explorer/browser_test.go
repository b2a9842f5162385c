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
	"github.com/ethereum/go-ethereum/common"
	ethcrypto "github.com/ethereum/go-ethereum/crypto"

	"github.com/gobcos/gobcos/crypto"
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
	ctx := testCtx(t, 5*time.Minute)

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

	checkGovernance(ctx, bctx, t, chain, client, url)
	checkLiveUpdate(ctx, bctx, t, client, key, url)

	if errs := console.errors(); len(errs) > 0 {
		t.Fatalf("the page logged errors:\n%s", strings.Join(errs, "\n"))
	}
}

// checkGovernance makes governance activity (the chain's two governors,
// weight 1 each, thresholds 51%): proposal 1 executed by the second
// governor's vote, proposal 2 rejected by its vote against, proposal 3
// left open; then checks the governance pages and the audit trail.
func checkGovernance(ctx, bctx context.Context, t *testing.T, chain *testChain, client *sdk.Client, url string) {
	t.Helper()
	admins := chain.admins(t)
	if len(admins) != 2 {
		t.Fatalf("%d governors, want 2", len(admins))
	}
	target := common.HexToAddress("0x00000000000000000000000000000000000000bb")
	transact(ctx, t, client, admins[0], "proposeConfig", precompiled.KeyTxCountLimit, "500", uint64(0))
	transact(ctx, t, client, admins[1], "vote", uint64(1), true)
	transact(ctx, t, client, admins[0], "proposeFreeze", target, precompiled.FreezeAccount, uint64(0))
	transact(ctx, t, client, admins[1], "vote", uint64(2), false)
	transact(ctx, t, client, admins[0], "proposeRole", target, uint8(precompiled.RoleAuditor), true, uint64(0))

	// A CNS name that is HTML: the pages must show it as text.
	deploy, err := client.SendNativeWait(ctx, admins[0], nil, nil, common.FromHex("0x600160005360016000f3"), 0)
	if err != nil || deploy.ContractAddress == nil {
		t.Fatalf("deploy: %v", err)
	}
	const evil = `<img src=x onerror="window.injected=1">`
	cnsABI, _ := precompiled.ABI(precompiled.CNSAddress)
	if r, err := client.Contract(precompiled.CNSAddress, cnsABI).Transact(ctx, admins[0], "register", evil, "1<b>", *deploy.ContractAddress, "[]"); err != nil || r.Status != 1 {
		t.Fatalf("register: %v %+v", err, r)
	}

	if err := chromedp.Do(bctx, chromedp.Navigate(url+"#/governance")); err != nil {
		t.Fatal(err)
	}
	waitText(bctx, t, "#cns-names tbody", "CNS names", func(s string) bool { return strings.Contains(s, evil) && strings.Contains(s, "1<b>") })
	if n, err := chromedp.Run(bctx, chromedp.Evaluate[int](`document.querySelectorAll("#cns-names img, #cns-names b").length + (window.injected ? 100 : 0)`)); err != nil || n != 0 {
		t.Fatalf("a CNS name was rendered as HTML (%d) %v", n, err)
	}
	// The resolve box.
	if err := chromedp.Do(bctx, chromedp.SetValue(chromedp.ID("cns-name"), evil), chromedp.Click(chromedp.CSS("#cns-form button"))); err != nil {
		t.Fatal(err)
	}
	waitText(bctx, t, "#cns-result", "resolved name", func(s string) bool {
		return strings.Contains(strings.ToLower(s), strings.ToLower(deploy.ContractAddress.Hex())) && strings.Contains(s, "1<b>")
	})
	waitText(bctx, t, "#proposals tbody", "proposals list", func(s string) bool {
		return strings.Contains(s, "config tx_count_limit = 500") && strings.Contains(s, "executed") &&
			strings.Contains(s, "freeze account "+target.Hex()) && strings.Contains(s, "rejected") &&
			strings.Contains(s, "grant auditor to "+target.Hex()) && strings.Contains(s, "open")
	})
	// Newest first.
	order := waitText(bctx, t, "#proposals tbody tr:first-child", "newest proposal", func(s string) bool { return s != "" })
	if !strings.HasPrefix(order, "#3") {
		t.Errorf("first proposal row %q, want #3", order)
	}
	waitText(bctx, t, "#governors tbody", "committee", func(s string) bool {
		s = strings.ToLower(s)
		return strings.Contains(s, strings.ToLower(admins[0].Address().Hex())) && strings.Contains(s, strings.ToLower(admins[1].Address().Hex()))
	})
	waitText(bctx, t, "#gov-thresholds", "thresholds", func(s string) bool { return s == "51% / 51%" })
	waitText(bctx, t, `#sysconfig tr[data-key="tx_count_limit"] .cfg-value`, "config value", func(s string) bool { return s == "500" })
	waitText(bctx, t, "#consensus-nodes tbody", "consensus nodes", func(s string) bool { return strings.Count(s, "sealer") == 4 })
	waitText(bctx, t, "#roles tbody", "roles", func(s string) bool { return strings.Contains(s, "governor") && strings.Contains(s, "auditor") })

	// The proposal pages show each governor's vote.
	for _, c := range []struct {
		id, status string
		votes      []string
	}{
		{"1", "executed", []string{"for", "for"}},
		{"2", "rejected", []string{"for", "against"}},
		{"3", "open", []string{"for", "not voted"}},
	} {
		if err := chromedp.Do(bctx, chromedp.Navigate(url+"#/proposal/"+c.id)); err != nil {
			t.Fatal(err)
		}
		waitText(bctx, t, `dd[data-field="status"]`, "proposal "+c.id+" status", func(s string) bool { return s == c.status })
		for i, a := range admins {
			sel := `#votes tr[data-governor="` + strings.ToLower(a.Address().Hex()) + `"] .vote`
			waitText(bctx, t, sel, "proposal "+c.id+" vote", func(s string) bool { return s == c.votes[i] })
		}
		waitText(bctx, t, "#proposal-events tbody", "proposal "+c.id+" events", func(s string) bool { return strings.Contains(s, "ProposalCreated") })
	}

	// The audit trail lists the events, newest first, linking to txs.
	if err := chromedp.Do(bctx, chromedp.Navigate(url+"#/audit")); err != nil {
		t.Fatal(err)
	}
	trail := waitText(bctx, t, "#audit tbody", "audit trail", func(s string) bool {
		for _, ev := range []string{"ProposalCreated", "VoteCast", "ProposalExecuted", "ConfigChanged", "ProposalRejected"} {
			if !strings.Contains(s, ev) {
				return false
			}
		}
		return true
	})
	if i, j := strings.Index(trail, "ProposalRejected"), strings.Index(trail, "ProposalExecuted"); i < 0 || j < 0 || i > j {
		t.Errorf("the audit trail is not newest first:\n%s", trail)
	}
	links, err := chromedp.Run(bctx, chromedp.Evaluate[int](`document.querySelectorAll('#audit tbody a[href^="#/tx/"]').length`))
	if err != nil || links < 8 {
		t.Errorf("audit trail tx links: %d %v", links, err)
	}
	shot, err := chromedp.Run(bctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatal(err)
	}
	saveScreenshot(t, "audit.png", shot, os.Getenv("GOBCOS_SCREENSHOT_AUDIT"))
	if err := chromedp.Do(bctx, chromedp.Navigate(url+"#/governance")); err != nil {
		t.Fatal(err)
	}
	waitText(bctx, t, "#sysconfig", "governance page", func(s string) bool { return s != "" })
	if shot, err = chromedp.Run(bctx, chromedp.FullScreenshot(100)); err != nil {
		t.Fatal(err)
	}
	saveScreenshot(t, "governance.png", shot, os.Getenv("GOBCOS_SCREENSHOT_GOV"))
}

// checkLiveUpdate: with the overview open, a new block shows up without a
// reload, pushed by the explorer's event stream.
func checkLiveUpdate(ctx, bctx context.Context, t *testing.T, client *sdk.Client, key crypto.PrivateKey, url string) {
	t.Helper()
	if err := chromedp.Do(bctx, chromedp.Navigate(url)); err != nil {
		t.Fatal(err)
	}
	attr := func(name string) string {
		v, err := chromedp.Run(bctx, chromedp.Evaluate[string](`document.getElementById("live").dataset.`+name+` || ""`))
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	for deadline := time.Now().Add(60 * time.Second); attr("mode") != "stream"; time.Sleep(100 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("the page did not open the event stream (mode %q)", attr("mode"))
		}
	}
	waitText(bctx, t, "#latest-blocks tbody", "latest blocks", func(s string) bool { return s != "" })
	heads, _ := strconv.Atoi(attr("heads"))
	// A mark that a reload would wipe.
	if _, err := chromedp.Run(bctx, chromedp.Evaluate[bool](`window.notReloaded = true`)); err != nil {
		t.Fatal(err)
	}
	to := precompiled.SystemInfoAddress
	rc, err := client.SendNativeWait(ctx, key, &to, nil, ethcrypto.Keccak256([]byte("chainId()"))[:4], 0)
	if err != nil {
		t.Fatal(err)
	}
	atLeast := func(s string) bool {
		h, err := strconv.ParseUint(s, 10, 64)
		return err == nil && h >= rc.BlockNumber
	}
	waitText(bctx, t, "#latest-blocks tbody tr:first-child td:first-child", fmt.Sprintf("new block %d", rc.BlockNumber), atLeast)
	waitText(bctx, t, "#overview-height", "new height", atLeast)
	if still, err := chromedp.Run(bctx, chromedp.Evaluate[bool](`window.notReloaded === true`)); err != nil || !still {
		t.Fatalf("the page was reloaded: %v", err)
	}
	if h, _ := strconv.Atoi(attr("heads")); h <= heads {
		t.Fatalf("no head event arrived (%d before, %d after)", heads, h)
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
