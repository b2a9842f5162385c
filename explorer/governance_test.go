package explorer_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	ethcrypto "github.com/ethereum/go-ethereum/crypto"

	"github.com/gobcos/gobcos/chainbuild"
	"github.com/gobcos/gobcos/crypto"
	"github.com/gobcos/gobcos/executor/precompiled"
	"github.com/gobcos/gobcos/explorer"
	"github.com/gobcos/gobcos/node"
	"github.com/gobcos/gobcos/sdk"
)

// admins are the chain's organisations' admin keys: its governors.
func (c *testChain) admins(t *testing.T) []crypto.PrivateKey {
	t.Helper()
	var out []crypto.PrivateKey
	for _, o := range c.manifest.Orgs {
		k, err := node.LoadKey(filepath.Join(c.dir, chainbuild.OrgsDir, o.Name, chainbuild.AdminKeyFile), c.nodes[0].Genesis().Suite())
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, k)
	}
	return out
}

// transact calls a Committee function as key and fails the test unless
// the transaction succeeds.
func transact(ctx context.Context, t *testing.T, client *sdk.Client, key crypto.PrivateKey, method string, args ...any) {
	t.Helper()
	a, _ := precompiled.ABI(precompiled.CommitteeAddress)
	r, err := client.Contract(precompiled.CommitteeAddress, a).Transact(ctx, key, method, args...)
	if err != nil {
		t.Fatalf("%s: %v", method, err)
	}
	if r.Status != 1 {
		t.Fatalf("%s failed: %s", method, r.ErrorMessage)
	}
}

// The governance endpoints on a one-node chain with one governor (its
// proposals execute at once), and their answers to bad input.
func TestGovernanceEndpoints(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a chain")
	}
	chain := startChain(t, 1)
	ctx := testCtx(t, 2*time.Minute)
	base := "http://" + chain.nodes[0].ExplorerAddr()
	client, err := sdk.Dial(ctx, "http://"+chain.nodes[0].RPCAddr())
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	gov := chain.admins(t)[0]
	user := common.HexToAddress("0x00000000000000000000000000000000000000aa")
	transact(ctx, t, client, gov, "proposeConfig", precompiled.KeyTxCountLimit, "500", uint64(0))
	transact(ctx, t, client, gov, "proposeFreeze", user, precompiled.FreezeAccount, uint64(0))
	// From compatibility version 0.4.0 the config change is in force from
	// the second block after its own: commit one more.
	key, err := client.Suite().GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	if r, err := client.SendNativeWait(ctx, key, &common.Address{0x5a}, nil, nil, 0); err != nil || !r.Succeeded() {
		t.Fatalf("one more block: %+v %v", r, err)
	}

	var g explorer.Governance
	code, body := get(t, base+"/api/governance")
	if code != 200 || json.Unmarshal([]byte(body), &g) != nil {
		t.Fatalf("governance: %d %s", code, body)
	}
	if len(g.Governors) != 1 || g.Governors[0].Address != gov.Address() || g.Governors[0].Weight != 1 || g.ProposalCount != 2 {
		t.Fatalf("committee: %+v", g)
	}
	if g.Participation != 51 || g.Approval != 51 {
		t.Fatalf("thresholds %d %d", g.Participation, g.Approval)
	}
	found := false
	for _, c := range g.Config {
		if c.Key == precompiled.KeyTxCountLimit {
			found = c.Value == "500" && c.EnableNumber > 0
		}
	}
	if !found {
		t.Fatalf("config: %+v", g.Config)
	}
	if len(g.Nodes) != 1 || g.Nodes[0].Type != "sealer" || g.Nodes[0].Weight != 1 || !strings.EqualFold(g.Nodes[0].NodeID, "0x04"+chain.manifest.Nodes[0].NodeID) {
		t.Fatalf("nodes: %+v", g.Nodes)
	}
	if len(g.Roles) != 5 || g.Roles[0].Name != "governor" || len(g.Roles[0].Members) != 1 {
		t.Fatalf("roles: %+v", g.Roles)
	}
	if !g.History.Complete || len(g.History.FrozenAccounts) != 1 || g.History.FrozenAccounts[0].Address != user {
		t.Fatalf("frozen accounts: %+v", g.History)
	}

	var page struct {
		Total     uint64
		Proposals []explorer.ProposalView
	}
	code, body = get(t, base+"/api/governance/proposals")
	if code != 200 || json.Unmarshal([]byte(body), &page) != nil {
		t.Fatalf("proposals: %d %s", code, body)
	}
	if page.Total != 2 || len(page.Proposals) != 2 || page.Proposals[0].ID != 2 ||
		page.Proposals[0].Summary != "freeze account "+user.Hex() || page.Proposals[1].Summary != "config tx_count_limit = 500" ||
		page.Proposals[1].Status != "executed" {
		t.Fatalf("proposals: %s", body)
	}
	code, body = get(t, base+"/api/governance/proposals?first=1&count=1")
	if code != 200 || json.Unmarshal([]byte(body), &page) != nil || len(page.Proposals) != 1 || page.Proposals[0].ID != 1 {
		t.Fatalf("first page: %d %s", code, body)
	}

	var d explorer.ProposalDetail
	code, body = get(t, base+"/api/governance/proposals/1")
	if code != 200 || json.Unmarshal([]byte(body), &d) != nil {
		t.Fatalf("proposal: %d %s", code, body)
	}
	if len(d.Votes) != 1 || d.Votes[0].Vote != "for" || !d.EventsComplete {
		t.Fatalf("proposal 1: %s", body)
	}
	var names []string
	for _, e := range d.Events {
		names = append(names, e.Event.Name)
	}
	if strings.Join(names, ",") != "ProposalCreated,VoteCast,ProposalExecuted" {
		t.Fatalf("proposal 1 events: %v", names)
	}

	// Bad input: clear errors, no crash.
	for _, c := range []struct {
		path string
		code int
		want string
	}{
		{"/api/governance/proposals/abc", 400, "whole number"},
		{"/api/governance/proposals/0", 400, "whole number"},
		{"/api/governance/proposals/-1", 400, "whole number"},
		{"/api/governance/proposals/99999999999999999999999", 400, "whole number"},
		{"/api/governance/proposals/3", 404, "no such proposal"},
		{"/api/governance/proposals?count=0", 400, "count"},
		{"/api/governance/proposals?count=101", 400, "count"},
		{"/api/governance/proposals?first=x", 400, "first"},
		{"/api/governance/proposals?first=" + strings.Repeat("9", 300), 400, "first"},
	} {
		code, body := get(t, base+c.path)
		if code != c.code || !strings.Contains(body, c.want) {
			t.Errorf("%s: %d %s", c.path, code, body)
		}
	}
	// A page past the last proposal is empty.
	code, body = get(t, base+"/api/governance/proposals?first=50")
	if code != 200 || !strings.Contains(body, `"proposals":[]`) {
		t.Errorf("page past the end: %d %s", code, body)
	}

	// The relay passes bcos_resolveName (a read) and the governance
	// contracts' logs.
	if code, body := post(t, base+"/rpc", `{"jsonrpc":"2.0","id":1,"method":"bcos_resolveName","params":["nothing"]}`); code != 200 || !strings.Contains(body, "no CNS name") {
		t.Errorf("bcos_resolveName: %d %s", code, body)
	}
	if code, body := post(t, base+"/rpc", `{"jsonrpc":"2.0","id":1,"method":"eth_getLogs","params":[{"fromBlock":"0x0","toBlock":"latest","address":"`+precompiled.SystemConfigAddress.Hex()+`"}]}`); code != 200 || !strings.Contains(body, `"transactionHash"`) {
		t.Errorf("eth_getLogs: %d %s", code, body)
	}
	// A governance tx's input and logs decode.
	a, _ := precompiled.ABI(precompiled.CommitteeAddress)
	input, _ := a.Pack("vote", uint64(1), true)
	if code, body := post(t, base+"/api/decode", fmt.Sprintf(`{"to":%q,"input":"0x%x"}`, precompiled.CommitteeAddress.Hex(), input)); code != 200 || !strings.Contains(body, `"name":"vote"`) {
		t.Errorf("decode a vote: %d %s", code, body)
	}
}

// sseReader reads the events of a GET /api/events stream.
type sseReader struct {
	resp *http.Response
	sc   *bufio.Scanner
}

func openEvents(t *testing.T, ctx context.Context, url string) (*sseReader, int) {
	t.Helper()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 200 {
		resp.Body.Close()
		return nil, resp.StatusCode
	}
	if ct := resp.Header.Get("Content-Type"); ct != "text/event-stream" {
		t.Fatalf("content type %q", ct)
	}
	return &sseReader{resp: resp, sc: bufio.NewScanner(resp.Body)}, 200
}

// next returns the data of the next "head" event; ok is false when the
// stream ended.
func (r *sseReader) next() (explorer.Head, bool) {
	event := ""
	for r.sc.Scan() {
		line := r.sc.Text()
		switch {
		case strings.HasPrefix(line, "event: "):
			event = strings.TrimPrefix(line, "event: ")
		case strings.HasPrefix(line, "data: ") && event == "head":
			var h explorer.Head
			if json.Unmarshal([]byte(strings.TrimPrefix(line, "data: ")), &h) == nil {
				return h, true
			}
		}
	}
	return explorer.Head{}, false
}

// The live event stream: heads arrive as blocks are made; the number of
// streams is bounded; Stop ends open streams.
func TestEventStream(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a chain")
	}
	chain := startChain(t, 1)
	ctx := testCtx(t, 2*time.Minute)
	ex, err := explorer.New(explorer.Config{Endpoints: chain.endpoints()[:1], MaxEventClients: 1})
	if err != nil {
		t.Fatal(err)
	}
	addr, err := ex.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	stopped := false
	t.Cleanup(func() {
		if !stopped {
			ex.Stop()
		}
	})
	url := "http://" + addr.String() + "/api/events"
	ev, code := openEvents(t, ctx, url)
	if code != 200 {
		t.Fatalf("events: %d", code)
	}
	defer ev.resp.Body.Close()
	// A second stream is refused while the first is open.
	if _, code := openEvents(t, ctx, url); code != http.StatusServiceUnavailable {
		t.Fatalf("second stream: %d, want 503", code)
	}

	client, err := sdk.Dial(ctx, "http://"+chain.nodes[0].RPCAddr())
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	key, err := client.Suite().GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	to := precompiled.SystemInfoAddress
	rc, err := client.SendNativeWait(ctx, key, &to, nil, ethcrypto.Keccak256([]byte("info()"))[:4], 0)
	if err != nil {
		t.Fatal(err)
	}
	for {
		h, ok := ev.next()
		if !ok {
			t.Fatalf("the stream ended before block %d", rc.BlockNumber)
		}
		if h.Number >= rc.BlockNumber {
			if h.Number == rc.BlockNumber && h.Hash != rc.BlockHash {
				t.Fatalf("head %d hash %s, receipt's block %s", h.Number, h.Hash, rc.BlockHash)
			}
			break
		}
	}
	// Stop ends the open stream.
	t0 := time.Now()
	err = ex.Stop()
	t.Logf("stop took %v", time.Since(t0))
	if err != nil {
		t.Fatalf("stop: %v", err)
	}
	stopped = true
	for {
		if _, ok := ev.next(); !ok {
			break
		}
	}
}
