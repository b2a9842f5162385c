package raft

import (
	"testing"

	pb "go.etcd.io/raft/v3/raftpb"
	"google.golang.org/protobuf/proto"
)

// FuzzStep feeds arbitrary bytes to a core as peer messages: they are
// refused with an error, never a panic.
func FuzzStep(f *testing.F) {
	f.Add([]byte{})
	f.Add(mustMarshal(&pb.Message{Type: pb.MsgHeartbeat.Enum(), To: proto.Uint64(1), From: proto.Uint64(2)}))
	f.Add(mustMarshal(&pb.Message{Type: pb.MsgApp.Enum(), Index: proto.Uint64(5), Entries: []*pb.Entry{{Index: proto.Uint64(6), Data: []byte{1, 2}}}}))
	f.Add(mustMarshal(&pb.Message{Type: pb.MsgSnap.Enum(), Snapshot: &pb.Snapshot{Data: []byte("x"), Metadata: &pb.SnapshotMetadata{Index: proto.Uint64(9)}}}))
	f.Fuzz(func(t *testing.T, data []byte) {
		c := newCluster(t, 2, 2, nil)
		m := new(pb.Message)
		if proto.Unmarshal(data, m) == nil {
			// Address it properly so that raft itself sees it.
			m.To = proto.Uint64(c.nodes[0].core.ID())
			m.From = proto.Uint64(c.nodes[1].core.ID())
			data = mustMarshal(m)
		}
		func() {
			defer func() {
				if r := recover(); r != nil {
					// etcd raft panics on some impossible states (for example
					// a snapshot without a configuration); such a message
					// must be refused before it reaches raft.
					t.Fatalf("panic on %x: %v", data, r)
				}
			}()
			_ = c.nodes[0].core.Step(c.pubs[1], data)
		}()
	})
}

// FuzzDecodeEntry: block entries and Extra never panic on bad input.
func FuzzDecodeEntry(f *testing.F) {
	f.Add([]byte{entryBlock})
	f.Add([]byte{entryBlock, 0xc2, 0xc0, 0xc0})
	f.Add(EncodeExtra(1, 2))
	f.Fuzz(func(t *testing.T, data []byte) {
		_, _, _ = decodeBlockEntry(data)
		_, _, _ = DecodeExtra(data)
		_, _ = decodeSnapData(data)
	})
}
