// Package metrics holds the Prometheus collectors of one gobcos node and
// the HTTP server that exposes them (with pprof, when enabled).
//
// Every node has its own registry: several groups may run in one process,
// so nothing is registered in the default (global) registry. Every gobcos
// metric carries the group as the label "group"; the Go runtime and
// process collectors are added once per registry, without it.
//
// Components do not import this package. They report through small
// interfaces or optional fields defined next to them (the JSON-RPC
// server's CallObserver, the consensus engines' Tracer); the node's
// adapters forward those reports here, and the gauges (height, pool size,
// peers, view) are read from the node's Status functions at scrape time
// through a Source. A nil *Metrics accepts every call and records nothing.
//
// The metric names, units and labels are listed in docs/metrics.md.
package metrics
