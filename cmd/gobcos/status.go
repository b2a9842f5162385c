package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/gobcos/gobcos/explorer"
)

func newStatusCmd() *cobra.Command {
	var (
		rpcURLs string
		dir     string
		timeout time.Duration
	)
	cmd := &cobra.Command{
		Use:   "status",
		Short: "Print a one-screen summary of every node of a group",
		Long: `Print every node of the group with its organisation, role, height, view, peers,
pool size and the time of its latest block. The group's node list comes from the
first node that answers; the other nodes are asked at the RPC URLs given with --rpc
or found in the chain manifest of --dir. A node that cannot be reached is marked so;
one with no known RPC address shows only whether the asked nodes are connected to it.`,
		Example: `  gobcos status --rpc http://127.0.0.1:8545
  gobcos status --rpc http://127.0.0.1:8545,http://127.0.0.1:8546
  gobcos status --dir ./chain`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			eps, err := endpoints(rpcURLs, dir)
			if err != nil {
				return err
			}
			ctx, cancel := context.WithTimeout(cmd.Context(), timeout)
			defer cancel()
			sv, err := explorer.TakeSurvey(ctx, &http.Client{Timeout: timeout}, eps)
			if err != nil {
				return fmt.Errorf("no node answered: %w", err)
			}
			printSurvey(cmd.OutOrStdout(), sv, time.Now())
			return nil
		},
	}
	cmd.Flags().StringVar(&rpcURLs, "rpc", "", "JSON-RPC URL(s) of the group's nodes, comma-separated (http://host:port)")
	cmd.Flags().StringVar(&dir, "dir", "", "directory of a chain built by 'gobcos chain build' or 'gobcos up': its manifest gives every node's RPC address")
	cmd.Flags().DurationVar(&timeout, "timeout", 5*time.Second, "how long to wait for the nodes")
	return cmd
}

// printSurvey writes the survey as a table.
func printSurvey(w io.Writer, sv *explorer.Survey, now time.Time) {
	reachable := 0
	for _, n := range sv.Nodes {
		if n.Reachable {
			reachable++
		}
	}
	fmt.Fprintf(w, "group %s  chain %d  consensus %s  height %d  nodes %d (%d answered)\n\n",
		sv.GroupID, sv.ChainID, sv.Consensus, sv.Height, len(sv.Nodes), reachable)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "NODE\tORG\tROLE\tHEIGHT\tVIEW\tPEERS\tPOOL\tLAST BLOCK\tRPC\tSTATE")
	var problems []string
	for _, n := range sv.Nodes {
		name := n.Name
		if name == "" {
			name = shortID(n.NodeID)
		}
		org := n.Org
		if org == "" {
			org = "?"
		}
		role := n.Role
		height, view, peers, pool, last := "-", "-", "-", "-", "-"
		state := "ok"
		if i := n.Info; i != nil {
			if i.Consensus.Leader {
				role += " (leader)"
			}
			height = strconv.FormatUint(uint64(i.BlockNumber), 10)
			view = strconv.FormatUint(uint64(i.Consensus.View), 10)
			peers = strconv.FormatUint(uint64(i.PeerCount), 10)
			pool = strconv.FormatUint(uint64(i.PendingTxSize), 10)
			last = lastBlock(i, now)
			if i.Syncing {
				state = "syncing"
			}
		} else {
			switch {
			case n.RPC != "":
				state = "UNREACHABLE"
				problems = append(problems, fmt.Sprintf("%s: %s", name, n.Err))
			case n.Connected:
				state = "connected (no RPC address)"
			default:
				state = "NOT CONNECTED (no RPC address)"
			}
		}
		rpcURL := n.RPC
		if rpcURL == "" {
			rpcURL = "-"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", name, org, role, height, view, peers, pool, last, rpcURL, state)
	}
	tw.Flush()
	for _, u := range sv.Unknown {
		if u.Reachable {
			problems = append(problems, fmt.Sprintf("%s answers as node %s, which is not in the group's node list", u.RPC, shortID(u.NodeID)))
		} else {
			problems = append(problems, fmt.Sprintf("%s: %s", u.RPC, u.Err))
		}
	}
	if len(problems) > 0 {
		fmt.Fprintln(w)
		for _, p := range problems {
			fmt.Fprintln(w, p)
		}
	}
}

// lastBlock is when the node committed its latest block (or, before its
// first commit since it started, the head block's timestamp).
func lastBlock(i *explorer.NodeInfo, now time.Time) string {
	var t time.Time
	switch {
	case i.Consensus.LastCommit > 0:
		t = time.UnixMilli(int64(i.Consensus.LastCommit))
	case i.BlockTime > 0:
		t = time.Unix(int64(i.BlockTime), 0)
	default:
		return "-"
	}
	ago := now.Sub(t).Round(time.Second)
	if ago < 0 {
		ago = 0
	}
	return fmt.Sprintf("%s (%s ago)", t.Local().Format("15:04:05"), ago)
}

func shortID(id string) string {
	if len(id) > 14 {
		return id[:10] + "…" + id[len(id)-4:]
	}
	return id
}
