package drivertest

import (
	"context"
	"sync"
	"testing"

	"github.com/gobcos/gobcos/crypto"
)

// Driver is what a Cluster needs of an engine's driver.
type Driver interface {
	Start(ctx context.Context) error
	Stop() error
}

// Cluster is a Chain whose nodes are sealers running drivers of type D,
// made from parameters of type P, over an in-memory network without loss
// except to nodes that are down or cut off. The engine's test transport
// delivers through Peer.
type Cluster[D Driver, P any] struct {
	*Chain
	Keys    []crypto.PrivateKey
	Sealers [][]byte // the nodes' public keys, node 0 first
	Drivers []D      // each node's latest driver (the zero D before one is built)

	params func(i int) P
	newD   func(P) (D, error)

	mu    sync.Mutex
	built []bool       // Drivers[i] is set
	up    []bool       // a started driver that is not stopped
	cut   map[int]bool // nodes partitioned from all others
}

// NewCluster makes n sealers. params gives node i's driver parameters
// (it may use the cluster's keys and nodes), newDriver makes a driver of
// them. The drivers are stopped when the test ends.
func NewCluster[D Driver, P any](t testing.TB, suite crypto.Suite, n int, params func(c *Cluster[D, P], i int) P, newDriver func(P) (D, error)) *Cluster[D, P] {
	t.Helper()
	c := &Cluster[D, P]{Chain: NewChain(t, suite, n), Drivers: make([]D, n), newD: newDriver, built: make([]bool, n), up: make([]bool, n), cut: map[int]bool{}}
	c.params = func(i int) P { return params(c, i) }
	for range n {
		k, err := suite.GenerateKey()
		if err != nil {
			t.Fatal(err)
		}
		c.Keys = append(c.Keys, k)
		c.Sealers = append(c.Sealers, k.PublicKey())
	}
	t.Cleanup(func() {
		for i := range c.Drivers {
			c.Stop(i)
		}
	})
	return c
}

// BuildAll makes every node's driver without starting it, or starts
// them all if run.
func (c *Cluster[D, P]) BuildAll(run bool) {
	for i := range c.Drivers {
		if run {
			c.Start(i)
		} else {
			c.Build(i)
		}
	}
}

// Build makes node i's driver without starting it; mod adjusts its
// parameters.
func (c *Cluster[D, P]) Build(i int, mod ...func(*P)) D {
	c.T.Helper()
	p := c.params(i)
	for _, m := range mod {
		m(&p)
	}
	d, err := c.newD(p)
	if err != nil {
		c.T.Fatal(err)
	}
	c.mu.Lock()
	c.Drivers[i], c.built[i], c.up[i] = d, true, false
	c.mu.Unlock()
	return d
}

// Start (re)starts node i's driver on its store, as a restarted process
// would; mod adjusts its parameters.
func (c *Cluster[D, P]) Start(i int, mod ...func(*P)) {
	c.T.Helper()
	d := c.Build(i, mod...)
	c.mu.Lock()
	c.up[i] = true
	c.mu.Unlock()
	if err := d.Start(c.Ctx); err != nil {
		c.T.Fatal(err)
	}
}

// Stop stops node i's driver (if any); the network no longer reaches it.
func (c *Cluster[D, P]) Stop(i int) {
	c.mu.Lock()
	c.up[i] = false
	d, built := c.Drivers[i], c.built[i]
	c.mu.Unlock()
	if built {
		if err := d.Stop(); err != nil {
			c.T.Error(err)
		}
	}
}

// Restart simulates a process restart: a new ledger, pool and driver over
// node i's surviving store.
func (c *Cluster[D, P]) Restart(i int) {
	c.Nodes[i].Reopen(c.T, c.Suite)
	c.Start(i)
}

// Cut partitions node i from all others, or heals it.
func (c *Cluster[D, P]) Cut(i int, cut bool) {
	c.mu.Lock()
	c.cut[i] = cut
	c.mu.Unlock()
}

// Up reports whether node i runs and is not cut off.
func (c *Cluster[D, P]) Up(i int) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.up[i] && !c.cut[i]
}

// Peer returns node to's driver when the network carries a message from
// node from to it: both are up and neither is cut off.
func (c *Cluster[D, P]) Peer(from, to int) (D, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.up[to] || c.cut[to] || c.cut[from] {
		var zero D
		return zero, false
	}
	return c.Drivers[to], true
}
