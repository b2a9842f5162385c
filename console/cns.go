package console

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/ethereum/go-ethereum/common"

	"github.com/gobcos/gobcos/executor/precompiled"
	"github.com/gobcos/gobcos/sdk"
)

func cnsCommands() []*command {
	return []*command{
		{name: "cns-register", args: "NAME VERSION ADDR [ABIFILE]", short: "register a contract version under a CNS name", min: 3, max: 4, run: runCNSRegister,
			long: "CNS.register, by the contract's deployer (the name's first registrant owns it)\nor an operator. Versions are immutable. The ABI, when given, is stored with the\nversion, so `events NAME` decodes without an ABI file."},
		{name: "cns-resolve", args: "NAME [VERSION]", short: "the address a name resolves to for the console's account, or a given version's", min: 1, max: 2, run: runCNSResolve,
			long: "Without VERSION: bcos_resolveName for the console's account (the gray route\napplies). With VERSION: CNS.resolveVersion, with the stored ABI."},
		{name: "cns-route", args: "NAME SENDER", short: "the version and address a name resolves to for another sender", min: 2, max: 2, run: runCNSRoute,
			long: "CNS.resolveFor: what SENDER (a 0x address) gets, gray route applied; shows how a\nsplit divides the senders."},
		{name: "cns-versions", args: "NAME", short: "a name's versions, owner and gray route", min: 1, max: 1, run: runCNSVersions},
		{name: "cns-gray", args: "NAME VERSION_A VERSION_B SHARE_B", short: "split a name's traffic between two versions", min: 4, max: 4, run: runCNSGray,
			long: "CNS.setGray, by the name's owner or an operator. SHARE_B is the share of senders\nthat get VERSION_B, in basis points (0..10000) or percent (25%). Senders are\nsplit by a hash of the name and the sender, so each keeps its version."},
		{name: "cns-gray-clear", args: "NAME", short: "remove a name's gray route (resolve gives the latest version again)", min: 1, max: 1, run: runCNSGrayClear},
	}
}

func (c *Console) cns() (*sdk.Contract, error) {
	return c.systemContract(precompiled.CNSAddress)
}

func runCNSRegister(ctx context.Context, c *Console, args []string) error {
	target, err := c.address(ctx, args[2])
	if err != nil {
		return err
	}
	abiJSON := ""
	if len(args) == 4 {
		if _, err := readABI(args[3]); err != nil {
			return err
		}
		b, err := readSmall(args[3])
		if err != nil {
			return err
		}
		abiJSON = compactJSON(b)
	}
	k, err := c.cns()
	if err != nil {
		return err
	}
	return c.transact(ctx, k, "register", args[0], args[1], target, abiJSON)
}

func runCNSResolve(ctx context.Context, c *Console, args []string) error {
	if len(args) == 1 {
		addr, version, err := c.client.ResolveName(ctx, args[0], c.from())
		if err != nil {
			return err
		}
		return c.print(map[string]any{"name": args[0], "address": addr.Hex(), "version": version, "sender": c.from().Hex()})
	}
	k, err := c.cns()
	if err != nil {
		return err
	}
	out, err := k.Call(ctx, c.from(), "resolveVersion", args[0], args[1])
	if err != nil {
		return err
	}
	addr, _ := out[0].(common.Address)
	return c.print(map[string]any{"name": args[0], "version": args[1], "address": addr.Hex(), "abi": out[1]})
}

func runCNSRoute(ctx context.Context, c *Console, args []string) error {
	sender, err := c.address(ctx, args[1])
	if err != nil {
		return err
	}
	k, err := c.cns()
	if err != nil {
		return err
	}
	out, err := k.Call(ctx, c.from(), "resolveFor", args[0], sender)
	if err != nil {
		return err
	}
	return c.print(map[string]any{"name": args[0], "sender": sender.Hex(), "address": formatScalar(out[0]), "version": out[1]})
}

func runCNSVersions(ctx context.Context, c *Console, args []string) error {
	k, err := c.cns()
	if err != nil {
		return err
	}
	vs, err := k.Call(ctx, c.from(), "versions", args[0])
	if err != nil {
		return err
	}
	versions, _ := vs[0].([]string)
	if len(versions) == 0 {
		return fmt.Errorf("no CNS name %q", args[0])
	}
	owner, err := k.Call(ctx, c.from(), "owner", args[0])
	if err != nil {
		return err
	}
	list := make([]map[string]any, 0, len(versions))
	for _, v := range versions {
		out, err := k.Call(ctx, c.from(), "resolveVersion", args[0], v)
		if err != nil {
			return err
		}
		list = append(list, map[string]any{"version": v, "address": formatScalar(out[0])})
	}
	res := map[string]any{"name": args[0], "owner": formatScalar(owner[0]), "versions": list}
	gray, err := k.Call(ctx, c.from(), "getGray", args[0])
	if err != nil {
		return err
	}
	if a, _ := gray[0].(string); a != "" {
		res["gray"] = map[string]any{"versionA": gray[0], "versionB": gray[1], "shareB": formatScalar(gray[2])}
	}
	return c.print(res)
}

// parseShare reads basis points (0..10000) or a percentage ("25%").
func parseShare(s string) (uint16, error) {
	if p, ok := strings.CutSuffix(s, "%"); ok {
		f, err := strconv.ParseFloat(p, 64)
		if err != nil || f < 0 || f > 100 {
			return 0, fmt.Errorf("%w: share %q: want 0%% to 100%%", ErrBadArg, s)
		}
		return uint16(f*100 + 0.5), nil
	}
	n, err := strconv.ParseUint(s, 10, 16)
	if err != nil || n > 10000 {
		return 0, fmt.Errorf("%w: share %q: want basis points 0..10000 or a percentage like 25%%", ErrBadArg, s)
	}
	return uint16(n), nil
}

func runCNSGray(ctx context.Context, c *Console, args []string) error {
	share, err := parseShare(args[3])
	if err != nil {
		return err
	}
	k, err := c.cns()
	if err != nil {
		return err
	}
	return c.transact(ctx, k, "setGray", args[0], args[1], args[2], share)
}

func runCNSGrayClear(ctx context.Context, c *Console, args []string) error {
	k, err := c.cns()
	if err != nil {
		return err
	}
	return c.transact(ctx, k, "clearGray", args[0])
}

// compactJSON drops the white space of a valid JSON document.
func compactJSON(b []byte) string {
	var buf bytes.Buffer
	if err := json.Compact(&buf, b); err != nil {
		return string(b)
	}
	return buf.String()
}
