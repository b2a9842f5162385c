package console_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/gobcos/gobcos/console"
	"github.com/gobcos/gobcos/crypto"
	"github.com/gobcos/gobcos/internal/cryptotest"
	"github.com/gobcos/gobcos/sdk"
)

// session is a console over a buffer with helpers that fail the test.
type session struct {
	t   *testing.T
	ctx context.Context
	c   *console.Console
	out *bytes.Buffer
}

func newSession(t *testing.T, ctx context.Context, opts console.Options, client *sdk.Client) *session {
	t.Helper()
	var out bytes.Buffer
	opts.Out = &out
	if opts.Timeout == 0 {
		opts.Timeout = 30 * time.Second
	}
	return &session{t: t, ctx: ctx, out: &out, c: console.New(client, opts)}
}

// run runs line, which must succeed, and returns its output.
func (s *session) run(line string) string {
	s.t.Helper()
	s.out.Reset()
	if err := s.c.Exec(s.ctx, line); err != nil {
		s.t.Fatalf("%s: %v\n%s", line, err, s.out.String())
	}
	return s.out.String()
}

// has runs line and checks its output holds every sub.
func (s *session) has(line string, subs ...string) string {
	s.t.Helper()
	got := s.run(line)
	for _, sub := range subs {
		if !strings.Contains(got, sub) {
			s.t.Fatalf("%s: output lacks %q:\n%s", line, sub, got)
		}
	}
	return got
}

// fails runs line, which must fail with an error matching want (when not
// nil) and holding every sub.
func (s *session) fails(line string, want error, subs ...string) {
	s.t.Helper()
	s.out.Reset()
	err := s.c.Exec(s.ctx, line)
	if err == nil {
		s.t.Fatalf("%s: no error:\n%s", line, s.out.String())
	}
	if want != nil && !errors.Is(err, want) {
		s.t.Fatalf("%s: err = %v, want %v", line, err, want)
	}
	for _, sub := range subs {
		if !strings.Contains(err.Error(), sub) {
			s.t.Fatalf("%s: error %q lacks %q", line, err, sub)
		}
	}
}

var reAddr = regexp.MustCompile(`contractAddress: (0x[0-9a-fA-F]{40})`)

// deployed runs a deploy line and returns the contract address.
func (s *session) deployed(line string) string {
	s.t.Helper()
	got := s.run(line)
	m := reAddr.FindStringSubmatch(got)
	if m == nil {
		s.t.Fatalf("%s:\n%s", line, got)
	}
	return m[1]
}

const (
	a1 = "0x0000000000000000000000000000000000000001"
	a2 = "0x0000000000000000000000000000000000000002"
	a3 = "0x0000000000000000000000000000000000000003"
)

// TestABIValues calls and sends with arguments and results of many ABI
// types: all integer sizes, negative integers, bytes, fixed and dynamic
// arrays, nested arrays, tuples and arrays of tuples; and checks that
// malformed values get clear errors.
func TestABIValues(t *testing.T) {
	client := startChain(t)
	key := cryptotest.Key(t, client.Suite())
	ctx, cancel := context.WithTimeout(context.Background(), 120*time.Second)
	defer cancel()
	s := newSession(t, ctx, console.Options{Key: key}, client)
	ty := artifacts + "Types.abi"
	addr := s.deployed("deploy " + ty + " " + artifacts + "Types.bin -12 [3, 4]")

	s.has("call "+addr+" "+ty+" seed", "(int16) -12")
	s.has("call "+addr+" "+ty+" init 1", "(uint8) 4")
	minInt256 := "-57896044618658097711785492504343953926634992332820282019728792003956564819968"
	s.has("call "+addr+" "+ty+" ints -128 -8388608 "+minInt256+" 255 1099511627775 0xff",
		"(int8) -128", "(int24) -8388608", "(int256) "+minInt256, "(uint8) 255", "(uint40) 1099511627775", "(uint256) 255")
	s.has(`call `+addr+` `+ty+` arrays [1, 2, 3] [7,8,9] ["a b", 'c', plain] [[1, 2], [], [3]] [0x01, 0xff]`,
		"(uint256[]) [1, 2, 3]", "(uint8[3]) [7, 8, 9]", `(string[]) ["a b", "c", "plain"]`, "(uint16[][]) [[1, 2], [], [3]]",
		"(bytes32[2]) [0x01"+strings.Repeat("0", 62)+", 0xff"+strings.Repeat("0", 62)+"]")
	s.has("call "+addr+" "+ty+" blobs 0xdeadbeef 0x01020304 0x"+strings.Repeat("ab", 32)+" true",
		"(bytes) 0xdeadbeef", "(bytes4) 0x01020304", "(bytes32) 0x"+strings.Repeat("ab", 32), "(bool) true")
	s.has("call "+addr+" "+ty+" tuple ("+a1+", -5) [("+a2+", 7), ("+a3+", -8)]",
		"(0x0000000000000000000000000000000000000001, -5)",
		"[(0x0000000000000000000000000000000000000002, 7), (0x0000000000000000000000000000000000000003, -8)]",
		"n (uint256) 2")
	s.has(`call `+addr+` `+ty+` entries [("alice", [1, 2], (`+a1+`, 3)), ('bob b', [], (`+a2+`, -4))]`,
		`[("alice", [1, 2], (0x0000000000000000000000000000000000000001, 3)), ("bob b", [], (0x0000000000000000000000000000000000000002, -4))]`,
		"total (uint256) 3")
	s.has("call "+addr+" "+ty+" sum [-5, 3, -10]", "total (int256) -12")
	s.has("call "+addr+" "+ty+" sum []", "total (int256) 0")

	got := s.has(`send `+addr+` `+ty+` store (`+a1+`, -9) [1,2,3] "hello world" -77`,
		"status: 1", "event: Stored", "level: -77", "note: hello world", "from: "+key.Address().Hex())
	if !strings.Contains(got, "n: -9") || !strings.Contains(got, "who: "+a1) {
		t.Fatalf("store: tuple event argument:\n%s", got)
	}
	s.has("call "+addr+" "+ty+" pairs 0", "(address) "+a1, "(int32) -9")

	// The events of the contract, decoded by the ABI.
	s.has("events "+addr+" "+ty, "Stored(from="+key.Address().Hex()+", level=-77, pair=("+a1+", -9), list=[1, 2, 3], note=\"hello world\")", "1 events")
	s.has("events "+addr+" "+ty+" 0 latest", "Stored(")
	s.has("events "+addr, "topics 0x", "1 events") // no ABI: raw
	s.has("events "+addr+" "+ty+" latest", "events")

	// --json: arrays as lists, tuples as objects, integers as strings.
	var jout bytes.Buffer
	jc := console.New(client, console.Options{Key: key, Out: &jout, JSON: true})
	if err := jc.Exec(ctx, "call "+addr+" "+ty+" tuple ("+a1+", -5) [("+a2+", 7)]"); err != nil {
		t.Fatal(err)
	}
	var res []any
	if err := json.Unmarshal(jout.Bytes(), &res); err != nil || len(res) != 3 {
		t.Fatalf("tuple json %q: %v", jout.String(), err)
	}
	if p, _ := res[0].(map[string]any); p["who"] != a1 || p["n"] != "-5" {
		t.Fatalf("tuple json: %v", res[0])
	}
	if ps, _ := res[1].([]any); len(ps) != 1 || ps[0].(map[string]any)["n"] != "7" {
		t.Fatalf("tuple[] json: %v", res[1])
	}
	jout.Reset()
	if err := jc.Exec(ctx, "events "+addr+" "+ty); err != nil {
		t.Fatal(err)
	}
	var evs []map[string]any
	if err := json.Unmarshal(jout.Bytes(), &evs); err != nil || len(evs) != 1 || evs[0]["event"] != "Stored" {
		t.Fatalf("events json %q: %v", jout.String(), err)
	}
	if args := evs[0]["args"].(map[string]any); args["level"] != "-77" || args["pair"].(map[string]any)["n"] != "-9" {
		t.Fatalf("events json args: %v", evs[0]["args"])
	}

	// Malformed values: clear errors naming the argument and the element.
	for line, want := range map[string]string{
		"ints 128 0 0 0 0 0":                 "argument 1 (int8 a): 128 does not fit in int8",
		"ints -129 0 0 0 0 0":                "-129 does not fit in int8",
		"ints 0 8388608 0 0 0 0":             "does not fit in int24",
		"ints 0 0 0 -1 0 0":                  "-1 is negative, uint8 is unsigned",
		"ints 0 0 0 256 0 0":                 "256 does not fit in uint8",
		"ints 0 0 0 0 0 1.5":                 `"1.5" is not an integer`,
		"ints 0 0 0 0 0 [1]":                 `"[1]" is not an integer`,
		"sum [1,,2]":                         "missing value at offset 3",
		"sum [1, x]":                         `[1]: "x" is not an integer`,
		"sum [1, 2] extra":                   "sum takes 1 arguments",
		"sum 5":                              "want a list like [a, b] for int256[], got \"5\"",
		"sum [1, 2]]":                        "unexpected ']'",
		"sum [1, [2]]":                       "[1]: want a int256, got a list",
		"arrays [] [1,2] [] [] [0x01, 0x02]": "uint8[3] takes 3 elements, got 2",
		"arrays [] [1,2,3] [] [[1], [70000]] [0x1,0x2]":                      "[1][0]: 70000 does not fit in uint16",
		"arrays [] [1,2,3] [] [] [0x01, 0x" + strings.Repeat("00", 33) + "]": "[1]: \"0x" + strings.Repeat("00", 33) + "\" is not 0x hex of at most 32 bytes",
		"blobs 0xzz 0x01 0x01 true":                                          `"0xzz" is not 0x hex bytes`,
		"blobs 0x 0x0102030405 0x01 true":                                    "at most 4 bytes",
		"blobs 0x 0x01 0x01 maybe":                                           `"maybe" is not true or false`,
		"tuple (" + a1 + ") []":                                              "has 2 components, got 1",
		"tuple (" + a1 + ", 1) [(" + a1 + ", x)]":                            `[0].n: "x" is not an integer`,
		"tuple (0x12, 1) []":                                                 `.who: "0x12" is not an address`,
		"tuple (NoSuchName, 1) []":                                           "is not an address nor a known CNS name",
		`entries [("a", [1], 5)]`:                                            "[0].pair: want a tuple like (a, b)",
		`sum "[1, 2"`:                                                        "unclosed '[' opened at offset 0",
	} {
		s.fails("call "+addr+" "+ty+" "+line, console.ErrBadArg, want)
	}
	s.fails("call "+addr+" "+ty+" sum [1, 2", console.ErrBadArg, "unclosed bracket")
	s.fails("deploy "+ty+" "+artifacts+"Types.bin 1 [1, 2, 3]", console.ErrBadArg, "argument 2 (uint8[2] init_): uint8[2] takes 2 elements, got 3")
	s.fails("deploy "+ty+" "+artifacts+"Types.bin 40000 [1, 2]", console.ErrBadArg, "does not fit in int16")
}

// TestCNSCommands registers versions of a contract under a name, resolves
// them, routes by a gray split, and uses the name wherever an address goes.
func TestCNSCommands(t *testing.T) {
	client := startChain(t)
	key := cryptotest.Key(t, client.Suite())
	other := cryptotest.Key(t, crypto.ECDSA())
	ctx, cancel := context.WithTimeout(context.Background(), 120*time.Second)
	defer cancel()
	s := newSession(t, ctx, console.Options{Key: key}, client)
	ty := artifacts + "Types.abi"
	v1 := s.deployed("deploy " + ty + " " + artifacts + "Types.bin 1 [1, 1]")
	v2 := s.deployed("deploy " + ty + " " + artifacts + "Types.bin 2 [2, 2]")

	s.has("cns-register Types 1.0 "+v1+" "+ty, "event: NameRegistered", "status: 1")
	s.has("cns-resolve Types", "address: "+v1, "version: 1.0")
	s.has("cns-resolve Types 1.0", "address: "+v1, `"name":"seed"`)
	s.has("call Types "+ty+" seed", "(int16) 1")
	s.has("balance Types", "address: "+v1, "balance: 0")
	// A name where an address argument goes.
	s.has("call "+v2+" "+ty+" tuple (Types, 1) []", "("+v1+", 1)")
	// Events by name: the ABI comes from CNS.
	s.has("send Types "+ty+" store ("+a1+", 5) [] note 1", "event: Stored")
	s.has("events Types", "Stored(", "level=1", "1 events")
	// Without an ABI file: the ABI registered in CNS, or a system contract's.
	s.has("call Types seed", "(int16) 1")
	s.has("send Types store ("+a2+", 6) [7] 'no file' 2", "event: Stored", "level: 2")
	s.has("call Types count", "(uint256) 2")
	s.has("call committee getThresholds", "participation (uint8)", "approval (uint8)")
	s.has("call systemconfig getValueByKey tx_count_limit", "value (string) ")
	s.fails("call "+v1+" seed", console.ErrBadArg, "give one for an address")
	s.fails("call Types missing.abi seed", nil, "missing.abi")

	s.has("cns-register Types 2.0 "+v2, "event: NameRegistered")
	s.has("cns-resolve Types", "address: "+v2, "version: 2.0")
	s.fails("call Types seed", console.ErrBadArg, "CNS holds no ABI") // 2.0 was registered without one
	s.has("cns-versions Types", "owner: "+key.Address().Hex(), "version: 1.0", "version: 2.0", "address: "+v1, "address: "+v2)
	s.fails("cns-register Types 2.0 "+v2, nil, "already registered")
	s.fails("cns-gray Types 1.0 2.0 101%", console.ErrBadArg, "want 0% to 100%")
	s.fails("cns-gray Types 1.0 2.0 10001", console.ErrBadArg, "basis points")

	// All senders to version B, then none: the route decides.
	s.has("cns-gray Types 1.0 2.0 100%", "event: GrayRouteSet")
	s.has("cns-versions Types", "gray:", "shareB: 10000", "versionA: 1.0", "versionB: 2.0")
	s.has("cns-resolve Types", "address: "+v2)
	s.has("cns-route Types "+other.Address().Hex(), "address: "+v2, "version: 2.0")
	s.fails("cns-route Types 0x12", console.ErrBadArg, "not an address")
	s.has("cns-gray Types 1.0 2.0 0", "event: GrayRouteSet")
	s.has("cns-route Types "+other.Address().Hex(), "address: "+v1, "version: 1.0")
	s.has("cns-resolve Types", "address: "+v1, "version: 1.0")
	s.has("call Types "+ty+" seed", "(int16) 1")
	s.has("cns-gray-clear Types", "event: GrayRouteCleared")
	s.has("cns-resolve Types", "address: "+v2)

	// Another account may not register versions of the name.
	o := newSession(t, ctx, console.Options{Key: other}, client)
	o.fails("cns-register Types 3.0 "+v2, nil, "only its owner")
	o.fails("cns-gray Types 1.0 2.0 5000", nil, "Types")
	s.fails("cns-resolve Nope", nil, "Nope")
	s.fails("cns-versions Nope", nil, `no CNS name "Nope"`)
	s.fails("call Nope "+ty+" seed", nil, "not an address nor a known CNS name")
}
