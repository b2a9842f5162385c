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

func TestHugePageEnv(t *testing.T) {
	base := []string{"PATH=/bin", "HOME=/h"}
	env := hugePageEnv(base)
	if !slices.Contains(env, "GLIBC_TUNABLES=glibc.malloc.hugetlb=1") || len(env) != 3 {
		t.Errorf("no tunables set: env %v", env)
	}
	if len(base) != 2 {
		t.Fatalf("the caller's environment was changed: %v", base)
	}
	// Other tunables are kept, the setting added after them.
	other := []string{"PATH=/bin", "GLIBC_TUNABLES=glibc.malloc.arena_max=2"}
	env = hugePageEnv(other)
	if want := "GLIBC_TUNABLES=glibc.malloc.arena_max=2:glibc.malloc.hugetlb=1"; len(env) != 2 || env[1] != want {
		t.Errorf("other tunables: env %v, want %s", env, want)
	}
	if other[1] != "GLIBC_TUNABLES=glibc.malloc.arena_max=2" {
		t.Fatalf("the caller's environment was changed: %v", other)
	}
	empty := []string{"GLIBC_TUNABLES="}
	if env = hugePageEnv(empty); env[0] != "GLIBC_TUNABLES=glibc.malloc.hugetlb=1" {
		t.Errorf("empty tunables: env %v", env)
	}
	// A hugetlb setting of the user's is kept, even one that turns it off.
	user := []string{"PATH=/bin", "GLIBC_TUNABLES=glibc.malloc.hugetlb=0"}
	if env = hugePageEnv(user); !slices.Equal(env, user) {
		t.Errorf("user's hugetlb: env %v", env)
	}
}
