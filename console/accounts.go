package console

import (
	"bufio"
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/ethereum/go-ethereum/common"

	"github.com/gobcos/gobcos/crypto"
	"github.com/gobcos/gobcos/keystore"
)

const passwordHelp = "PASSWORDFILE holds the password on its first line; without it the console\n" +
	"prompts on a terminal (interactive sessions) and fails in scripts."

func accountCommands() []*command {
	return []*command{
		{name: "account", short: "the console's signing account", max: 0, run: runAccount},
		{name: "accounts", short: "the accounts of the keystore directory", max: 0, run: runAccounts,
			long: "Lists the key files of the keystore directory (--keystore, default ./keystore):\naddress, crypto suite, file; the console's signing account is marked."},
		{name: "account-new", args: "[PASSWORDFILE]", short: "generate a key, store it encrypted in the keystore and sign with it", max: 1, run: runAccountNew,
			long: "The key is of the chain's crypto suite, encrypted (Web3 Secret Storage v3,\nscrypt) into the keystore directory; the console then signs with it.\n" + passwordHelp},
		{name: "account-import", args: "KEYFILE [PASSWORDFILE]", short: "import a key file (hex private key or encrypted keystore file) into the keystore", min: 1, max: 2, run: runAccountImport,
			long: "KEYFILE holds a private key as 64 hex digits, or is an encrypted keystore file\n(then the password is the file's own, and the copy keeps it). The key is never\ntaken from the command line, where it would land in the history.\n" + passwordHelp},
		{name: "account-use", args: "ADDR|KEYFILE [PASSWORDFILE]", short: "sign with another account of the keystore, or a key file", min: 1, max: 2, run: runAccountUse,
			long: "Decrypts the key of ADDR in the keystore directory, or the key file KEYFILE, and\nmakes it the console's signing account.\n" + passwordHelp},
	}
}

func runAccount(_ context.Context, c *Console, _ []string) error {
	if c.key == nil {
		return fmt.Errorf("%w: start the console with --key or run account-use", ErrNoKey)
	}
	return c.print(map[string]string{"address": c.key.Address().Hex(), "suite": c.key.SuiteName()})
}

func (c *Console) store() *keystore.Store {
	return keystore.NewStore(c.keystoreDir, c.lightKDF)
}

func runAccounts(_ context.Context, c *Console, _ []string) error {
	accts, err := c.store().List()
	if err != nil {
		return err
	}
	list := make([]map[string]any, 0, len(accts))
	for _, a := range accts {
		e := map[string]any{"address": a.Address.Hex(), "suite": a.Suite, "file": a.Path}
		if c.key != nil && c.key.Address() == a.Address {
			e["current"] = true
		}
		list = append(list, e)
	}
	if !c.json && len(list) == 0 {
		fmt.Fprintf(c.out, "no accounts in %s\n", c.keystoreDir)
		return nil
	}
	return c.print(list)
}

// password returns the password from the file named in args[at], or by
// prompting; confirm asks twice and refuses an empty one (for new files).
func (c *Console) password(args []string, at int, what string, confirm bool) (string, error) {
	var pw string
	switch {
	case len(args) > at:
		p, err := readFirstLine(args[at])
		if err != nil {
			return "", err
		}
		pw = p
	case c.prompt != nil:
		p, err := c.prompt("Password for " + what + ": ")
		if err != nil {
			return "", fmt.Errorf("reading password: %w", err)
		}
		if confirm {
			again, err := c.prompt("Repeat password: ")
			if err != nil {
				return "", fmt.Errorf("reading password: %w", err)
			}
			if again != p {
				return "", errors.New("the passwords do not match")
			}
		}
		pw = p
	default:
		return "", fmt.Errorf("%w: give a password file (no terminal to prompt on)", ErrBadArg)
	}
	if confirm && pw == "" {
		return "", fmt.Errorf("%w: refusing an empty password", ErrBadArg)
	}
	return pw, nil
}

func readFirstLine(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", fmt.Errorf("password file: %w", err)
	}
	defer f.Close()
	line, err := bufio.NewReader(io.LimitReader(f, 64<<10)).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", fmt.Errorf("password file %s: %w", path, err)
	}
	return strings.TrimRight(line, "\r\n"), nil
}

func (c *Console) suite() crypto.Suite {
	if c.client == nil {
		return crypto.ECDSA()
	}
	return c.client.Suite()
}

// use makes key the signing account and prints it.
func (c *Console) use(key crypto.PrivateKey, file string) error {
	if key.SuiteName() != c.suite().Name() {
		return fmt.Errorf("%w: the key is %s, the chain is %s", ErrBadArg, key.SuiteName(), c.suite().Name())
	}
	c.key = key
	return c.print(map[string]string{"address": key.Address().Hex(), "suite": key.SuiteName(), "file": file})
}

func runAccountNew(_ context.Context, c *Console, args []string) error {
	pw, err := c.password(args, 0, "the new key", true)
	if err != nil {
		return err
	}
	key, err := c.suite().GenerateKey()
	if err != nil {
		return fmt.Errorf("generating a key: %w", err)
	}
	a, err := c.store().Save(key, pw)
	if err != nil {
		return err
	}
	return c.use(key, a.Path)
}

func runAccountImport(_ context.Context, c *Console, args []string) error {
	raw, err := readKeyMaterial(args[0])
	if err != nil {
		return err
	}
	var key crypto.PrivateKey
	var pw string
	if json.Valid(raw) {
		if pw, err = c.password(args, 1, args[0], false); err != nil {
			return err
		}
		if key, err = keystore.Decrypt(raw, pw); err != nil {
			return fmt.Errorf("%s: %w", args[0], err)
		}
	} else {
		s := strings.TrimSpace(string(raw))
		s = strings.TrimPrefix(strings.TrimPrefix(s, "0x"), "0X")
		b, err := hex.DecodeString(s)
		if err != nil || len(b) != 32 {
			return fmt.Errorf("%w: %s holds neither a keystore file nor a 32-byte private key as 64 hex digits", ErrBadArg, args[0])
		}
		key, err = c.suite().ParsePrivateKey(b)
		clear(b)
		if err != nil {
			return fmt.Errorf("%w: %s is not a valid %s private key", ErrBadArg, args[0], c.suite().Name())
		}
		if pw, err = c.password(args, 1, "the imported key", true); err != nil {
			return err
		}
	}
	if key.SuiteName() != c.suite().Name() {
		return fmt.Errorf("%w: the key is %s, the chain is %s", ErrBadArg, key.SuiteName(), c.suite().Name())
	}
	a, err := c.store().Save(key, pw)
	if err != nil {
		return err
	}
	return c.print(map[string]string{"address": a.Address.Hex(), "suite": a.Suite, "file": a.Path})
}

// readKeyMaterial reads a small key file; errors never echo its content.
func readKeyMaterial(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("key file: %w", err)
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, 64<<10))
	if err != nil {
		return nil, fmt.Errorf("key file %s: %w", path, err)
	}
	return b, nil
}

func runAccountUse(_ context.Context, c *Console, args []string) error {
	path := args[0]
	if common.IsHexAddress(args[0]) {
		a, err := c.store().Find(common.HexToAddress(args[0]))
		if err != nil {
			return err
		}
		path = a.Path
	}
	pw, err := c.password(args, 1, path, false)
	if err != nil {
		return err
	}
	key, err := keystore.LoadFile(path, pw)
	if err != nil {
		return err
	}
	return c.use(key, path)
}
