package console

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/peterh/liner"
)

// Interactive runs a line-edited session on the terminal until exit, quit
// or end of input. Errors of single commands are printed to errOut and the
// session goes on. historyFile, when not empty, keeps the history between
// sessions.
func (c *Console) Interactive(ctx context.Context, historyFile string, errOut io.Writer) error {
	ln := liner.NewLiner()
	defer ln.Close()
	ln.SetCtrlCAborts(true)
	ln.SetTabCompletionStyle(liner.TabPrints)
	ln.SetCompleter(c.Complete)
	if c.prompt != nil {
		// Passwords are read by the line editor too: it keeps the terminal
		// in its own mode between prompts, so a password typed (or pasted)
		// right after the prompt is read as typed, never echoed.
		prev := c.prompt
		c.prompt = ln.PasswordPrompt
		defer func() { c.prompt = prev }()
	}
	if historyFile != "" {
		if f, err := os.Open(historyFile); err == nil {
			_, _ = ln.ReadHistory(f)
			f.Close()
		}
		defer func() {
			if f, err := os.OpenFile(historyFile, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o600); err == nil {
				_, _ = ln.WriteHistory(f)
				f.Close()
			}
		}()
	}
	fmt.Fprintf(c.out, "gobcos console: group %s, chain %d, suite %s. Type help for the commands.\n",
		c.client.GroupID(), c.client.ChainID(), c.client.Suite().Name())
	for {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		line, err := ln.Prompt("[" + c.client.GroupID() + "]> ")
		if errors.Is(err, liner.ErrPromptAborted) {
			continue
		}
		if errors.Is(err, io.EOF) {
			fmt.Fprintln(c.out)
			return nil
		}
		if err != nil {
			return err
		}
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		ln.AppendHistory(line)
		if line == "exit" || line == "quit" {
			return nil
		}
		if err := c.Exec(ctx, line); err != nil {
			fmt.Fprintln(errOut, "error:", err)
		}
	}
}

// Complete completes the command name at the start of line, a command
// name after "help ", and the first argument of commands with a fixed set
// of choices (roles, actions, system contracts).
func (c *Console) Complete(line string) []string {
	if !strings.Contains(line, " ") {
		return withPrefix("", line, c.Names())
	}
	name, rest, _ := strings.Cut(line, " ")
	word := strings.TrimLeft(rest, " ")
	if strings.Contains(word, " ") {
		return nil
	}
	prefix := line[:len(line)-len(word)]
	if name == "help" {
		return withPrefix(prefix, word, c.Names())
	}
	if cmd, ok := c.cmds[name]; ok && len(cmd.choices) > 0 {
		return withPrefix(prefix, word, cmd.choices)
	}
	return nil
}

func withPrefix(prefix, word string, names []string) []string {
	var out []string
	for _, n := range names {
		if strings.HasPrefix(n, word) {
			out = append(out, prefix+n)
		}
	}
	return out
}
