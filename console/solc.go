package console

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"

	"github.com/ethereum/go-ethereum/accounts/abi"
	"github.com/ethereum/go-ethereum/common/hexutil"
)

// compiled is one contract of a solc run.
type compiled struct {
	name string
	abi  abi.ABI
	bin  []byte
}

// isSolSource reports whether a deploy argument names a Solidity source,
// FILE.sol or FILE.sol:CONTRACT.
func isSolSource(s string) bool {
	file, _, _ := strings.Cut(s, ".sol:")
	return strings.HasSuffix(s, ".sol") || file != s
}

// compileSol compiles FILE.sol[:CONTRACT] with solc --combined-json and
// returns the contract: the one named, else the only one with bytecode,
// else the one named like the file.
func (c *Console) compileSol(ctx context.Context, src string) (*compiled, error) {
	file, want := src, ""
	if i := strings.LastIndex(src, ".sol:"); i >= 0 {
		file, want = src[:i+len(".sol")], src[i+len(".sol:"):]
	}
	if _, err := readSmall(file); err != nil {
		return nil, err
	}
	path, err := exec.LookPath(c.solc)
	if err != nil {
		return nil, fmt.Errorf("%w: deploying a .sol needs solc (%q not found: install it or pass --solc); or give the .abi and .bin files", ErrBadArg, c.solc)
	}
	var stdout, stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, path, "--combined-json", "abi,bin", file)
	cmd.Stdout, cmd.Stderr = &limitedWriter{w: &stdout, n: maxArtifact}, &limitedWriter{w: &stderr, n: 64 << 10}
	if err := cmd.Run(); err != nil {
		msg := strings.TrimSpace(stderr.String())
		if msg == "" {
			msg = err.Error()
		}
		return nil, fmt.Errorf("solc %s: %s", file, msg)
	}
	var out struct {
		Contracts map[string]struct {
			ABI json.RawMessage `json:"abi"`
			Bin string          `json:"bin"`
		} `json:"contracts"`
	}
	if err := json.Unmarshal(stdout.Bytes(), &out); err != nil {
		return nil, fmt.Errorf("solc %s: unreadable output: %v", file, err)
	}
	var all []*compiled
	for key, k := range out.Contracts {
		name := key[strings.LastIndex(key, ":")+1:]
		raw := k.ABI
		var s string
		if json.Unmarshal(raw, &s) == nil { // older solc gives the ABI as a string
			raw = json.RawMessage(s)
		}
		a, err := abi.JSON(bytes.NewReader(raw))
		if err != nil {
			return nil, fmt.Errorf("solc %s: ABI of %s: %v", file, name, err)
		}
		bin, err := hexutil.Decode("0x" + strings.TrimPrefix(k.Bin, "0x"))
		if err != nil && k.Bin != "" {
			return nil, fmt.Errorf("solc %s: bytecode of %s is not hex", file, name)
		}
		all = append(all, &compiled{name: name, abi: a, bin: bin})
	}
	sort.Slice(all, func(i, j int) bool { return all[i].name < all[j].name })
	return pickContract(all, want, strings.TrimSuffix(filepath.Base(file), ".sol"))
}

func pickContract(all []*compiled, want, base string) (*compiled, error) {
	var names, deployable []string
	var only, named *compiled
	for _, k := range all {
		names = append(names, k.name)
		if want != "" && k.name == want {
			if len(k.bin) == 0 {
				return nil, fmt.Errorf("%w: %s has no bytecode (an interface or abstract contract)", ErrBadArg, want)
			}
			return k, nil
		}
		if len(k.bin) > 0 {
			deployable = append(deployable, k.name)
			only = k
			if k.name == base {
				named = k
			}
		}
	}
	switch {
	case want != "":
		return nil, fmt.Errorf("%w: no contract %s; the file has %s", ErrBadArg, want, strings.Join(names, ", "))
	case len(deployable) == 1:
		return only, nil
	case named != nil:
		return named, nil
	case len(deployable) == 0:
		return nil, fmt.Errorf("%w: no deployable contract in the file", ErrBadArg)
	}
	return nil, fmt.Errorf("%w: the file has contracts %s: pick one with FILE.sol:NAME", ErrBadArg, strings.Join(deployable, ", "))
}

// limitedWriter keeps at most n bytes and fails past them.
type limitedWriter struct {
	w *bytes.Buffer
	n int
}

var errOutputTooLarge = errors.New("output too large")

func (l *limitedWriter) Write(p []byte) (int, error) {
	if l.w.Len()+len(p) > l.n {
		return 0, errOutputTooLarge
	}
	return l.w.Write(p)
}
