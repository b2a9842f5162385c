package raft

import (
	"fmt"

	pb "go.etcd.io/raft/v3/raftpb"
)

// checkMessage refuses peer messages that no correct raft node sends and
// on which etcd raft would panic or corrupt its log: a missing term,
// appended entries that are not consecutive or from a later term, or a
// snapshot without index or voters.
func checkMessage(m *pb.Message) error {
	if _, ok := pb.MessageType_name[int32(m.GetType())]; !ok {
		return fmt.Errorf("%w: unknown message type %d", ErrBadMessage, m.GetType())
	}
	switch m.GetType() {
	case pb.MsgProp, pb.MsgReadIndex:
		// Forwarded by followers without a term.
	default:
		if m.GetTerm() == 0 {
			return fmt.Errorf("%w: %v without a term", ErrBadMessage, m.GetType())
		}
	}
	switch m.GetType() {
	case pb.MsgApp, pb.MsgProp:
		next := m.GetIndex() + 1
		for i, e := range m.GetEntries() {
			if m.GetType() == pb.MsgApp && (e.GetIndex() != next+uint64(i) || e.GetTerm() > m.GetTerm() || e.GetTerm() < m.GetLogTerm()) {
				return fmt.Errorf("%w: append entry %d has index %d term %d after index %d term %d in term %d",
					ErrBadMessage, i, e.GetIndex(), e.GetTerm(), m.GetIndex(), m.GetLogTerm(), m.GetTerm())
			}
			switch e.GetType() {
			case pb.EntryNormal, pb.EntryConfChange, pb.EntryConfChangeV2:
			default:
				return fmt.Errorf("%w: entry of unknown type %v", ErrBadMessage, e.GetType())
			}
		}
	case pb.MsgSnap:
		md := m.GetSnapshot().GetMetadata()
		if md.GetIndex() == 0 || md.GetTerm() == 0 || md.GetTerm() > m.GetTerm() || len(md.GetConfState().GetVoters()) == 0 {
			return fmt.Errorf("%w: snapshot without index, term or voters", ErrBadMessage)
		}
		if _, err := decodeSnapData(m.GetSnapshot().GetData()); err != nil {
			return fmt.Errorf("%w: %v", ErrBadMessage, err)
		}
	default:
		if len(m.GetEntries()) > 0 || m.GetSnapshot() != nil {
			return fmt.Errorf("%w: %v carries entries or a snapshot", ErrBadMessage, m.GetType())
		}
	}
	return nil
}
