// Package testports finds free TCP port ranges for tests that start
// servers on ports they must know in advance: node processes, chains
// built with base ports (node i on base+i). Ranges are taken below the
// kernel's ephemeral port range, so the outgoing connections of other
// tests running at the same time (which get ephemeral ports) cannot take
// a port between the check and the server's bind.
package testports
