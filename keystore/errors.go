package keystore

import "errors"

// Sentinel errors. Functions wrap them with details.
var (
	// ErrWrongPassword means the MAC did not match: the password is wrong or
	// the file was altered.
	ErrWrongPassword = errors.New("could not decrypt key: wrong password (or the key file is corrupted)")
	// ErrMalformed means the input is not a well-formed version 3 key file.
	ErrMalformed = errors.New("malformed key file")
	// ErrUnsupported means a well-formed file uses a version, cipher, KDF
	// or suite this package does not implement.
	ErrUnsupported = errors.New("unsupported key file")
	// ErrKDFTooCostly means the file asks for KDF parameters beyond the
	// limits Decrypt accepts.
	ErrKDFTooCostly = errors.New("key file asks for KDF parameters that are too costly")
	// ErrAddressMismatch means the decrypted key does not belong to the
	// address the file claims.
	ErrAddressMismatch = errors.New("decrypted key does not match the address in the key file")
	// ErrNoSuchAccount means no key file in the store holds the address.
	ErrNoSuchAccount = errors.New("no key file for this address in the keystore")
	// ErrAccountExists means the store already holds a key for the address.
	ErrAccountExists = errors.New("the keystore already holds a key for this address")
	// ErrTooLarge means a key file is larger than any real key file.
	ErrTooLarge = errors.New("key file too large")
)
