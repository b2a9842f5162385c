package console

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/gobcos/gobcos/crypto"
	"github.com/gobcos/gobcos/sdk"
)

// Console runs console commands against one node.
type Console struct {
	client  *sdk.Client
	key     crypto.PrivateKey // nil: commands that sign fail with ErrNoKey
	out     io.Writer
	json    bool
	timeout time.Duration
	cmds    map[string]*command

	keystoreDir string
	lightKDF    bool
	solc        string
	prompt      func(prompt string) (string, error)
}

// Options configures a Console.
type Options struct {
	Key     crypto.PrivateKey // signs deploy and send; may be nil
	Out     io.Writer         // where results go
	JSON    bool              // machine-readable output
	Timeout time.Duration     // per command; 0 means 60s
	// KeystoreDir is the directory of the account commands; "" means
	// ./keystore.
	KeystoreDir string
	// LightKDF writes new key files with the light scrypt parameters.
	LightKDF bool
	// Solc is the compiler deploy runs for a .sol file; "" means solc on
	// the PATH.
	Solc string
	// Password reads a password without echo; nil makes the account
	// commands require a password file.
	Password func(prompt string) (string, error)
}

type command struct {
	name  string
	args  string // usage after the name
	short string
	long  string
	min   int // fewest arguments
	max   int // most arguments; -1 for any
	// choices completes the first argument.
	choices []string
	run     func(ctx context.Context, c *Console, args []string) error
}

// New returns a console using client.
func New(client *sdk.Client, opts Options) *Console {
	c := &Console{client: client, key: opts.Key, out: opts.Out, json: opts.JSON, timeout: opts.Timeout,
		keystoreDir: opts.KeystoreDir, lightKDF: opts.LightKDF, prompt: opts.Password, solc: opts.Solc}
	if c.solc == "" {
		c.solc = "solc"
	}
	if c.keystoreDir == "" {
		c.keystoreDir = "keystore"
	}
	if c.out == nil {
		c.out = io.Discard
	}
	if c.timeout <= 0 {
		c.timeout = 60 * time.Second
	}
	c.cmds = map[string]*command{}
	for _, cmd := range commands() {
		c.cmds[cmd.name] = cmd
	}
	return c
}

// Names lists the command names, sorted.
func (c *Console) Names() []string {
	names := make([]string, 0, len(c.cmds)+2)
	for n := range c.cmds {
		names = append(names, n)
	}
	names = append(names, "help", "exit")
	sort.Strings(names)
	return names
}

// Exec runs one command line. An empty line or a # comment does nothing.
func (c *Console) Exec(ctx context.Context, line string) error {
	words, err := splitLine(line)
	if err != nil {
		return err
	}
	if len(words) == 0 || strings.HasPrefix(words[0], "#") {
		return nil
	}
	name, args := words[0], words[1:]
	if name == "help" {
		return c.help(args)
	}
	cmd, ok := c.cmds[name]
	if !ok {
		return fmt.Errorf("%w %q (type help for the list)", ErrUnknownCommand, name)
	}
	if len(args) < cmd.min || (cmd.max >= 0 && len(args) > cmd.max) {
		return fmt.Errorf("%w: %s %s", ErrUsage, cmd.name, cmd.args)
	}
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	if err := cmd.run(ctx, c, args); err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	return nil
}

// RunScript runs r one line at a time and stops at the first error,
// returned with its line number.
func (c *Console) RunScript(ctx context.Context, r io.Reader) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	n := 0
	for sc.Scan() {
		n++
		line := strings.TrimSpace(sc.Text())
		if line == "exit" || line == "quit" {
			return nil
		}
		if err := c.Exec(ctx, line); err != nil {
			return fmt.Errorf("line %d: %w", n, err)
		}
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("reading script: %w", err)
	}
	return nil
}

func (c *Console) help(args []string) error {
	if len(args) == 0 {
		fmt.Fprintln(c.out, "Commands:")
		for _, n := range c.Names() {
			if cmd, ok := c.cmds[n]; ok {
				fmt.Fprintf(c.out, "  %-22s %s\n", n, cmd.short)
			}
		}
		fmt.Fprintf(c.out, "  %-22s %s\n  %-22s %s\n", "help [CMD]", "show this list or one command's help", "exit", "leave the console")
		return nil
	}
	switch args[0] {
	case "help":
		fmt.Fprintln(c.out, "help [CMD]\n  show the list of commands, or one command's usage and description")
		return nil
	case "exit", "quit":
		fmt.Fprintln(c.out, args[0]+"\n  leave the console (also Ctrl-D); in a script, end it")
		return nil
	}
	cmd, ok := c.cmds[args[0]]
	if !ok {
		return fmt.Errorf("%w %q", ErrUnknownCommand, args[0])
	}
	fmt.Fprintf(c.out, "%s %s\n  %s\n", cmd.name, cmd.args, cmd.short)
	if cmd.long != "" {
		fmt.Fprintf(c.out, "\n%s\n", cmd.long)
	}
	return nil
}

// splitLine splits a line into words; single or double quotes group
// words, and so do brackets: inside [ ] and ( ) spaces and quotes stay in
// the word, for the array and tuple literals of ABI arguments.
func splitLine(line string) ([]string, error) {
	var (
		words []string
		cur   strings.Builder
		quote rune
		in    bool
		depth int
	)
	for _, r := range line {
		switch {
		case quote != 0:
			if r == quote {
				quote = 0
				if depth > 0 {
					cur.WriteRune(r)
				}
			} else {
				cur.WriteRune(r)
			}
		case r == '"' || r == '\'':
			quote, in = r, true
			if depth > 0 {
				cur.WriteRune(r)
			}
		case r == '[' || r == '(':
			depth++
			cur.WriteRune(r)
			in = true
		case (r == ']' || r == ')') && depth > 0:
			depth--
			cur.WriteRune(r)
		case (r == ' ' || r == '\t') && depth == 0:
			if in {
				words = append(words, cur.String())
				cur.Reset()
				in = false
			}
		default:
			cur.WriteRune(r)
			in = true
		}
	}
	if quote != 0 {
		return nil, fmt.Errorf("%w: unclosed quote", ErrBadArg)
	}
	if depth > 0 {
		return nil, fmt.Errorf("%w: unclosed bracket", ErrBadArg)
	}
	if in {
		words = append(words, cur.String())
	}
	return words, nil
}

// print writes v: as JSON with --json, else human-readable.
func (c *Console) print(v any) error {
	if c.json {
		b, err := json.Marshal(v)
		if err != nil {
			return err
		}
		fmt.Fprintln(c.out, string(b))
		return nil
	}
	// Normalise through JSON so structs print as their JSON fields.
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	var g any
	if err := json.Unmarshal(b, &g); err != nil {
		return err
	}
	printHuman(c.out, g, "")
	return nil
}

func printHuman(w io.Writer, v any, indent string) {
	switch x := v.(type) {
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			switch inner := x[k].(type) {
			case map[string]any, []any:
				if isEmpty(inner) {
					fmt.Fprintf(w, "%s%s: (none)\n", indent, k)
					continue
				}
				fmt.Fprintf(w, "%s%s:\n", indent, k)
				printHuman(w, inner, indent+"  ")
			default:
				fmt.Fprintf(w, "%s%s: %s\n", indent, k, humanField(k, inner))
			}
		}
	case []any:
		for i, e := range x {
			switch e.(type) {
			case map[string]any, []any:
				fmt.Fprintf(w, "%s[%d]\n", indent, i)
				printHuman(w, e, indent+"  ")
			default:
				fmt.Fprintf(w, "%s- %s\n", indent, scalar(e))
			}
		}
	default:
		fmt.Fprintf(w, "%s%s\n", indent, scalar(x))
	}
}

func isEmpty(v any) bool {
	switch x := v.(type) {
	case map[string]any:
		return len(x) == 0
	case []any:
		return len(x) == 0
	}
	return false
}

func scalar(v any) string {
	if v == nil {
		return "null"
	}
	if f, ok := v.(float64); ok {
		return fmt.Sprintf("%v", json.Number(fmt.Sprint(f)))
	}
	return fmt.Sprint(v)
}

// quantityKeys are the result fields that hold a hex quantity the human
// output shows in decimal.
var quantityKeys = map[string]bool{
	"number": true, "id": true, "createdBlock": true, "expiryBlock": true, "forWeight": true,
	"againstWeight": true, "gasUsed": true, "gas": true, "nonce": true, "blockNumber": true,
	"timestamp": true, "transactionIndex": true, "cumulativeGasUsed": true, "weight": true,
	"chainId": true, "blockLimitWindow": true, "txGasLimit": true, "gasLimit": true,
	"size": true, "logIndex": true, "blockLimit": true, "view": true, "height": true,
}

func humanField(key string, v any) string {
	if s, ok := v.(string); ok && quantityKeys[key] && strings.HasPrefix(s, "0x") && len(s) <= 18 {
		if n, err := strconv.ParseUint(s[2:], 16, 64); err == nil {
			return strconv.FormatUint(n, 10)
		}
	}
	return scalar(v)
}
