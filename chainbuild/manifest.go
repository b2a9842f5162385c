package chainbuild

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"

	"github.com/ethereum/go-ethereum/common"

	"github.com/gobcos/gobcos/internal/fileutil"
)

// File and directory names of a chain directory.
const (
	ManifestFile   = "chain.json"   // the Manifest
	GenesisFile    = "genesis.json" // the chain's genesis (each node has a copy)
	CADir          = "ca"           // ca.crt, and ca.key when generated
	CACertFile     = "ca.crt"       // chain CA certificate (also copied into each node dir)
	CAKeyFile      = "ca.key"       // chain CA key (generated CAs only)
	OrgsDir        = "orgs"         // one directory per organisation
	OrgCertFile    = "org.crt"      // organisation certificate
	OrgKeyFile     = "org.key"      // organisation key (signs node certificates)
	AdminKeyFile   = "admin.key"    // organisation admin account key, hex
	AdminAddrFile  = "admin.address"
	NodeKeyFile    = "node.key" // node consensus key, hex
	NodeIDFile     = "node.id"  // node id, 128 hex digits
	NodeTLSDir     = "tls"      // node TLS material (certs.NodeCert.WriteFiles)
	manifestFormat = 1
)

// Node roles in the manifest.
const (
	RoleSealer   = "sealer"
	RoleObserver = "observer"
)

// Manifest is chain.json: what Build made and AddNode added.
type Manifest struct {
	Version     int    `json:"version"`
	ChainID     uint64 `json:"chainId"`
	GroupID     string `json:"groupId"`
	CryptoSuite string `json:"cryptoSuite"`
	Consensus   string `json:"consensus"`
	// P2PPort and RPCPort are the base ports.
	P2PPort int         `json:"p2pPort"`
	RPCPort int         `json:"rpcPort"`
	Orgs    []OrgInfo   `json:"orgs"`
	Nodes   []NodeEntry `json:"nodes"`

	// MetricsPort is the base port of the nodes' /metrics; 0: off.
	MetricsPort int `json:"metricsPort,omitempty"`
}

// OrgInfo is one organisation of the chain.
type OrgInfo struct {
	Name string `json:"name"`
	// Admin is the organisation's admin account, a committee member.
	Admin common.Address `json:"admin"`
}

// NodeEntry is one node of the chain.
type NodeEntry struct {
	Name string `json:"name"` // also its directory
	Org  string `json:"org"`
	Role string `json:"role"` // RoleSealer or RoleObserver
	// NodeID is the node's consensus public key, 128 hex digits (no 04).
	NodeID string `json:"nodeId"`
	// Host is the address other nodes dial and the RPC server listens on.
	Host    string `json:"host"`
	P2PPort int    `json:"p2pPort"`
	RPCPort int    `json:"rpcPort"`

	// MetricsPort is the port of the node's Prometheus endpoint; 0: off.
	MetricsPort int `json:"metricsPort,omitempty"`
}

// P2PAddr is the address peers dial.
func (n NodeEntry) P2PAddr() string { return net.JoinHostPort(n.Host, strconv.Itoa(n.P2PPort)) }

// RPCAddr is the address of the node's JSON-RPC server.
func (n NodeEntry) RPCAddr() string { return net.JoinHostPort(n.Host, strconv.Itoa(n.RPCPort)) }

// MetricsAddr is the address of the node's /metrics; "" when off.
func (n NodeEntry) MetricsAddr() string {
	if n.MetricsPort == 0 {
		return ""
	}
	return net.JoinHostPort(n.Host, strconv.Itoa(n.MetricsPort))
}

// ReadManifest reads dir/chain.json.
func ReadManifest(dir string) (*Manifest, error) {
	path := filepath.Join(dir, ManifestFile)
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrNotChainDir, err)
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	m := new(Manifest)
	if err := dec.Decode(m); err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrNotChainDir, path, err)
	}
	if m.Version != manifestFormat {
		return nil, fmt.Errorf("%w: %s: format version %d, this gobcos reads %d", ErrNotChainDir, path, m.Version, manifestFormat)
	}
	if len(m.Orgs) == 0 || len(m.Nodes) == 0 {
		return nil, fmt.Errorf("%w: %s lists no organisation or no node", ErrNotChainDir, path)
	}
	return m, nil
}

// write stores the manifest as dir/chain.json.
func (m *Manifest) write(dir string) error {
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return err
	}
	return fileutil.WriteAtomic(filepath.Join(dir, ManifestFile), append(b, '\n'), 0o644)
}

// org returns the organisation named name.
func (m *Manifest) org(name string) (OrgInfo, bool) {
	for _, o := range m.Orgs {
		if o.Name == name {
			return o, true
		}
	}
	return OrgInfo{}, false
}
