package precompiled

import (
	"bytes"
	"flag"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/ethereum/go-ethereum/accounts/abi"
)

var updateABI = flag.Bool("update-abi", false, "rewrite the abi/*.json files from the contracts' tables")

var (
	reFunc  = regexp.MustCompile(`function\s+(\w+)\s*\(([^)]*)\)([^;]*);`)
	reEvent = regexp.MustCompile(`event\s+(\w+)\s*\(([^)]*)\)`)
	reRet   = regexp.MustCompile(`returns\s*\(([^)]*)\)`)
)

// solTypes turns "uint64 id, bytes calldata x" into "uint64,bytes".
func solTypes(params string) string {
	var out []string
	for _, p := range strings.Split(params, ",") {
		if f := strings.Fields(p); len(f) > 0 {
			out = append(out, f[0])
		}
	}
	return strings.Join(out, ",")
}

// TestSolidityInterfaces checks that each .sol interface declares exactly
// the functions (with outputs and mutability) and events the contract
// implements, and that the committed JSON ABI is current.
func TestSolidityInterfaces(t *testing.T) {
	for addr, c := range governanceABIs {
		src, err := os.ReadFile(c.name + ".sol")
		if err != nil {
			t.Fatal(err)
		}
		text := string(src)
		var got, want []string
		for _, m := range reFunc.FindAllStringSubmatch(text, -1) {
			outs := ""
			if r := reRet.FindStringSubmatch(m[3]); r != nil {
				outs = solTypes(r[1])
			}
			view := strings.Contains(m[3], " view")
			got = append(got, m[1]+"("+solTypes(m[2])+")->"+outs+" view="+boolStr(view))
		}
		for _, m := range c.methods {
			want = append(want, m.sig+"->"+typeList(m.out)+" view="+boolStr(!m.write))
		}
		for _, m := range reEvent.FindAllStringSubmatch(text, -1) {
			got = append(got, "event "+m[1]+"("+solTypes(strings.ReplaceAll(m[2], " indexed", ""))+") indexed="+itoa(strings.Count(m[2], " indexed")))
		}
		for _, ev := range c.events {
			want = append(want, "event "+ev.sig+" indexed="+itoa(ev.nIndexed))
		}
		slices.Sort(got)
		slices.Sort(want)
		if !slices.Equal(got, want) {
			t.Errorf("%s.sol does not match the contract:\n sol: %q\n  go: %q", c.name, got, want)
		}
		js, _ := ABIJSON(addr)
		path := "abi/" + c.name + ".json"
		if *updateABI {
			if err := os.WriteFile(path, js, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		if old, err := os.ReadFile(path); err != nil || !bytes.Equal(old, js) {
			t.Errorf("%s is stale or missing (%v): run go test -run TestSolidityInterfaces -update-abi", path, err)
		}
	}
}

func boolStr(b bool) string {
	if b {
		return "true"
	}
	return "false"
}

func itoa(n int) string { return string(rune('0' + n)) }

func typeList(args abi.Arguments) string {
	var out []string
	for _, a := range args {
		out = append(out, a.Type.String())
	}
	return strings.Join(out, ",")
}
