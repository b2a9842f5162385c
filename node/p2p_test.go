package node

import (
	"errors"
	"testing"

	"github.com/gobcos/gobcos/network"
)

type denyAll map[network.NodeID]bool

func (d denyAll) Allowed(id network.NodeID) error {
	if d[id] {
		return errors.New("refused")
	}
	return nil
}

// The group rule makes admitted peers members of the node's group, and
// nobody a member of another group.
func TestGroupMembers(t *testing.T) {
	in, out := network.NodeID{1}, network.NodeID{2}
	f := groupMembers("group0", denyAll{out: true})
	for _, tc := range []struct {
		group string
		id    network.NodeID
		want  bool
	}{
		{"group0", in, true}, {"group0", out, false},
		{"", in, true}, {"", out, true},
		{"group1", in, false},
	} {
		if got := f(tc.group, tc.id) == nil; got != tc.want {
			t.Errorf("group %q peer %x: %v, want %v", tc.group, tc.id[:1], got, tc.want)
		}
	}
	if err := f("group1", in); network.ReasonOf(err) != network.ReasonUnknownGroup {
		t.Errorf("another group: %v, want unknown_group", err)
	}
}
