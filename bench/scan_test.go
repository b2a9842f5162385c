package bench

import (
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/ethereum/go-ethereum/common"
)

var (
	hashA = "0x" + strings.Repeat("ab", 32)
	hashB = "0x" + strings.Repeat("0C", 32)
	bloom = "0x" + strings.Repeat("0", 512)
)

// receiptSeeds are eth_getBlockReceipts results: gobcos' shape, with logs
// and nested values, whitespace, escapes, and shapes the selective reader
// leaves to encoding/json.
var receiptSeeds = []string{
	`[{"type":"0x0","status":"0x1","cumulativeGasUsed":"0x5208","logsBloom":"` + bloom + `","logs":[],"transactionHash":"` + hashA + `","transactionIndex":"0x0","blockHash":"` + hashB + `","blockNumber":"0x2","from":"0x1","to":null,"gasUsed":"0x5208","effectiveGasPrice":"0x0","contractAddress":null}]`,
	`[ { "transactionHash" : "` + hashA + `" , "status" : "0x0" } , {"logs":[{"topics":["` + hashB + `"],"data":"0x","removed":false,"x":[1,-2.5e3,true,{"a":[]}]}],"status":"0X1","transactionHash":"` + hashB + `"} ]`,
	`[{"transactionHash":"` + hashA + `","note":"a \"quoted\" \\ word","status":"0x1"}]`,
	`[]`, `null`, ` null `, `[{}]`,
	`[{"transactionHash":"` + hashA + `","status":"0x01"}]`,
	`[{"transactionHash":"` + hashA + `","status":null}]`,
	`[{"transactionHash":"\u0030x` + strings.Repeat("ab", 32) + `","status":"0x1"}]`,
	`[{"transactionHash":"0xab","status":"0x1"}]`,
	`[{"transactionHash":"` + hashA + `","status":"0x1"},]`,
	`[{"transactionHash":"` + hashA + `" "status":"0x1"}]`,
	`{"a":1}`, `[1]`, `["x"]`, `[{"status":"0x10000000000000000"}]`,
}

// TestScanReceipts: the selective reader agrees with encoding/json on
// every result it reads, and leaves the others to it.
func TestScanReceipts(t *testing.T) {
	for i, s := range receiptSeeds {
		if read := checkScanReceipts(t, []byte(s)); read != (i < 7) {
			t.Errorf("seed %d read %v, want %v", i, read, i < 7)
		}
	}
	rs, ok := scanReceipts([]byte(receiptSeeds[1]))
	want := []receiptMsg{{TxHash: common.HexToHash(hashA), Status: 0}, {TxHash: common.HexToHash(hashB), Status: 1}}
	if !ok || !reflect.DeepEqual(rs, want) {
		t.Errorf("got %v %v, want %v", rs, ok, want)
	}
}

// checkScanReceipts: on what encoding/json decodes, the selective reader
// agrees or declines; on the rest (it checks less) it must not panic.
func checkScanReceipts(t *testing.T, raw []byte) bool {
	t.Helper()
	got, ok := scanReceipts(raw)
	var want []receiptMsg
	if json.Unmarshal(raw, &want) != nil {
		return ok
	}
	if ok && (len(got) != len(want) || (len(got) > 0 && !reflect.DeepEqual(got, want))) {
		t.Fatalf("%q: selective reader %v, encoding/json %v", raw, got, want)
	}
	return ok
}

func FuzzScanReceipts(f *testing.F) {
	for _, s := range receiptSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, raw []byte) { checkScanReceipts(t, raw) })
}

// TestBatchResults: answers matched to requests by id in any order, with
// errors per request, a missing answer, an answer without a result, and
// an error for the whole request.
func TestBatchResults(t *testing.T) {
	ids := []int{7, 3, 9, 4}
	pos := func(id int) int {
		for j, i := range ids {
			if i == id {
				return j
			}
		}
		return -1
	}
	answer := `[{"jsonrpc":"2.0","id":3,"error":{"code":-32000,"message":"nonce too low","data":{"x":1}}},` +
		`{"jsonrpc":"2.0","id":7,"result":"` + hashA + `"},{"jsonrpc":"2.0","id":4},{"jsonrpc":"2.0","id":12,"result":null}]`
	errs, err := batchResults([]byte(answer), len(ids), pos, nil)
	if err != nil {
		t.Fatal(err)
	}
	var re *rpcError
	if errs[0] != nil || !errors.As(errs[1], &re) || re.ErrorCode() != -32000 || errs[1].Error() != "nonce too low" ||
		errs[2] != errMissingAnswer || errs[3] != errNoResult {
		t.Errorf("errors %v", errs)
	}
	// The same with escapes in the message: read by encoding/json.
	errs, err = batchResults([]byte(`[{"id":0,"error":{"code":1,"message":"a \u003cb\u003e"}},{"id":1,"result":"0x1"}]`), 2, nil, nil)
	if err != nil || errs[0] == nil || errs[0].Error() != "a <b>" || errs[1] != nil {
		t.Errorf("errors %v, %v", errs, err)
	}
	// One error object for the whole batch.
	errs, err = batchResults([]byte(`{"jsonrpc":"2.0","id":null,"error":{"code":-32600,"message":"batch too large"}}`), 2, nil, nil)
	if err != nil || errs[0] == nil || errs[0].Error() != "batch too large" || errs[1] == nil {
		t.Errorf("errors %v, %v", errs, err)
	}
	// A single answer, and an unusual but valid one (read by encoding/json).
	for _, a := range []string{`{"jsonrpc":"2.0","id":0,"result":"0x1"}`, `{"jsonrpc":"2.0","id":0.0e0,"result":"0x1","id":0}`} {
		if errs, err := batchResults([]byte(a), 1, nil, nil); err != nil || errs[0] != nil {
			t.Errorf("%s: %v, %v", a, errs, err)
		}
	}
	if _, err := batchResults([]byte(`<html>`), 1, nil, nil); err == nil {
		t.Error("an answer that is not JSON was read")
	}
}

// FuzzReadAnswers: on answers encoding/json decodes, the selective reader
// finds the same entries, or declines.
func FuzzReadAnswers(f *testing.F) {
	for _, s := range []string{
		`[{"jsonrpc":"2.0","id":3,"error":{"code":-32000,"message":"nonce too low"}},{"jsonrpc":"2.0","id":7,"result":"` + hashA + `"}]`,
		`{"jsonrpc":"2.0","id":null,"error":{"code":-32600,"message":"x"}}`, `{"id":1,"result":[{"a":"b"}]}`, `[{"ID":1,"Result":2}]`,
		`[{"id":"1","result":null,"error":null}]`, `[]`, `[1]`, `{"id":1,"error":{"code":1.5}}`,
	} {
		f.Add([]byte(s))
	}
	type entry struct {
		id            int
		result, error string
	}
	str := func(a answerEntry) entry {
		e := entry{id: a.id, result: string(a.result)}
		if a.err != nil {
			e.error = a.err.Error()
		}
		return e
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		var scanned []entry
		if !scanAnswers(body, func(a answerEntry) { scanned = append(scanned, str(a)) }) {
			return
		}
		var viaJSON []entry
		if decodeAnswers(body, func(a answerEntry) { viaJSON = append(viaJSON, str(a)) }) != nil {
			return // the fallback refuses what the selective reader read: it checks less
		}
		if !reflect.DeepEqual(scanned, viaJSON) && json.Valid(body) {
			t.Fatalf("%q: selective %v, encoding/json %v", body, scanned, viaJSON)
		}
	})
}
