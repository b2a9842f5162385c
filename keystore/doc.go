// Package keystore keeps private keys of both gobcos crypto suites in
// password-encrypted files.
//
// The file format is Web3 Secret Storage version 3, the JSON format of
// go-ethereum, ethers and web3.js keystores: a KDF (scrypt, or PBKDF2 with
// HMAC-SHA256 when reading) derives 32 bytes from the password; the first
// 16 encrypt the 32-byte private scalar with AES-128-CTR and the last 16,
// hashed with the ciphertext, form the MAC that tells a wrong password
// apart.
//
// ECDSA (secp256k1) keys are written exactly as go-ethereum writes them,
// with a Keccak-256 MAC, so the files can be used by geth, ethers or
// MetaMask and theirs by gobcos. SM2 keys use the same structure with an
// extra "suite":"sm" field and an SM3 MAC: the MAC hash is always the
// suite's hash. Ethereum tools therefore reject an SM key file with a
// wrong-MAC error instead of misreading the SM2 scalar as a secp256k1 key.
//
// All primitives come from libraries: golang.org/x/crypto/scrypt,
// crypto/pbkdf2, crypto/aes and crypto/cipher, and the suites' hashes from
// the crypto package. Decrypt bounds the KDF parameters it accepts so a
// hostile file cannot make it allocate gigabytes or spin for minutes.
//
// A Store is a directory of such files named UTC--<time>--<address>.json.
package keystore
