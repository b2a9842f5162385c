package main

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/gobcos/gobcos/chainbuild"
	"github.com/gobcos/gobcos/node"
)

// superviseChain builds a multi-node chain in dir if it has none, runs one
// `gobcos node` process per node of its manifest, prints their RPC URLs
// and stops them all on SIGINT or SIGTERM. With explorerListen set it also
// serves the block explorer over every node's RPC. A node process that exits on its
// own ends the whole run, so a failure is never silent.
func superviseChain(cmd *cobra.Command, dir string, opts chainbuild.Options, explorerListen string) error {
	out := cmd.OutOrStdout()
	if _, err := chainbuild.ReadManifest(dir); err != nil {
		if node.IsInitialized(dir) {
			return fmt.Errorf("%s holds a single-node chain; run `gobcos up --nodes 1 --dir %s`, or use another --dir", dir, dir)
		}
		opts.Dir = dir
		res, err := chainbuild.Build(opts)
		if err != nil {
			return fmt.Errorf("build a %d-node chain in %s: %w", opts.Nodes, dir, err)
		}
		fmt.Fprintf(out, "built a %d-node %s %s chain in %s\n", len(res.Manifest.Nodes), res.Manifest.CryptoSuite, res.Manifest.Consensus, res.Dir)
	}
	m, err := chainbuild.ReadManifest(dir)
	if err != nil {
		return err
	}
	self, err := os.Executable()
	if err != nil {
		return fmt.Errorf("find the gobcos executable: %w", err)
	}
	type child struct {
		name string
		cmd  *exec.Cmd
	}
	var (
		children []child
		exited   = make(chan string, len(m.Nodes))
		wg       sync.WaitGroup
	)
	stopAll := func() {
		for _, c := range children {
			if c.cmd.ProcessState == nil {
				c.cmd.Process.Signal(syscall.SIGTERM)
			}
		}
		done := make(chan struct{})
		go func() { wg.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(15 * time.Second):
			for _, c := range children {
				c.cmd.Process.Kill()
			}
			<-done
		}
	}
	env, procs := nodeEnv(os.Environ(), runtime.NumCPU(), len(m.Nodes))
	env = hugePageEnv(env)
	for _, e := range m.Nodes {
		cfg := filepath.Join(dir, e.Name, node.ConfigFile)
		c := exec.Command(self, "node", "--config", cfg)
		c.Env = env
		superviseProcess(c)
		logFile, err := os.OpenFile(filepath.Join(dir, e.Name, "node.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
		if err != nil {
			stopAll()
			return err
		}
		defer logFile.Close()
		c.Stderr = logFile
		stdout, err := c.StdoutPipe()
		if err != nil {
			stopAll()
			return err
		}
		if err := c.Start(); err != nil {
			stopAll()
			return fmt.Errorf("start %s: %w", e.Name, err)
		}
		children = append(children, child{e.Name, c})
		wg.Add(1)
		go func(name string, c *exec.Cmd, r io.Reader) {
			defer wg.Done()
			sc := bufio.NewScanner(r)
			for sc.Scan() {
				fmt.Fprintf(logFile, "%s\n", sc.Text())
			}
			c.Wait()
			exited <- name
		}(e.Name, c, stdout)
	}
	fmt.Fprintf(out, "gobcos %s: %d nodes, chain %d, group %s, crypto %s, consensus %s\n", node.Version, len(m.Nodes), m.ChainID, m.GroupID, m.CryptoSuite, m.Consensus)
	if procs > 0 {
		fmt.Fprintf(out, "the nodes share this machine's %d cores: each runs Go code on at most %d (GOMAXPROCS; set it to choose)\n", runtime.NumCPU(), procs)
	}
	for _, e := range m.Nodes {
		metrics := ""
		if a := e.MetricsAddr(); a != "" {
			metrics = "  metrics: http://" + a + "/metrics"
		}
		fmt.Fprintf(out, "%s (%s, %s): JSON-RPC: http://%s  (WebSocket: ws://%s)%s  log: %s\n", e.Name, e.Org, e.Role, e.RPCAddr(), e.RPCAddr(), metrics, filepath.Join(dir, e.Name, "node.log"))
	}
	if explorerListen != "" {
		if ex, addr, err := startChainExplorer(m, explorerListen); err != nil {
			fmt.Fprintf(out, "Explorer: not started: %v\n", err)
		} else {
			defer ex.Stop()
			fmt.Fprintf(out, "Explorer: http://%s\n", addr)
		}
	}
	fmt.Fprintln(out, "Press Ctrl-C to stop.")

	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(sig)
	select {
	case <-sig:
		fmt.Fprintln(out, "stopping...")
		stopAll()
		fmt.Fprintln(out, "stopped")
		return nil
	case name := <-exited:
		stopAll()
		logPath := filepath.Join(dir, name, "node.log")
		return fmt.Errorf("%s exited unexpectedly; the last lines of %s:\n%s", name, logPath, tail(logPath, 15))
	}
}

// tail returns the last n lines of a file.
func tail(path string, n int) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return err.Error()
	}
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// nodeEnv is the environment of the node processes of a chain of nodes
// nodes run on one machine with cores cores: environ with GOMAXPROCS set
// to each node's share of the cores (rounded up), so that the nodes'
// schedulers do not each spin up threads for every core they share. procs
// is that share, or 0 when environ sets GOMAXPROCS already (kept as the
// user's choice).
func nodeEnv(environ []string, cores, nodes int) (env []string, procs int) {
	for _, kv := range environ {
		if strings.HasPrefix(kv, "GOMAXPROCS=") {
			return environ, 0
		}
	}
	procs = max(1, (cores+max(nodes, 1)-1)/max(nodes, 1))
	return append(slices.Clone(environ), "GOMAXPROCS="+strconv.Itoa(procs)), procs
}

// mallocHugePages is the glibc tunable that has malloc ask the kernel for
// transparent huge pages for the memory it maps (madvise MADV_HUGEPAGE;
// it takes effect where the kernel's THP mode is "madvise" or "always").
// Pebble allocates each memtable, 32 to 40 MB, with C malloc: in 2 MB
// pages its inserts take far fewer page faults, and 4 local nodes commit
// their blocks faster. Go's own heap is not affected. BENCHMARKS.md,
// "Memtables in huge pages".
const mallocHugePages = "glibc.malloc.hugetlb=1"

// hugePageEnv is environ with mallocHugePages added to GLIBC_TUNABLES,
// unless that already sets glibc.malloc.hugetlb (kept as the user's
// choice). A node built without glibc ignores it.
func hugePageEnv(environ []string) []string {
	for i, kv := range environ {
		v, ok := strings.CutPrefix(kv, "GLIBC_TUNABLES=")
		if !ok {
			continue
		}
		if strings.Contains(v, "glibc.malloc.hugetlb=") {
			return environ
		}
		env := slices.Clone(environ)
		if v == "" {
			env[i] = "GLIBC_TUNABLES=" + mallocHugePages
		} else {
			env[i] = kv + ":" + mallocHugePages
		}
		return env
	}
	return append(slices.Clone(environ), "GLIBC_TUNABLES="+mallocHugePages)
}
