// Package crypto holds the per-chain cryptographic suites of gobcos.
//
// A chain chooses its suite at genesis and never mixes them: the Ethereum
// compatible suite (ECDSA over secp256k1 with Keccak-256) or the Chinese
// national suite (SM2 signatures with SM3 hashes). Callers receive a Suite
// value and never pick primitives by themselves, so several chains with
// different suites can live in one process. No primitive is implemented
// here: secp256k1 and Keccak come from go-ethereum, SM2 and SM3 from
// github.com/emmansun/gmsm.
//
// The SM suite keeps the public keys whose signatures it verified lately
// parsed, with their Z values (smkeys.go): a sender's or sealer's next
// signature then costs the curve arithmetic alone, about a tenth less. So
// a node makes its suite once (SM or ByName) and passes that value around.
package crypto
