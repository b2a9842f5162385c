package explorer_test

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	ethcrypto "github.com/ethereum/go-ethereum/crypto"

	"github.com/gobcos/gobcos/explorer"
)

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func post(t *testing.T, url, body string) (int, string) {
	t.Helper()
	resp, err := http.Post(url, "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// The explorer a node serves on [explorer] listen: pages, assets, the
// read-only RPC relay, the node survey, tx totals and ABI decoding.
func TestNodeServedExplorer(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a 4-node chain")
	}
	chain := startChain(t, 4)
	base := "http://" + chain.nodes[0].ExplorerAddr()
	if chain.nodes[0].ExplorerAddr() == "" || chain.nodes[1].ExplorerAddr() != "" {
		t.Fatalf("explorer addresses %q %q", chain.nodes[0].ExplorerAddr(), chain.nodes[1].ExplorerAddr())
	}
	if code, body := get(t, base+"/"); code != 200 || !strings.Contains(body, "gobcos explorer") || strings.Contains(body, "https://") {
		t.Fatalf("index: %d %.200s", code, body)
	}
	for _, a := range []string{"/assets/app.js", "/assets/app.css"} {
		if code, body := get(t, base+a); code != 200 || len(body) < 1000 {
			t.Fatalf("%s: %d", a, code)
		}
	}
	if code, _ := get(t, base+"/assets/nope.js"); code != 404 {
		t.Fatalf("missing asset: %d", code)
	}
	if code, body := post(t, base+"/rpc", `{"jsonrpc":"2.0","id":1,"method":"eth_blockNumber","params":[]}`); code != 200 || !strings.Contains(body, `"result":"0x`) {
		t.Fatalf("rpc relay: %d %s", code, body)
	}
	if code, body := post(t, base+"/rpc", `[{"jsonrpc":"2.0","id":1,"method":"eth_blockNumber"},{"jsonrpc":"2.0","id":2,"method":"eth_sendRawTransaction","params":["0x00"]}]`); code != 403 || !strings.Contains(body, "only reads") {
		t.Fatalf("send through the explorer: %d %s", code, body)
	}
	if code, _ := post(t, base+"/rpc", `{"method":`); code != 403 {
		t.Fatalf("bad JSON: %d", code)
	}

	// The node's own explorer knows every node from the node list and
	// reaches only its own RPC.
	code, body := get(t, base+"/api/nodes")
	var sv explorer.Survey
	if code != 200 || json.Unmarshal([]byte(body), &sv) != nil {
		t.Fatalf("nodes: %d %s", code, body)
	}
	reached := 0
	for _, n := range sv.Nodes {
		if n.Reachable {
			reached++
		}
		if !n.Connected || n.Org == "" || n.Role != "sealer" {
			t.Fatalf("node row %+v", n)
		}
	}
	if len(sv.Nodes) != 4 || reached != 1 || sv.GroupID != "group0" || sv.Consensus != "pbft" {
		t.Fatalf("survey %+v", sv)
	}

	for deadline := time.Now().Add(30 * time.Second); ; {
		var st explorer.Stats
		_, body := get(t, base+"/api/stats")
		if err := json.Unmarshal([]byte(body), &st); err != nil {
			t.Fatal(err)
		}
		if st.Complete && len(st.Series) == int(st.Height)+1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("stats never complete: %s", body)
		}
		time.Sleep(50 * time.Millisecond)
	}

	// Decoding: the SystemInfo system contract is known; an uploaded ABI
	// decodes calls and events of its contract.
	input := "0x" + common.Bytes2Hex(ethcrypto.Keccak256([]byte("info()"))[:4])
	_, body = post(t, base+"/api/decode", `{"to":"0x0000000000000000000000000000000000001000","input":"`+input+`"}`)
	if !strings.Contains(body, `"contract":"SystemInfo"`) || !strings.Contains(body, `"name":"info"`) {
		t.Fatalf("decode SystemInfo: %s", body)
	}
	token := "0x1000000000000000000000000000000000000001"
	abiJSON := `[{"type":"function","name":"transfer","inputs":[{"name":"to","type":"address"},{"name":"amount","type":"uint256"}],"outputs":[{"type":"bool"}]},
	 {"type":"event","name":"Transfer","inputs":[{"name":"from","type":"address","indexed":true},{"name":"to","type":"address","indexed":true},{"name":"value","type":"uint256","indexed":false}]}]`
	if code, body := post(t, base+"/api/abi", `{"address":"`+token+`","name":"Token","abi":`+abiJSON+`}`); code != 200 {
		t.Fatalf("add ABI: %d %s", code, body)
	}
	if code, body := post(t, base+"/api/abi", `{"address":"0x0000000000000000000000000000000000001000","abi":[]}`); code != 400 || !strings.Contains(body, "built in") {
		t.Fatalf("replace a system ABI: %d %s", code, body)
	}
	if code, _ := post(t, base+"/api/abi", `{"address":"`+token+`","abi":{"not":"an abi"}}`); code != 400 {
		t.Fatalf("bad ABI: %d", code)
	}
	_, list := get(t, base+"/api/abi")
	if !strings.Contains(list, `"name":"Token"`) || !strings.Contains(list, `"name":"SystemInfo"`) {
		t.Fatalf("ABI list %s", list)
	}
	to := common.HexToAddress("0x00000000000000000000000000000000000000aa")
	from := common.HexToAddress("0x00000000000000000000000000000000000000bb")
	call := "0x" + common.Bytes2Hex(ethcrypto.Keccak256([]byte("transfer(address,uint256)"))[:4]) +
		common.Bytes2Hex(common.LeftPadBytes(to.Bytes(), 32)) + common.Bytes2Hex(common.LeftPadBytes([]byte{0x01, 0x00}, 32))
	topic0 := ethcrypto.Keccak256Hash([]byte("Transfer(address,address,uint256)")).Hex()
	req := `{"to":"` + token + `","input":"` + call + `","logs":[{"address":"` + token + `","topics":["` + topic0 + `","` +
		common.BytesToHash(from.Bytes()).Hex() + `","` + common.BytesToHash(to.Bytes()).Hex() + `"],"data":"0x` +
		common.Bytes2Hex(common.LeftPadBytes([]byte{0x07}, 32)) + `"},{"address":"` + to.Hex() + `","topics":[],"data":"0x"}]}`
	_, body = post(t, base+"/api/decode", req)
	var dec struct {
		Input *explorer.DecodedCall   `json:"input"`
		Logs  []*explorer.DecodedCall `json:"logs"`
	}
	if err := json.Unmarshal([]byte(body), &dec); err != nil {
		t.Fatal(err)
	}
	if dec.Input == nil || dec.Input.Name != "transfer" || len(dec.Input.Args) != 2 || !strings.EqualFold(dec.Input.Args[0].Value, to.Hex()) || dec.Input.Args[1].Value != "256" {
		t.Fatalf("decoded input %s", body)
	}
	if len(dec.Logs) != 2 || dec.Logs[0] == nil || dec.Logs[0].Name != "Transfer" || len(dec.Logs[0].Args) != 3 ||
		!strings.EqualFold(dec.Logs[0].Args[0].Value, from.Hex()) || dec.Logs[0].Args[2].Value != "7" || dec.Logs[1] != nil {
		t.Fatalf("decoded logs %s", body)
	}
}

// A survey marks the endpoints that do not answer and fails only when none
// does.
func TestSurveyUnreachable(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a 4-node chain")
	}
	chain := startChain(t, 4)
	eps := chain.endpoints()
	chain.nodes[3].Stop()
	chain.nodes[3] = nil
	eps = append(eps, explorer.Endpoint{URL: "http://127.0.0.1:1"})
	ctx := testCtx(t, 30*time.Second)
	sv, err := explorer.TakeSurvey(ctx, &http.Client{Timeout: 5 * time.Second}, eps)
	if err != nil {
		t.Fatal(err)
	}
	if len(sv.Nodes) != 4 || len(sv.Unknown) != 1 || sv.Unknown[0].Err == "" {
		t.Fatalf("survey %+v", sv)
	}
	for i, n := range sv.Nodes {
		if want := i < 3; n.Reachable != want || (n.Info != nil) != want || n.RPC != eps[i].URL || n.Org == "" {
			t.Fatalf("node %d: %+v", i, n)
		}
	}
	if sv.Nodes[3].Err == "" {
		t.Fatal("no error for the stopped node")
	}
	if _, err := explorer.TakeSurvey(ctx, nil, eps[3:]); err == nil {
		t.Fatal("a survey with no node answering succeeded")
	}
}
