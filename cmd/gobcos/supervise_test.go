package main

import (
	"slices"
	"testing"
)

func TestNodeEnvSharesTheCores(t *testing.T) {
	base := []string{"PATH=/bin", "HOME=/h"}
	for _, c := range []struct{ cores, nodes, want int }{
		{2, 4, 1}, {2, 1, 2}, {8, 4, 2}, {8, 3, 3}, {6, 4, 2}, {1, 7, 1},
	} {
		env, procs := nodeEnv(base, c.cores, c.nodes)
		if procs != c.want {
			t.Errorf("%d cores, %d nodes: %d procs each, want %d", c.cores, c.nodes, procs, c.want)
		}
		if !slices.Contains(env, "GOMAXPROCS="+string(rune('0'+c.want))) || len(env) != len(base)+1 {
			t.Errorf("%d cores, %d nodes: env %v", c.cores, c.nodes, env)
		}
	}
	if len(base) != 2 {
		t.Fatalf("the caller's environment was changed: %v", base)
	}
	// A GOMAXPROCS the user set is kept.
	user := append(slices.Clone(base), "GOMAXPROCS=3")
	env, procs := nodeEnv(user, 2, 4)
	if procs != 0 || !slices.Equal(env, user) {
		t.Errorf("user's GOMAXPROCS: procs %d env %v", procs, env)
	}
}
