package certs

import "errors"

// Sentinel errors. Functions wrap them with %w and add the detail.
var (
	// ErrKeyAlgorithm is returned for a key algorithm other than P-256 and SM2,
	// or a key that does not match the algorithm of its issuer.
	ErrKeyAlgorithm = errors.New("certs: unsupported key algorithm (want P-256 for ecdsa chains, SM2 for sm chains)")
	// ErrSuiteMismatch is returned when a node's consensus key belongs to a
	// different crypto suite than the certificate tree (P-256 trees carry
	// secp256k1 node ids, SM2 trees carry SM2 node ids).
	ErrSuiteMismatch = errors.New("certs: the node's consensus key suite does not match the certificate tree")
	// ErrNotAuthority is returned when a certificate that must sign others is
	// not a CA certificate or lacks the certSign/cRLSign key usage.
	ErrNotAuthority = errors.New("certs: certificate is not an authority (needs CA basic constraints and certSign/cRLSign key usage)")
	// ErrNoBinding is returned when a node certificate carries no node-id
	// binding extension.
	ErrNoBinding = errors.New("certs: certificate has no gobcos node id binding extension (is it a node certificate issued by `gobcos chain build`?)")
	// ErrBadBinding is returned when the node-id binding extension is
	// malformed, names another suite, or its proof does not verify.
	ErrBadBinding = errors.New("certs: invalid node id binding extension")
	// ErrPEM is returned when a PEM file holds no block of the expected type.
	ErrPEM = errors.New("certs: no PEM block of the expected type")
	// ErrValidity is returned when NotAfter is not after NotBefore.
	ErrValidity = errors.New("certs: invalid validity period (NotAfter must be after NotBefore)")
)
