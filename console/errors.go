package console

import "errors"

var (
	// ErrUnknownCommand is returned for a line whose first word is no command.
	ErrUnknownCommand = errors.New("unknown command")
	// ErrUsage is returned when a command gets the wrong arguments.
	ErrUsage = errors.New("usage")
	// ErrNoKey is returned by commands that sign when the console has no key.
	ErrNoKey = errors.New("no signing key")
	// ErrBadArg is returned for an argument that cannot be converted.
	ErrBadArg = errors.New("bad argument")
)
