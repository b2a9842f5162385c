package chainbuild

import (
	"encoding/hex"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/emmansun/gmsm/smx509"

	"github.com/gobcos/gobcos/crypto"
	"github.com/gobcos/gobcos/network"
	"github.com/gobcos/gobcos/network/certs"
	"github.com/gobcos/gobcos/node"
)

// under returns a validity of d starting clockSkew before now, clamped to
// the issuer's validity. It fails if the issuer is not valid now.
func under(issuer *smx509.Certificate, now time.Time, d time.Duration) (certs.Validity, error) {
	if now.Before(issuer.NotBefore) || !now.Before(issuer.NotAfter) {
		return certs.Validity{}, fmt.Errorf("certificate %q is valid only from %s to %s, not now (%s)", issuer.Subject.CommonName,
			issuer.NotBefore.UTC().Format(time.RFC3339), issuer.NotAfter.UTC().Format(time.RFC3339), now.UTC().Format(time.RFC3339))
	}
	v := certs.ValidFor(now.Add(-clockSkew), d+clockSkew)
	if v.NotBefore.Before(issuer.NotBefore) {
		v.NotBefore = issuer.NotBefore
	}
	if v.NotAfter.After(issuer.NotAfter) {
		v.NotAfter = issuer.NotAfter
	}
	return v, nil
}

// nodeMaterial is a node's keys and certificate.
type nodeMaterial struct {
	entry NodeEntry
	key   crypto.PrivateKey
	cert  *certs.NodeCert
}

// newNode makes a node's consensus key and its TLS certificate signed by
// org, binding the key.
func newNode(suite crypto.Suite, org *certs.Authority, name string, now time.Time, validity time.Duration) (*nodeMaterial, error) {
	key, err := suite.GenerateKey()
	if err != nil {
		return nil, err
	}
	v, err := under(org.Cert, now, validity)
	if err != nil {
		return nil, fmt.Errorf("organisation %s: %w", org.Cert.Subject.CommonName, err)
	}
	nc, err := org.IssueNode(certs.NodeRequest{Name: name, ConsensusKey: key, Validity: v})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	id, err := network.ParseNodeID(key.PublicKey())
	if err != nil {
		return nil, err
	}
	return &nodeMaterial{
		entry: NodeEntry{Name: name, Org: org.Cert.Subject.CommonName, NodeID: id.String()},
		key:   key, cert: nc,
	}, nil
}

// nodeConfig is the config.toml of a node: RPC on its host, P2P on all
// interfaces at its port, dialing peers, admitting allow besides the
// genesis node list.
func nodeConfig(e NodeEntry, peers, allow []string) (node.Config, error) {
	cfg := node.DefaultConfig()
	cfg.RPC.Listen = e.RPCAddr()
	cfg.Metrics.Listen = e.MetricsAddr() // pprof stays off
	nc := node.DefaultNetworkConfig()
	wildcard := "0.0.0.0"
	if ip := net.ParseIP(e.Host); ip != nil && ip.To4() == nil {
		wildcard = "::"
	}
	nc.Listen = net.JoinHostPort(wildcard, strconv.Itoa(e.P2PPort))
	nc.Peers = append([]string{}, peers...)
	nc.CertDir = NodeTLSDir
	nc.CACerts = []string{CACertFile}
	nc.Allow = append([]string{}, allow...)
	cfg.Network = &nc
	if err := cfg.Validate(); err != nil {
		return node.Config{}, fmt.Errorf("%s: generated config: %w", e.Name, err)
	}
	return cfg, nil
}

// writeHexKey writes a private key as hex (the format node.LoadKey reads),
// mode 0600.
func writeHexKey(path string, key crypto.PrivateKey) error {
	b := key.Bytes()
	defer clear(b)
	return os.WriteFile(path, []byte(hex.EncodeToString(b)+"\n"), 0o600)
}

// writeNodeDir writes a node's directory; config.toml comes last, as its
// presence marks a complete node directory.
func writeNodeDir(dir string, n *nodeMaterial, cfg node.Config, genesisJSON, caPEM []byte) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	if err := writeHexKey(filepath.Join(dir, NodeKeyFile), n.key); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, NodeIDFile), []byte(n.entry.NodeID+"\n"), 0o644); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, GenesisFile), genesisJSON, 0o644); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, CACertFile), caPEM, 0o644); err != nil {
		return err
	}
	if err := n.cert.WriteFiles(filepath.Join(dir, NodeTLSDir)); err != nil {
		return err
	}
	return node.WriteConfig(filepath.Join(dir, node.ConfigFile), cfg)
}
