package main

import (
	"fmt"
	"os"

	"github.com/spf13/cobra"
)

func main() {
	if err := newRootCmd().Execute(); err != nil {
		fmt.Fprintln(os.Stderr, "error:", err)
		os.Exit(1)
	}
}

func newRootCmd() *cobra.Command {
	root := &cobra.Command{
		Use:   "gobcos",
		Short: "gobcos: an enterprise consortium blockchain platform",
		Long: `gobcos runs consortium blockchain nodes in the BCOS tradition: Solidity
contracts, an Ethereum-compatible JSON-RPC API, a choice of crypto suite per chain
(ECDSA/secp256k1 + Keccak, or SM2 + SM3) and pluggable consensus.`,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.AddCommand(newUpCmd(), newNodeCmd(), newAccountCmd(), newChainCmd(), newBenchCmd())
	root.AddCommand(newExplorerCmd(), newStatusCmd())
	root.AddCommand(newConsoleCmd())
	return root
}
