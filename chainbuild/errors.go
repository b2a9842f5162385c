package chainbuild

import "errors"

// Sentinel errors, wrapped with the detail.
var (
	// ErrOptions marks bad options (flags); the message names the flag.
	ErrOptions = errors.New("invalid options")
	// ErrExists is returned when the output directory already holds files
	// and Force is not set.
	ErrExists = errors.New("the output directory is not empty (pass --force to replace a chain generated there)")
	// ErrNotChainDir is returned when a directory has no chain.json.
	ErrNotChainDir = errors.New("not a chain directory made by `gobcos chain build` (no readable chain.json)")
	// ErrUnknownOrg is returned when add-node names an organisation the
	// chain does not have.
	ErrUnknownOrg = errors.New("unknown organisation")
)
