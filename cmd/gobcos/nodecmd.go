package main

import (
	"github.com/spf13/cobra"

	"github.com/gobcos/gobcos/node"
)

func newNodeCmd() *cobra.Command {
	var config string
	cmd := &cobra.Command{
		Use:   "node",
		Short: "Run one node from its config file",
		Long: `Run one node from its config.toml (see docs/configuration.md) until Ctrl-C or
SIGTERM. The config names the genesis file, the node key and the data directory.`,
		Example: "  gobcos node --config ./gobcos-data/config.toml",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := node.LoadConfig(config)
			if err != nil {
				return err
			}
			return runNode(cmd, cfg)
		},
	}
	cmd.Flags().StringVar(&config, "config", "config.toml", "path of the node's config.toml")
	return cmd
}
