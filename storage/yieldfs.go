package storage

import (
	"strings"

	"github.com/cockroachdb/pebble/v2/vfs"
)

// yieldingFS is the file system of a node's store: the table and blob
// files that flushes and compactions write yield the processor
// (runtime.Gosched) before each write, about once per block of a table.
//
// A flush or a compaction runs for a second or more on a few goroutines of
// its own. When several nodes share a machine, each node process gets its
// share of the cores (GOMAXPROCS 1 for 4 nodes on 2 cores), and Go lets a
// running goroutine keep the only processor for up to 10 ms before it
// preempts it: the node's consensus messages, RPC requests and block
// commits then wait behind the compaction for milliseconds at a time, and
// a node that compacts falls behind its peers. With a yield per block
// they wait at most for one block's work (BENCHMARKS.md, "Flushes and
// compactions yield to the node's work"). The write-ahead log, which
// commits wait for, does not yield.
type yieldingFS struct {
	vfs.FS
	yield func() // runtime.Gosched; tests count the calls
}

// Create wraps the table and blob files it creates.
func (fs yieldingFS) Create(name string, category vfs.DiskWriteCategory) (vfs.File, error) {
	f, err := fs.FS.Create(name, category)
	if err != nil || !(strings.HasSuffix(name, ".sst") || strings.HasSuffix(name, ".blob")) {
		return f, err
	}
	return yieldingFile{File: f, yield: fs.yield}, nil
}

// yieldingFile yields before each write.
type yieldingFile struct {
	vfs.File
	yield func()
}

func (f yieldingFile) Write(p []byte) (int, error) {
	f.yield()
	return f.File.Write(p)
}
