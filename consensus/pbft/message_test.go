package pbft

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/gobcos/gobcos/consensus/enginetest"
	"github.com/gobcos/gobcos/crypto"
)

// sampleMessages returns valid encoded messages of every kind and type,
// sent by a small cluster that orders blocks, changes view and helps a
// restarted sealer catch up.
func sampleMessages(t *testing.T) [][]byte {
	c := newCluster(t, 4, nil)
	for range 6 {
		c.tick() // heartbeats
	}
	c.addTxs(2)
	c.runUntil(50, "block 1", c.allAt(1))
	leader := c.nodes[0].core.Leader(2, c.nodes[0].core.Status().View)
	c.crash(leader)
	c.addTxs(2)
	c.runUntil(200, "block 2", c.allAt(2))
	c.restart(leader)
	c.runUntil(200, "the old leader caught up", c.allAt(2))
	var out [][]byte
	seen := make(map[string]bool)
	var commits []*Envelope
	var prop *Proposal
	for _, nd := range c.nodes {
		for i, m := range nd.sent {
			key := fmt.Sprint(m.Kind)
			if m.Env != nil {
				key = m.Env.Type.String()
				if m.Env.Type == MsgCommit && m.Env.Height == 1 && m.Env.View == 0 && len(commits) < Quorum(4) {
					commits = append(commits, m.Env)
				}
				if m.Env.Type == MsgPrePrepare && m.Env.Height == 1 {
					prop = m.Proposal
				}
			}
			if !seen[key] {
				seen[key] = true
				out = append(out, nd.sentRaw[i])
			}
		}
	}
	if prop != nil && len(commits) == Quorum(4) {
		out = append(out, EncodeDecided(prop, commits))
	}
	return out
}

func TestMessageRoundTrip(t *testing.T) {
	msgs := sampleMessages(t)
	kinds := make(map[string]bool)
	for _, data := range msgs {
		m, err := DecodeMessage(data, 1<<20)
		if err != nil {
			t.Fatalf("decode: %v", err)
		}
		var again []byte
		switch m.Kind {
		case KindEnvelope:
			again = EncodeEnvelope(m.Env, m.Proposal)
			kinds[m.Env.Type.String()] = true
		case KindDecided:
			again = EncodeDecided(m.Proposal, m.Commits)
			kinds["decided"] = true
		case KindFinalized:
			again = EncodeFinalized(m.Proposal, m.Header)
			kinds["finalized"] = true
		}
		if !bytes.Equal(again, data) {
			t.Fatalf("%v: re-encoding differs", m.Kind)
		}
	}
	for _, want := range []string{"pre-prepare", "prepare", "commit", "checkpoint", "heartbeat", "view-change", "new-view", "decided", "finalized"} {
		if !kinds[want] {
			t.Errorf("no sample %s message", want)
		}
	}
}

func TestDecodeRejects(t *testing.T) {
	p := &Proposal{Height: 1, Txs: [][]byte{{1}}}
	env := &Envelope{Type: MsgPrepare, Height: 1, Sig: []byte{1}}
	cases := map[string][]byte{
		"empty":                        nil,
		"trailing bytes":               append(EncodeEnvelope(env, nil), 0),
		"unknown kind":                 encodePacket(&packet{Kind: 9, Envs: []*Envelope{env}}),
		"two envelopes":                encodePacket(&packet{Kind: KindEnvelope, Envs: []*Envelope{env, env}}),
		"unknown type":                 EncodeEnvelope(&Envelope{Type: 42, Sig: []byte{1}}, nil),
		"no signature":                 EncodeEnvelope(&Envelope{Type: MsgPrepare}, nil),
		"prepare+proposal":             EncodeEnvelope(env, p),
		"pre-prepare without proposal": EncodeEnvelope(&Envelope{Type: MsgPrePrepare, Sig: []byte{1}}, nil),
		"short heartbeat":              EncodeEnvelope(&Envelope{Type: MsgHeartbeat, Body: []byte{1}, Sig: []byte{1}}, nil),
		"bad cert":                     EncodeEnvelope(&Envelope{Type: MsgViewChange, Body: []byte{0xff}, Sig: []byte{1}}, nil),
		"new view, digest without proposal": EncodeEnvelope(&Envelope{Type: MsgNewView, Digest: common.Hash{1},
			Body: encodeRLP([]*Envelope{{Type: MsgViewChange, Body: encodeCert(nil), Sig: []byte{1}}}), Sig: []byte{1}}, nil),
		"new view listing a prepare": EncodeEnvelope(&Envelope{Type: MsgNewView,
			Body: encodeRLP([]*Envelope{env}), Sig: []byte{1}}, nil),
		"decided with a prepare":   encodePacket(&packet{Kind: KindDecided, Envs: []*Envelope{env}, Proposal: p.Encode()}),
		"finalized without header": encodePacket(&packet{Kind: KindFinalized, Proposal: p.Encode()}),
		"bad proposal":             encodePacket(&packet{Kind: KindDecided, Envs: []*Envelope{env}, Proposal: []byte{0x01}}),
	}
	for name, data := range cases {
		if _, err := DecodeMessage(data, 1<<20); !errors.Is(err, ErrMalformedMessage) {
			t.Errorf("%s: error %v, want ErrMalformedMessage", name, err)
		}
	}
	if _, err := DecodeMessage(make([]byte, 100), 99); !errors.Is(err, ErrMalformedMessage) {
		t.Errorf("oversize accepted")
	}
}

func TestHardStateRoundTrip(t *testing.T) {
	hs := &HardState{Height: 7, View: 3, ViewChanging: true, ViaNewView: true, Constraint: common.Hash{1},
		Votes:    []Vote{{Type: MsgPrepare, View: 2, Digest: common.Hash{2}}},
		Prepared: PreparedCert{View: 2, Digest: common.Hash{2}, Prepares: []*Envelope{{Type: MsgPrepare, Height: 7, View: 2, Sig: []byte{3}}}},
		Decided:  []Decision{{Height: 6, View: 1, Digest: common.Hash{4}, Certificate: []byte{5}}}}
	got, err := DecodeHardState(EncodeHardState(hs))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(EncodeHardState(got), EncodeHardState(hs)) || got.Height != 7 || !got.ViewChanging {
		t.Fatalf("round trip: %+v", got)
	}
	if _, err := DecodeHardState([]byte{1, 2}); !errors.Is(err, ErrCorruptState) {
		t.Fatalf("corrupt state: %v", err)
	}
}

// TestRealSuites runs the normal case and a view change on the real ECDSA and SM suites.
func TestRealSuites(t *testing.T) {
	for _, suite := range []crypto.Suite{crypto.ECDSA(), crypto.SM()} {
		t.Run(suite.Name(), func(t *testing.T) {
			c := newSuiteCluster(t, suite, 4, nil)
			c.crash(c.nodes[0].core.Leader(1, 0))
			c.addTxs(2)
			c.runUntil(200, "block 1", c.allAt(1))
			c.addTxs(2)
			c.runUntil(200, "block 2", c.allAt(2))
			c.checkChains()
		})
	}
}

// writeCorpus refreshes testdata/fuzz/FuzzDecodeMessage from sampleMessages
// when GOBCOS_WRITE_CORPUS=1.
func TestWriteCorpus(t *testing.T) {
	if os.Getenv("GOBCOS_WRITE_CORPUS") != "1" {
		t.Skip("set GOBCOS_WRITE_CORPUS=1 to rewrite the fuzz seed corpus")
	}
	dir := filepath.Join("testdata", "fuzz", "FuzzDecodeMessage")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for i, data := range sampleMessages(t) {
		body := fmt.Sprintf("go test fuzz v1\n[]byte(%q)\n", data)
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("seed-%02d", i)), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// FuzzDecodeMessage feeds arbitrary bytes to the decoder and to a core:
// neither may panic, and whatever decodes re-encodes and decodes again.
func FuzzDecodeMessage(f *testing.F) {
	f.Add([]byte{})
	f.Add(EncodeEnvelope(&Envelope{Type: MsgPrepare, Height: 1, Sig: []byte{1}}, nil))
	f.Add(EncodeDecided(&Proposal{Height: 1, Txs: [][]byte{enginetest.MakeTx(fastSuite{}, 1)}},
		[]*Envelope{{Type: MsgCommit, Height: 1, Sig: []byte{1}}}))
	suite := fastSuite{}
	keys, pubs := testKeys(suite, 4, 5)
	cfg := testConfig(suite, pubs)
	cfg.Key = keys[1]
	core, err := New(cfg, enginetest.Genesis(suite), nil, nil)
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := DecodeMessage(data, 1<<20)
		if err == nil {
			var again []byte
			switch m.Kind {
			case KindEnvelope:
				again = EncodeEnvelope(m.Env, m.Proposal)
			case KindDecided:
				again = EncodeDecided(m.Proposal, m.Commits)
			case KindFinalized:
				again = EncodeFinalized(m.Proposal, m.Header)
			}
			if _, err := DecodeMessage(again, 1<<21); err != nil {
				t.Fatalf("re-encoded message does not decode: %v", err)
			}
		}
		for from := range 2 {
			_ = core.Step(from, data)
		}
		core.Tick()
		_ = core.Ready()
		core.Advance()
	})
}
