package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/gobcos/gobcos/console"
	"github.com/gobcos/gobcos/crypto"
	"github.com/gobcos/gobcos/keystore"
	"github.com/gobcos/gobcos/node"
	"github.com/gobcos/gobcos/sdk"
)

func newConsoleCmd() *cobra.Command {
	var (
		rpcURL, keyFile, passwordFile, command, history, keystoreDir, solc string
		jsonOut, lightKDF                                                  bool
		timeout                                                            time.Duration
	)
	cmd := &cobra.Command{
		Use:   "console [script file]",
		Short: "Interactive and scriptable console for one node",
		Long: `Open a console on one node: read chain information, blocks, transactions and
receipts, deploy contracts from solc artifacts or .sol sources, call and send to them (by address or
CNS name) with arguments of any ABI type, list events, govern the chain (proposals
and votes, permissions, contract names) and manage keystore accounts.
Without arguments the console is interactive (line editing, history, tab completion);
with -c it runs one line, with a script file one command per line (# starts a comment)
and stops at the first error with a non-zero exit.`,
		Example: `  gobcos console --rpc http://127.0.0.1:8545 --key alice.json --password-file pw
  gobcos console --rpc http://127.0.0.1:8545 -c "block latest"
  gobcos console --rpc http://127.0.0.1:8545 --json deploy.txt`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if command != "" && len(args) > 0 {
				return errors.New("give either -c or a script file, not both")
			}
			ctx := cmd.Context()
			if ctx == nil {
				ctx = context.Background()
			}
			dctx, cancel := context.WithTimeout(ctx, timeout)
			client, err := sdk.Dial(dctx, rpcURL)
			cancel()
			if err != nil {
				return err
			}
			defer client.Close()
			var key crypto.PrivateKey
			if keyFile != "" {
				if key, err = loadConsoleKey(keyFile, passwordFile, client.Suite()); err != nil {
					return err
				}
			}
			opts := console.Options{Key: key, Out: cmd.OutOrStdout(), JSON: jsonOut, Timeout: timeout,
				KeystoreDir: keystoreDir, LightKDF: lightKDF, Solc: solc}
			if env := terminalEnv(); env.isTerminal() {
				opts.Password = env.readPassword
			}
			c := console.New(client, opts)
			switch {
			case command != "":
				return c.RunScript(ctx, strings.NewReader(command))
			case len(args) == 1:
				f, err := os.Open(args[0])
				if err != nil {
					return err
				}
				defer f.Close()
				return c.RunScript(ctx, f)
			}
			if history == "" {
				if home, err := os.UserHomeDir(); err == nil {
					history = filepath.Join(home, ".gobcos_console_history")
				}
			}
			return c.Interactive(ctx, history, cmd.ErrOrStderr())
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&rpcURL, "rpc", "http://127.0.0.1:8545", "JSON-RPC URL of the node (http://, ws:// or an IPC path)")
	fl.StringVar(&keyFile, "key", "", "key of the account that signs deploy, send and the governance commands: an encrypted keystore file (gobcos account new), or a plain hex private key file such as an organisation's admin.key from chain build")
	fl.StringVar(&passwordFile, "password-file", "", "read the key's password from the first line of this file instead of prompting")
	fl.StringVarP(&command, "command", "c", "", "run these commands (separated by newlines) and exit")
	fl.BoolVar(&jsonOut, "json", false, "print results as JSON, one value a line")
	fl.StringVar(&history, "history", "", "history file of the interactive console (default ~/.gobcos_console_history)")
	fl.StringVar(&keystoreDir, "keystore", defaultKeystoreDir, "directory of the key files of the account commands (accounts, account-new, account-import, account-use)")
	fl.BoolVar(&lightKDF, "light-kdf", false, "write new key files with light scrypt parameters (faster, weaker; for test chains)")
	fl.StringVar(&solc, "solc", "solc", "the Solidity compiler deploy runs for a .sol file")
	fl.DurationVar(&timeout, "timeout", 60*time.Second, "how long to wait for the node, per command")
	return cmd
}

// loadConsoleKey reads the console's signing key: an encrypted keystore
// file (JSON, its password from passwordFile or a prompt on a terminal),
// or a file holding the hex private key of the chain's suite, as `gobcos
// chain build` writes for each organisation's admin account.
func loadConsoleKey(path, passwordFile string, suite crypto.Suite) (crypto.PrivateKey, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("loading key: %w", err)
	}
	if t := strings.TrimSpace(string(raw)); t != "" && t[0] != '{' {
		k, err := node.LoadKey(path, suite)
		if err != nil {
			return nil, fmt.Errorf("loading key %s: neither a keystore file nor a hex %s private key: %w", path, suite.Name(), err)
		}
		return k, nil
	}
	pw := ""
	if passwordFile != "" {
		if pw, err = readPasswordFile(passwordFile); err != nil {
			return nil, err
		}
	} else if env := terminalEnv(); env.isTerminal() {
		if pw, err = env.readPassword("Password for " + path + ": "); err != nil {
			return nil, fmt.Errorf("reading password: %w", err)
		}
	}
	k, err := keystore.LoadFile(path, pw)
	if err != nil {
		return nil, fmt.Errorf("loading key %s: %w", path, err)
	}
	return k, nil
}
