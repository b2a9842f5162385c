// Package badinput sends a running node every class of malformed or hostile
// request a client can make and checks each gets a specific JSON-RPC error
// while the node keeps working.
package badinput
