// Package certs creates, stores and checks the certificates of a gobcos
// chain: the chain CA, one certificate per organisation, and per node a TLS
// key and certificate that binds the node's consensus public key (its node
// id), plus certificate revocation lists.
//
// # Certificate profile
//
// One tree per chain, all keys of one algorithm: ECDSA P-256 on ecdsa
// chains (Go's TLS cannot use secp256k1, so the TLS key is distinct from
// the secp256k1 consensus key) and SM2 with SM2WithSM3 signatures on sm
// chains. The x509 work for both is done by github.com/emmansun/gmsm/smx509
// (a fork of crypto/x509 that also handles SM2), so one code path serves
// both trees.
//
//	chain CA       self-signed; CA, MaxPathLen 1; keyCertSign|cRLSign
//	organisation   signed by the CA; CN=O=<org>; CA, MaxPathLen 0;
//	               keyCertSign|cRLSign|digitalSignature
//	node           signed by its organisation; CN=<node name>, O=<org>,
//	               OU=node; not a CA; digitalSignature; EKU serverAuth and
//	               clientAuth; the node-id binding extension
//	node-enc       SM2 trees only, the TLCP encryption certificate: as
//	               "node" with OU=node-enc and keyEncipherment|
//	               dataEncipherment|keyAgreement
//
// Serial numbers are 127-bit random. Validity periods are chosen by the
// caller (Validity, ValidFor).
//
// # Node-id binding extension
//
// Non-critical extension OIDNodeBinding (2.25.1964311471.1.1, a private
// OID), DER:
//
//	NodeBinding ::= SEQUENCE {
//	    version  INTEGER (1),
//	    suite    UTF8String,   -- "ecdsa" or "sm"
//	    nodeID   OCTET STRING, -- 65-byte uncompressed consensus public key
//	    proof    OCTET STRING  -- consensus-key signature
//	}
//
// proof is the node's consensus-key signature (crypto.Suite Sign, 65 bytes
// for ecdsa, 64 for sm) over suite.Hash("gobcos/node-certificate-binding/v1"
// || DER SubjectPublicKeyInfo of the certificate's key). The organisation's
// signature on the certificate binds the node id to the organisation; the
// proof shows the holder of the consensus key asked for this TLS key, so a
// binding copied into another certificate does not verify.
//
// # Files
//
// PEM throughout: certificates as CERTIFICATE blocks, private keys as
// PKCS#8 PRIVATE KEY blocks (mode 0600), CRLs as X509 CRL blocks (DER CRLs
// are read too). A node directory holds node.crt (node certificate then its
// organisation's), node.key and, on SM2 trees, enc.crt and enc.key. Files
// are written through a temporary file and a rename.
//
// # Revocation
//
// The CA or an organisation issues CRLs (IssueCRL). ParseCRL does not check
// signatures; the network package's admission applies a CRL only to
// certificates whose issuer, found in the verified chain, signed it.
package certs
