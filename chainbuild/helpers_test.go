package chainbuild

import (
	"bytes"
	"context"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/gobcos/gobcos/crypto"
	"github.com/gobcos/gobcos/network"
	"github.com/gobcos/gobcos/node"
)

// loadedNode is a generated node directory read back through the node
// package, as `gobcos node` reads it.
type loadedNode struct {
	entry   NodeEntry
	cfg     node.Config
	genesis *node.Genesis
	key     crypto.PrivateKey
	mat     *node.NetworkMaterial
}

func loadNode(t *testing.T, dir string, e NodeEntry) *loadedNode {
	t.Helper()
	cfg, err := node.LoadConfig(filepath.Join(dir, e.Name, node.ConfigFile))
	if err != nil {
		t.Fatal(err)
	}
	g, err := node.LoadGenesis(cfg.Path(cfg.Genesis))
	if err != nil {
		t.Fatal(err)
	}
	key, err := node.LoadKey(cfg.Path(cfg.KeyFile), g.Suite())
	if err != nil {
		t.Fatal(err)
	}
	mat, err := cfg.LoadNetworkMaterial()
	if err != nil {
		t.Fatalf("%s: %v", e.Name, err)
	}
	return &loadedNode{entry: e, cfg: cfg, genesis: g, key: key, mat: mat}
}

// admission builds the admission a node would run: its trusted CAs, the
// genesis node list and its allow and deny lists.
func (n *loadedNode) admission(t *testing.T) *network.Admission {
	t.Helper()
	g := n.genesis
	a, err := network.NewAdmission(network.AdmissionConfig{
		Suite:      g.Suite(),
		TrustedCAs: n.mat.TrustedCAs,
		CRLs:       n.mat.CRLs,
		NodeList:   network.NodeListFunc(func(id network.NodeID) bool { return g.InNodeList(id.Bytes()) }),
		Allow:      n.mat.Allow,
		Deny:       n.mat.Deny,
	})
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// presented is the certificate chain a node presents, as DER.
func (n *loadedNode) presented() [][]byte {
	return [][]byte{n.mat.Node.Cert.Raw, n.mat.Node.Issuer.Raw}
}

// handshake runs a real mutual TLS (or GM TLS) handshake over loopback
// TCP between client and server with their generated material.
func handshake(t *testing.T, client, server *loadedNode) (clientSees, serverSees network.Identity, err error) {
	t.Helper()
	trS, err := network.NewTransport(network.TransportConfig{Node: server.mat.Node, Admission: server.admission(t)})
	if err != nil {
		t.Fatal(err)
	}
	trC, err := network.NewTransport(network.TransportConfig{Node: client.mat.Node, Admission: client.admission(t)})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	type result struct {
		id  network.Identity
		err error
	}
	done := make(chan result, 1)
	go func() {
		raw, err := ln.Accept()
		if err != nil {
			done <- result{err: err}
			return
		}
		sc, err := trS.Server(context.Background(), raw)
		if err != nil {
			done <- result{err: err}
			return
		}
		// Wait for the client to finish before closing.
		_, _ = sc.Read(make([]byte, 1))
		sc.Close()
		done <- result{id: sc.Peer}
	}()
	raw, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	raw.SetDeadline(time.Now().Add(30 * time.Second))
	sc, cerr := trC.Client(context.Background(), raw)
	if cerr == nil {
		clientSees = sc.Peer
		sc.Close()
	}
	r := <-done
	if cerr != nil {
		return clientSees, r.id, cerr
	}
	return clientSees, r.id, r.err
}

func readFile(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func fileMode(t *testing.T, path string) os.FileMode {
	t.Helper()
	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return info.Mode().Perm()
}

func sameBytes(a, b []byte) bool { return bytes.Equal(a, b) }
