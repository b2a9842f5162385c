// Package console is the interactive and scriptable gobcos console: one
// command per line (info, block, tx, receipt, balance, deploy, call, send,
// proposals, proposal, nodes, config), run against one node through the Go
// SDK. Console.Exec runs one line, RunScript a script (stopping at the first
// error) and Interactive a line-edited session with history and completion.
package console
