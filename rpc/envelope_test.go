package rpc

import (
	"bytes"
	"encoding/json"
	"testing"
)

// successResponse must frame a result exactly as json.Marshal of the
// envelope does, byte for byte.
func TestSuccessResponseMatchesMarshal(t *testing.T) {
	ids := []string{`1`, `-12.5e3`, `"abc"`, `"<a&b>"`, `"\u00e9\n"`, `null`, `"é"`}
	results := []any{nil, "0xab", 7, []string{"<x>", "&"}, map[string]any{"a": []int{1, 2}, "b": nil}, json.RawMessage(`{ "k" : [1, 2] }`)}
	for _, id := range ids {
		for _, r := range results {
			res, err := json.Marshal(r)
			if err != nil {
				t.Fatal(err)
			}
			want, err := json.Marshal(&jsonResponse{Version: "2.0", ID: json.RawMessage(id), Result: res})
			if err != nil {
				t.Fatal(err)
			}
			if got := successResponse(json.RawMessage(id), res); !bytes.Equal(got, want) {
				t.Errorf("id %s result %v:\n got %s\nwant %s", id, r, got, want)
			}
		}
	}
}
