package rpc

import (
	"encoding/json"
	"fmt"
	"os"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"
)

// A small JSON Schema checker for the keywords the execution-apis result
// schemas use (type, pattern, enum, required, properties,
// additionalProperties, items, oneOf, anyOf, minimum, maximum). The
// schemas are in testdata/openrpc_results.json, extracted from the
// project's spec (/work/shared/spec/openrpc.json).

var (
	schemaOnce sync.Once
	schemas    map[string]any
	schemaErr  error
	reCache    sync.Map
)

func resultSchema(t *testing.T, method string) any {
	t.Helper()
	schemaOnce.Do(func() {
		raw, err := os.ReadFile("testdata/openrpc_results.json")
		if err != nil {
			schemaErr = err
			return
		}
		var doc struct {
			Methods map[string]struct {
				Result any `json:"result"`
			} `json:"methods"`
		}
		if schemaErr = json.Unmarshal(raw, &doc); schemaErr != nil {
			return
		}
		schemas = make(map[string]any)
		for name, m := range doc.Methods {
			schemas[name] = m.Result
		}
	})
	if schemaErr != nil {
		t.Fatalf("loading schemas: %v", schemaErr)
	}
	s, ok := schemas[method]
	if !ok {
		t.Fatalf("no result schema for %s", method)
	}
	return s
}

// checkResult fails the test if result does not conform to the method's
// result schema.
func checkResult(t *testing.T, method string, result json.RawMessage) {
	t.Helper()
	var v any
	if err := json.Unmarshal(result, &v); err != nil {
		t.Fatalf("%s: result is not JSON: %v", method, err)
	}
	if errs := validateSchema(resultSchema(t, method), v, "result"); len(errs) > 0 {
		t.Fatalf("%s: result does not match the schema:\n  %s\nresult: %s", method, strings.Join(errs, "\n  "), truncate(string(result), 2000))
	}
}

func jsonType(v any) string {
	switch x := v.(type) {
	case nil:
		return "null"
	case bool:
		return "boolean"
	case string:
		return "string"
	case float64:
		if x == float64(int64(x)) {
			return "integer"
		}
		return "number"
	case []any:
		return "array"
	case map[string]any:
		return "object"
	}
	return fmt.Sprintf("%T", v)
}

func validateSchema(schema any, v any, path string) []string {
	s, ok := schema.(map[string]any)
	if !ok {
		return nil // true / {} schemas
	}
	var errs []string
	if want, ok := s["type"].(string); ok {
		got := jsonType(v)
		if !(got == want || want == "number" && got == "integer") {
			return []string{fmt.Sprintf("%s: want type %s, got %s", path, want, got)}
		}
	}
	if enum, ok := s["enum"].([]any); ok {
		found := false
		for _, e := range enum {
			if fmt.Sprint(e) == fmt.Sprint(v) {
				found = true
			}
		}
		if !found {
			errs = append(errs, fmt.Sprintf("%s: %v is not one of %v", path, v, enum))
		}
	}
	if pat, ok := s["pattern"].(string); ok {
		if str, ok := v.(string); ok {
			re, _ := reCache.Load(pat)
			if re == nil {
				re = regexp.MustCompile(pat)
				reCache.Store(pat, re)
			}
			if !re.(*regexp.Regexp).MatchString(str) {
				errs = append(errs, fmt.Sprintf("%s: %q does not match %s", path, truncate(str, 80), pat))
			}
		}
	}
	if n, ok := v.(float64); ok {
		if mn, ok := s["minimum"].(float64); ok && n < mn {
			errs = append(errs, fmt.Sprintf("%s: %v < minimum %v", path, n, mn))
		}
		if mx, ok := s["maximum"].(float64); ok && n > mx {
			errs = append(errs, fmt.Sprintf("%s: %v > maximum %v", path, n, mx))
		}
	}
	if obj, ok := v.(map[string]any); ok {
		props, _ := s["properties"].(map[string]any)
		if req, ok := s["required"].([]any); ok {
			for _, r := range req {
				if _, ok := obj[r.(string)]; !ok {
					errs = append(errs, fmt.Sprintf("%s: missing required field %q", path, r))
				}
			}
		}
		keys := make([]string, 0, len(obj))
		for k := range obj {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			if ps, ok := props[k]; ok {
				errs = append(errs, validateSchema(ps, obj[k], path+"."+k)...)
			} else if ap, ok := s["additionalProperties"].(bool); ok && !ap {
				errs = append(errs, fmt.Sprintf("%s: field %q is not allowed", path, k))
			}
		}
	}
	if arr, ok := v.([]any); ok {
		if items, ok := s["items"]; ok {
			for i, it := range arr {
				errs = append(errs, validateSchema(items, it, fmt.Sprintf("%s[%d]", path, i))...)
			}
		}
	}
	if alts, ok := s["oneOf"].([]any); ok {
		var matched int
		var sub []string
		for i, a := range alts {
			if e := validateSchema(a, v, path); len(e) == 0 {
				matched++
			} else {
				sub = append(sub, fmt.Sprintf("[alternative %d] %s", i, strings.Join(e, "; ")))
			}
		}
		if matched != 1 {
			errs = append(errs, fmt.Sprintf("%s: matches %d of the oneOf alternatives, want exactly 1: %s", path, matched, strings.Join(sub, " | ")))
		}
	}
	if alts, ok := s["anyOf"].([]any); ok {
		var sub []string
		ok := false
		for i, a := range alts {
			if e := validateSchema(a, v, path); len(e) == 0 {
				ok = true
				break
			} else {
				sub = append(sub, fmt.Sprintf("[alternative %d] %s", i, strings.Join(e, "; ")))
			}
		}
		if !ok {
			errs = append(errs, fmt.Sprintf("%s: matches none of the anyOf alternatives: %s", path, strings.Join(sub, " | ")))
		}
	}
	return errs
}

func TestSchemaCheckerRejects(t *testing.T) {
	// The checker itself must catch the mistakes it is there for.
	s := resultSchema(t, "eth_getTransactionReceipt")
	var good map[string]any
	if err := json.Unmarshal([]byte(`{"blockHash":"0x`+strings.Repeat("a", 64)+`","blockNumber":"0x1","from":"0x`+strings.Repeat("1", 40)+`",
		"cumulativeGasUsed":"0x5","gasUsed":"0x5","logs":[],"logsBloom":"0x`+strings.Repeat("0", 512)+`","transactionHash":"0x`+strings.Repeat("b", 64)+`",
		"transactionIndex":"0x0","effectiveGasPrice":"0x0","to":null,"contractAddress":null,"status":"0x1","type":"0x2"}`), &good); err != nil {
		t.Fatal(err)
	}
	if errs := validateSchema(s, good, "r"); len(errs) > 0 {
		t.Fatalf("good receipt rejected: %v", errs)
	}
	for name, mutate := range map[string]func(m map[string]any){
		"leading zero": func(m map[string]any) { m["gasUsed"] = "0x05" },
		"missing":      func(m map[string]any) { delete(m, "logsBloom") },
		"extra field":  func(m map[string]any) { m["output"] = "0x" },
		"bad hash":     func(m map[string]any) { m["blockHash"] = "0x12" },
		"wrong type":   func(m map[string]any) { m["status"] = 1.0 },
	} {
		m := make(map[string]any)
		for k, v := range good {
			m[k] = v
		}
		mutate(m)
		if errs := validateSchema(s, m, "r"); len(errs) == 0 {
			t.Errorf("%s: not caught", name)
		}
	}
}
