// Package console is the interactive and scriptable gobcos console: one
// command per line, run against one node through the Go SDK. It reads the
// chain (info, block, tx, receipt, balance, events, history), deploys,
// calls and sends to contracts with arguments and results of every ABI
// type (arrays and tuples in a bracket syntax, see abivalue.go), governs
// the chain through the system contracts (every Committee proposal kind,
// votes, revocation, permissions, CNS names and gray routes) and manages
// keystore accounts. Console.Exec runs one line, RunScript a script
// (stopping at the first error) and Interactive a line-edited session with
// history and completion. Every command prints text, or JSON with
// Options.JSON.
package console
