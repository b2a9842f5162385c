package sdk

import (
	"context"
	"fmt"

	"github.com/ethereum/go-ethereum/accounts/abi"
	"github.com/ethereum/go-ethereum/common"
)

// ResolveName resolves a contract name of the chain's name service (CNS)
// for sender: the latest version of the name, or, when the name has a
// gray route, the version the route gives this sender. It returns the
// address and the version.
func (c *Client) ResolveName(ctx context.Context, name string, sender common.Address) (common.Address, string, error) {
	var out struct {
		Address common.Address `json:"address"`
		Version string         `json:"version"`
	}
	if err := c.rc.CallContext(ctx, &out, "bcos_resolveName", name, sender); err != nil {
		return common.Address{}, "", fmt.Errorf("sdk: resolving %q: %w", name, err)
	}
	return out.Address, out.Version, nil
}

// ContractByName binds the contract a CNS name resolves to for sender
// (the account that will call it), so a gray route applies to that
// account. Resolve again to follow a route change.
func (c *Client) ContractByName(ctx context.Context, name string, sender common.Address, a abi.ABI) (*Contract, error) {
	addr, _, err := c.ResolveName(ctx, name, sender)
	if err != nil {
		return nil, err
	}
	return c.Contract(addr, a), nil
}
