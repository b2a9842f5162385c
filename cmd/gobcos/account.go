package main

import (
	"bufio"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"regexp"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/gobcos/gobcos/crypto"
	"github.com/gobcos/gobcos/keystore"
)

// defaultKeystoreDir is where account commands keep key files unless told otherwise.
const defaultKeystoreDir = "./keystore"

// accountEnv is what the account commands need from the terminal, so
// tests can run them in-process.
type accountEnv struct {
	// isTerminal reports whether a password can be prompted for.
	isTerminal func() bool
	// readPassword prints prompt and reads a line without echo.
	readPassword func(prompt string) (string, error)
}

func terminalEnv() accountEnv {
	fd := int(os.Stdin.Fd())
	return accountEnv{
		isTerminal: func() bool { return term.IsTerminal(fd) },
		readPassword: func(prompt string) (string, error) {
			fmt.Fprint(os.Stderr, prompt)
			b, err := term.ReadPassword(fd)
			fmt.Fprintln(os.Stderr)
			return string(b), err
		},
	}
}

// newAccountCmd is `gobcos account`: manage encrypted key files.
func newAccountCmd() *cobra.Command { return newAccountCmdWith(terminalEnv()) }

func newAccountCmdWith(env accountEnv) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "account",
		Short: "Create, list and import encrypted account keys",
		Long: `Manage account keys kept in a keystore directory as password-encrypted
Web3 Secret Storage (v3) files. ECDSA key files are the same as go-ethereum's and
can be used by geth, ethers or MetaMask; SM2 key files add "suite": "sm".`,
	}
	cmd.AddCommand(newAccountNewCmd(env), newAccountListCmd(), newAccountImportCmd(env))
	return cmd
}

// keyFlags are the flags of commands that write a key file.
type keyFlags struct {
	dir           string
	suite         string
	passwordFile  string
	emptyPassword bool
	lightKDF      bool
}

func (f *keyFlags) register(cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.StringVar(&f.dir, "keystore", defaultKeystoreDir, "directory of the key files (created if missing)")
	fl.StringVar(&f.suite, "crypto", crypto.NameECDSA, `crypto suite of the key: "ecdsa" (secp256k1, Ethereum compatible) or "sm" (SM2); must match the chain's`)
	fl.StringVar(&f.passwordFile, "password-file", "", "read the password from the first line of this file instead of prompting")
	fl.BoolVar(&f.emptyPassword, "insecure-empty-password", false, "allow an empty password (the key file is then readable by anyone who gets it)")
	fl.BoolVar(&f.lightKDF, "light-kdf", false, "use light scrypt parameters (4 MiB instead of 256 MiB): faster, weaker against password guessing; for test chains")
}

func (f *keyFlags) cryptoSuite() (crypto.Suite, error) {
	switch f.suite {
	case crypto.NameECDSA, crypto.NameSM:
		return crypto.ByName(f.suite)
	}
	return nil, fmt.Errorf("--crypto %q: want %q or %q", f.suite, crypto.NameECDSA, crypto.NameSM)
}

// password reads the new key's password from --password-file or, on a
// terminal, by prompting twice.
func (f *keyFlags) password(env accountEnv) (string, error) {
	var pw string
	if f.passwordFile != "" {
		p, err := readPasswordFile(f.passwordFile)
		if err != nil {
			return "", err
		}
		pw = p
	} else {
		if !env.isTerminal() {
			return "", errors.New("no --password-file given and standard input is not a terminal to prompt for a password on")
		}
		p, err := env.readPassword("Password: ")
		if err != nil {
			return "", fmt.Errorf("reading password: %w", err)
		}
		again, err := env.readPassword("Repeat password: ")
		if err != nil {
			return "", fmt.Errorf("reading password: %w", err)
		}
		if p != again {
			return "", errors.New("the passwords do not match")
		}
		pw = p
	}
	if pw == "" && !f.emptyPassword {
		return "", errors.New("refusing an empty password: choose one, or pass --insecure-empty-password for a throwaway key")
	}
	return pw, nil
}

// readPasswordFile returns the first line of path, without its line ending.
func readPasswordFile(path string) (string, error) {
	fh, err := os.Open(path)
	if err != nil {
		return "", fmt.Errorf("password file: %w", err)
	}
	defer fh.Close()
	line, err := bufio.NewReader(io.LimitReader(fh, 64<<10)).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", fmt.Errorf("password file %s: %w", path, err)
	}
	return strings.TrimRight(line, "\r\n"), nil
}

// save encrypts key with pw into the keystore and prints its account.
func (f *keyFlags) save(w io.Writer, key crypto.PrivateKey, pw string) error {
	a, err := keystore.NewStore(f.dir, f.lightKDF).Save(key, pw)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "address: %s\nsuite:   %s\nfile:    %s\n", a.Address.Hex(), a.Suite, a.Path)
	return nil
}

func newAccountNewCmd(env accountEnv) *cobra.Command {
	var f keyFlags
	cmd := &cobra.Command{
		Use:   "new",
		Short: "Generate a key and store it encrypted in the keystore",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			suite, err := f.cryptoSuite()
			if err != nil {
				return err
			}
			pw, err := f.password(env)
			if err != nil {
				return err
			}
			key, err := suite.GenerateKey()
			if err != nil {
				return fmt.Errorf("generating a key: %w", err)
			}
			return f.save(cmd.OutOrStdout(), key, pw)
		},
	}
	f.register(cmd)
	return cmd
}

func newAccountListCmd() *cobra.Command {
	var dir string
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List the accounts of the keystore: address, crypto suite and file",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			accts, err := keystore.NewStore(dir, false).List()
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			if len(accts) == 0 {
				fmt.Fprintf(out, "no accounts in %s\n", dir)
				return nil
			}
			tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "ADDRESS\tSUITE\tFILE")
			for _, a := range accts {
				fmt.Fprintf(tw, "%s\t%s\t%s\n", a.Address.Hex(), a.Suite, a.Path)
			}
			return tw.Flush()
		},
	}
	cmd.Flags().StringVar(&dir, "keystore", defaultKeystoreDir, "directory of the key files")
	return cmd
}

// hexKeyArg matches an argument that is a private key itself rather than a file name.
var hexKeyArg = regexp.MustCompile(`^(0[xX])?[0-9a-fA-F]{64}$`)

func newAccountImportCmd(env accountEnv) *cobra.Command {
	var f keyFlags
	cmd := &cobra.Command{
		Use:   "import <hex-private-key-file>",
		Short: "Encrypt an existing private key into the keystore",
		Long: `Import a private key from a file holding it as hex (64 hex digits, optionally
0x-prefixed, surrounding whitespace ignored). The key is read from a file, never
from the command line, where it would land in shell history and process lists.
Delete the plain key file once the import succeeded.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			suite, err := f.cryptoSuite()
			if err != nil {
				return err
			}
			key, err := readHexKeyFile(suite, args[0])
			if err != nil {
				return err
			}
			pw, err := f.password(env)
			if err != nil {
				return err
			}
			return f.save(cmd.OutOrStdout(), key, pw)
		},
	}
	f.register(cmd)
	return cmd
}

// readHexKeyFile loads a hex private key from path. Errors never echo the
// file's content.
func readHexKeyFile(suite crypto.Suite, path string) (crypto.PrivateKey, error) {
	fh, err := os.Open(path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) && hexKeyArg.MatchString(path) {
			return nil, errors.New("the argument looks like a private key itself: put the key in a file and pass the file's name")
		}
		return nil, fmt.Errorf("key file: %w", err)
	}
	defer fh.Close()
	raw, err := io.ReadAll(io.LimitReader(fh, 1024))
	if err != nil {
		return nil, fmt.Errorf("key file %s: %w", path, err)
	}
	s := strings.TrimSpace(string(raw))
	s = strings.TrimPrefix(strings.TrimPrefix(s, "0x"), "0X")
	b, err := hex.DecodeString(s)
	if err != nil || len(b) != 32 {
		return nil, fmt.Errorf("key file %s: want a 32-byte private key as 64 hex digits", path)
	}
	key, err := suite.ParsePrivateKey(b)
	clear(b)
	if err != nil {
		return nil, fmt.Errorf("key file %s: not a valid %s private key", path, suite.Name())
	}
	return key, nil
}
