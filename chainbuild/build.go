package chainbuild

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"github.com/ethereum/go-ethereum/common/hexutil"

	"github.com/gobcos/gobcos/crypto"
	"github.com/gobcos/gobcos/network/certs"
	"github.com/gobcos/gobcos/node"
)

// Result describes a built chain.
type Result struct {
	Dir      string // the output directory, absolute
	Manifest *Manifest
	Genesis  *node.Genesis
	// CAGenerated is true when Build made the CA (its key is in
	// ca/ca.key); false when Options.CACert/CAKey were used.
	CAGenerated bool
	// CAKeyPath is where the CA key is: ca/ca.key when generated, the
	// given --ca-key path otherwise.
	CAKeyPath string
}

// orgMaterial is an organisation's authority and admin account.
type orgMaterial struct {
	auth  *certs.Authority
	admin crypto.PrivateKey
}

// Build generates a chain as described by opts (see the package doc and
// docs/chain-build.md) and returns what it made.
func Build(opts Options) (*Result, error) {
	suite, err := opts.check()
	if err != nil {
		return nil, err
	}
	places, err := layout(opts.Hosts, opts.Nodes, opts.P2PPort, opts.RPCPort)
	if err != nil {
		return nil, err
	}
	now := time.Now()
	if opts.Now != nil {
		now = opts.Now()
	}
	validity := opts.Validity
	if validity == 0 {
		validity = DefaultValidity
	}
	dir, err := filepath.Abs(opts.Dir)
	if err != nil {
		return nil, err
	}
	existing, err := existingEntries(dir)
	if err != nil {
		return nil, err
	}
	if len(existing) > 0 && !opts.Force {
		return nil, fmt.Errorf("%w: %s holds %s", ErrExists, opts.Dir, strings.Join(existing, ", "))
	}
	alg, err := certs.AlgorithmForSuite(suite.Name())
	if err != nil {
		return nil, err
	}
	res := &Result{Dir: dir}

	// The chain CA: given or new.
	var ca *certs.Authority
	keepCAKey := false
	if opts.CACert != "" {
		if ca, err = loadCA(opts.CACert, opts.CAKey, alg, now); err != nil {
			return nil, err
		}
		res.CAKeyPath = opts.CAKey
		if keepCAKey, err = checkCAKeyOutside(dir, opts.CAKey); err != nil {
			return nil, err
		}
	} else {
		v := certs.ValidFor(now.Add(-clockSkew), validity+clockSkew)
		if ca, err = certs.GenerateCA(alg, fmt.Sprintf("gobcos chain %d CA", opts.ChainID), v); err != nil {
			return nil, err
		}
		res.CAGenerated, keepCAKey = true, true
	}
	if keepCAKey {
		res.CAKeyPath = filepath.Join(dir, CADir, CAKeyFile)
	}

	// Organisations with their admin accounts.
	orgs := make([]orgMaterial, opts.Orgs)
	for i := range orgs {
		name := fmt.Sprintf("org%d", i+1)
		v, err := under(ca.Cert, now, validity)
		if err != nil {
			return nil, fmt.Errorf("chain CA: %w", err)
		}
		if orgs[i].auth, err = ca.IssueOrg(name, v); err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		if orgs[i].admin, err = suite.GenerateKey(); err != nil {
			return nil, err
		}
	}

	// Nodes, round-robin over the organisations.
	nodes := make([]*nodeMaterial, opts.Nodes)
	for i := range nodes {
		if nodes[i], err = newNode(suite, orgs[i%len(orgs)].auth, fmt.Sprintf("node%d", i), now, validity); err != nil {
			return nil, err
		}
		e := &nodes[i].entry
		e.Role, e.Host, e.P2PPort, e.RPCPort = RoleSealer, places[i].host, places[i].p2pPort, places[i].rpcPort
	}
	if err := placeMetrics(opts, places, nodes); err != nil {
		return nil, err
	}

	g := genesisFor(opts, suite, now, orgs, nodes)
	if err := g.Validate(); err != nil {
		return nil, fmt.Errorf("generated genesis: %w", err)
	}
	res.Genesis = g
	m := &Manifest{
		Version: manifestFormat, ChainID: g.ChainID, GroupID: g.GroupID, CryptoSuite: suite.Name(), Consensus: g.Consensus,
		P2PPort: opts.P2PPort, RPCPort: opts.RPCPort, MetricsPort: opts.MetricsPort,
	}
	for _, o := range orgs {
		m.Orgs = append(m.Orgs, OrgInfo{Name: o.auth.Cert.Subject.CommonName, Admin: o.admin.Address()})
	}
	for _, n := range nodes {
		m.Nodes = append(m.Nodes, n.entry)
	}
	res.Manifest = m

	if err := os.MkdirAll(filepath.Dir(dir), 0o755); err != nil {
		return nil, err
	}
	staging, err := os.MkdirTemp(filepath.Dir(dir), "."+filepath.Base(dir)+".building-*")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(staging)
	if err := writeChain(staging, m, g, ca, keepCAKey, orgs, nodes); err != nil {
		return nil, err
	}
	if err := install(staging, dir, existing); err != nil {
		return nil, err
	}
	return res, nil
}

// genesisFor is the genesis of a new chain: every node seals, the
// organisations' admins form the committee with weight 1.
func genesisFor(opts Options, suite crypto.Suite, now time.Time, orgs []orgMaterial, nodes []*nodeMaterial) *node.Genesis {
	g := node.DefaultGenesis(suite.Name(), nodes[0].key.PublicKey())
	g.ChainID, g.GroupID, g.Consensus = opts.ChainID, opts.GroupID, opts.Consensus
	g.Timestamp = uint64(now.Unix())
	g.Sealers = make([]hexutil.Bytes, len(nodes))
	for i, n := range nodes {
		g.Sealers[i] = n.key.PublicKey()
	}
	g.MinSealIntervalMs = node.ChainMinSealIntervalMs
	if g.Consensus == node.ConsensusPBFT {
		g.LeaderPeriod = node.DefaultLeaderPeriod
		g.ConsensusTimeoutMs = node.DefaultConsensusTimeoutMs
	}
	if g.Consensus == node.ConsensusRaft {
		g.ConsensusTimeoutMs = node.RaftConsensusTimeoutMs
	}
	for _, o := range orgs {
		name := o.auth.Cert.Subject.CommonName
		sum := sha256.Sum256(o.auth.Cert.Raw)
		g.Organisations = append(g.Organisations, node.Organisation{Name: name, CertSHA256: sum[:]})
		g.Committee = append(g.Committee, node.CommitteeMember{Address: o.admin.Address(), Weight: 1, Org: name})
	}
	return g
}

// writeChain writes the whole chain directory into dir (the staging
// directory).
func writeChain(dir string, m *Manifest, g *node.Genesis, ca *certs.Authority, withCAKey bool, orgs []orgMaterial, nodes []*nodeMaterial) error {
	if err := os.Chmod(dir, 0o755); err != nil {
		return err
	}
	caDir := filepath.Join(dir, CADir)
	if err := os.Mkdir(caDir, 0o700); err != nil {
		return err
	}
	if err := certs.WriteCertsFile(filepath.Join(caDir, CACertFile), ca.Cert); err != nil {
		return err
	}
	if withCAKey {
		if err := certs.WriteKeyFile(filepath.Join(caDir, CAKeyFile), ca.Key); err != nil {
			return err
		}
	}
	for _, o := range orgs {
		od := filepath.Join(dir, OrgsDir, o.auth.Cert.Subject.CommonName)
		if err := os.MkdirAll(od, 0o700); err != nil {
			return err
		}
		if err := o.auth.WriteFiles(filepath.Join(od, OrgCertFile), filepath.Join(od, OrgKeyFile)); err != nil {
			return err
		}
		if err := writeHexKey(filepath.Join(od, AdminKeyFile), o.admin); err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(od, AdminAddrFile), []byte(o.admin.Address().Hex()+"\n"), 0o644); err != nil {
			return err
		}
	}
	gpath := filepath.Join(dir, GenesisFile)
	if err := node.WriteGenesis(gpath, g); err != nil {
		return err
	}
	genesisJSON, err := os.ReadFile(gpath)
	if err != nil {
		return err
	}
	caPEM := certs.EncodeCertsPEM(ca.Cert)
	for i, n := range nodes {
		var peers []string
		for j, p := range nodes {
			if j != i {
				peers = append(peers, p.entry.P2PAddr())
			}
		}
		cfg, err := nodeConfig(n.entry, peers, nil)
		if err != nil {
			return err
		}
		if err := writeNodeDir(filepath.Join(dir, n.entry.Name), n, cfg, genesisJSON, caPEM); err != nil {
			return err
		}
	}
	if err := writePrometheusConfig(dir, m); err != nil {
		return err
	}
	return m.write(dir)
}

// loadCA reads the operator's CA and checks it can serve this chain.
func loadCA(certPath, keyPath string, alg certs.KeyAlgorithm, now time.Time) (*certs.Authority, error) {
	ca, err := certs.LoadAuthority(certPath, keyPath)
	if err != nil {
		return nil, badOption("--ca-cert/--ca-key: %v", err)
	}
	got, err := ca.Algorithm()
	if err != nil {
		return nil, badOption("--ca-cert %s: %v", certPath, err)
	}
	if got != alg {
		return nil, badOption("--ca-cert %s holds a %s key; a %s chain needs a %s CA (or choose --crypto %s)", certPath, got, alg.SuiteName(), alg, got.SuiteName())
	}
	if now.Before(ca.Cert.NotBefore) || !now.Before(ca.Cert.NotAfter) {
		return nil, badOption("--ca-cert %s is valid from %s to %s, not now", certPath,
			ca.Cert.NotBefore.UTC().Format(time.RFC3339), ca.Cert.NotAfter.UTC().Format(time.RFC3339))
	}
	if ca.Cert.BasicConstraintsValid && ca.Cert.MaxPathLen == 0 && ca.Cert.MaxPathLenZero {
		return nil, badOption("--ca-cert %s has path length 0: it cannot sign the organisation certificates that sign nodes", certPath)
	}
	return ca, nil
}

// generatedEntry matches the top-level names Build writes, which --force
// replaces.
var generatedEntry = regexp.MustCompile(`^(` + regexp.QuoteMeta(ManifestFile) + `|` + regexp.QuoteMeta(GenesisFile) +
	`|` + regexp.QuoteMeta(PrometheusFile) + `|` + CADir + `|` + OrgsDir + `|node[0-9]+)$`)

// existingEntries lists the entries of dir ("" for none or no dir).
func existingEntries(dir string) ([]string, error) {
	ents, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	names := make([]string, len(ents))
	for i, e := range ents {
		names[i] = e.Name()
	}
	return names, nil
}

// checkCAKeyOutside refuses a --ca-key inside the entries --force would
// replace, except at ca/ca.key itself, which is then written back (keep
// reports that).
func checkCAKeyOutside(dir, keyPath string) (keep bool, err error) {
	abs, err := filepath.Abs(keyPath)
	if err != nil {
		return false, err
	}
	if abs == filepath.Join(dir, CADir, CAKeyFile) {
		return true, nil
	}
	rel, err := filepath.Rel(dir, abs)
	if err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return false, nil
	}
	top := strings.SplitN(rel, string(filepath.Separator), 2)[0]
	if generatedEntry.MatchString(top) {
		return false, badOption("--ca-key %s lies inside %s, which the build replaces: move it out of the output directory first", keyPath, top)
	}
	return false, nil
}

// install moves the staged chain into dir: a rename when dir does not
// exist; otherwise the generated entries are replaced one by one (other
// files in dir are left alone).
func install(staging, dir string, existing []string) error {
	if _, err := os.Stat(dir); errors.Is(err, fs.ErrNotExist) {
		return os.Rename(staging, dir)
	}
	for _, name := range existing {
		if generatedEntry.MatchString(name) {
			if err := os.RemoveAll(filepath.Join(dir, name)); err != nil {
				return fmt.Errorf("replacing %s: %w", name, err)
			}
		}
	}
	staged, err := os.ReadDir(staging)
	if err != nil {
		return err
	}
	for _, e := range staged {
		if err := os.Rename(filepath.Join(staging, e.Name()), filepath.Join(dir, e.Name())); err != nil {
			return err
		}
	}
	return nil
}
