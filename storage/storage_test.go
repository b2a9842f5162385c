package storage_test

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/gobcos/gobcos/storage"
	"github.com/gobcos/gobcos/storage/storagetest"
)

func TestMemory(t *testing.T) {
	storagetest.TestKV(t, func(t *testing.T) storage.KV { return storage.NewMemory() })
}

func openPebble(t testing.TB, dir string) *storage.Pebble {
	t.Helper()
	kv, err := storage.OpenPebble(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	return kv
}

func TestPebble(t *testing.T) {
	storagetest.TestKV(t, func(t *testing.T) storage.KV { return openPebble(t, t.TempDir()) })
}

func TestPebbleReopenKeepsCommittedBatches(t *testing.T) {
	dir := t.TempDir()
	kv := openPebble(t, dir)
	b := kv.NewBatch()
	for i := range 100 {
		if err := b.Put(fmt.Appendf(nil, "k%03d", i), fmt.Appendf(nil, "v%d", i)); err != nil {
			t.Fatal(err)
		}
	}
	if err := b.Commit(); err != nil {
		t.Fatal(err)
	}
	if err := kv.Delete([]byte("k000")); err != nil {
		t.Fatal(err)
	}
	uncommitted := kv.NewBatch()
	if err := uncommitted.Put([]byte("zz"), []byte("never committed")); err != nil {
		t.Fatal(err)
	}
	if err := kv.Close(); err != nil {
		t.Fatal(err)
	}
	if err := kv.Close(); !errors.Is(err, storage.ErrClosed) {
		t.Fatalf("second Close = %v, want ErrClosed", err)
	}

	kv = openPebble(t, dir)
	defer kv.Close()
	checkReopened(t, kv)
}

func checkReopened(t *testing.T, kv storage.KV) {
	t.Helper()
	if _, err := kv.Get([]byte("k000")); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("deleted key after reopen: %v", err)
	}
	for i := 1; i < 100; i++ {
		v, err := kv.Get(fmt.Appendf(nil, "k%03d", i))
		if err != nil || string(v) != fmt.Sprintf("v%d", i) {
			t.Fatalf("key %d after reopen: %q, %v", i, v, err)
		}
	}
	if ok, err := kv.Has([]byte("zz")); err != nil || ok {
		t.Fatalf("uncommitted batch visible after reopen: %v, %v", ok, err)
	}
}

func TestPebbleSecondOpenInProcessIsRefused(t *testing.T) {
	dir := t.TempDir()
	kv := openPebble(t, dir)
	defer kv.Close()
	_, err := storage.OpenPebble(dir, nil)
	if !errors.Is(err, storage.ErrLocked) {
		t.Fatalf("second open = %v, want ErrLocked", err)
	}
}

// The helper process is this test binary re-run with an environment
// variable naming what to do.
const (
	helperModeEnv = "GOBCOS_STORAGE_TEST_HELPER"
	helperDirEnv  = "GOBCOS_STORAGE_TEST_DIR"
)

func runHelper(t *testing.T, mode, dir string) (string, error) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestPebbleHelperProcess$", "-test.count=1")
	cmd.Env = append(os.Environ(), helperModeEnv+"="+mode, helperDirEnv+"="+dir)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

func TestPebbleHelperProcess(t *testing.T) {
	mode := os.Getenv(helperModeEnv)
	if mode == "" {
		t.Skip("only runs as a helper process")
	}
	dir := os.Getenv(helperDirEnv)
	switch mode {
	case "open":
		kv, err := storage.OpenPebble(dir, nil)
		if err == nil {
			kv.Close()
			fmt.Println("RESULT opened")
			os.Exit(0)
		}
		if errors.Is(err, storage.ErrLocked) {
			fmt.Println("RESULT locked:", err)
			os.Exit(0)
		}
		fmt.Println("RESULT other error:", err)
		os.Exit(0)
	case "crash", "lazy":
		kv, err := storage.OpenPebble(dir, nil)
		if err != nil {
			fmt.Println("RESULT open failed:", err)
			os.Exit(2)
		}
		b := kv.NewBatch()
		for i := range 100 {
			_ = b.Put(fmt.Appendf(nil, "k%03d", i), fmt.Appendf(nil, "v%d", i))
		}
		if mode == "lazy" {
			// Applied without sync: the synced write below makes it durable.
			err = b.CommitNoSync()
		} else {
			err = b.Commit()
		}
		if err != nil {
			fmt.Println("RESULT commit failed:", err)
			os.Exit(2)
		}
		if err := kv.Delete([]byte("k000")); err != nil {
			fmt.Println("RESULT delete failed:", err)
			os.Exit(2)
		}
		u := kv.NewBatch()
		_ = u.Put([]byte("zz"), []byte("never committed"))
		fmt.Println("RESULT committed")
		os.Exit(0) // no Close: the process dies with the store open
	}
	fmt.Println("RESULT unknown mode", mode)
	os.Exit(2)
}

func TestPebbleSecondProcessGetsLockError(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a process")
	}
	dir := t.TempDir()
	kv := openPebble(t, dir)
	out, err := runHelper(t, "open", dir)
	if err != nil {
		t.Fatalf("helper: %v\n%s", err, out)
	}
	t.Logf("second process: %s", strings.TrimSpace(out))
	if !strings.Contains(out, "RESULT locked:") || !strings.Contains(out, "in use by another process") {
		t.Fatalf("second process was not refused with a clear error:\n%s", out)
	}
	if err := kv.Close(); err != nil {
		t.Fatal(err)
	}
	// Once the first store is closed, another process may open the directory.
	out, err = runHelper(t, "open", dir)
	if err != nil || !strings.Contains(out, "RESULT opened") {
		t.Fatalf("open after Close: %v\n%s", err, out)
	}
}

// TestPebbleProcessExitWithoutCloseKeepsCommits: a process that exits
// without Close keeps its synced commits ("crash"), and a batch applied
// with CommitNoSync when a synced write follows it ("lazy": the WAL is
// synced in order).
func TestPebbleProcessExitWithoutCloseKeepsCommits(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a process")
	}
	for _, mode := range []string{"crash", "lazy"} {
		t.Run(mode, func(t *testing.T) {
			dir := t.TempDir()
			out, err := runHelper(t, mode, dir)
			if err != nil || !strings.Contains(out, "RESULT committed") {
				t.Fatalf("helper: %v\n%s", err, out)
			}
			kv := openPebble(t, dir)
			defer kv.Close()
			checkReopened(t, kv)
		})
	}
}

// BenchmarkPebbleBatchCommit1000 commits (with fsync) batches of 1,000
// puts of 32-byte keys and 100-byte values.
func BenchmarkPebbleBatchCommit1000(b *testing.B) {
	kv := openPebble(b, b.TempDir())
	defer kv.Close()
	val := make([]byte, 100)
	key := make([]byte, 32)
	batch := kv.NewBatch()
	b.SetBytes(1000 * int64(len(key)+len(val)))
	b.ReportAllocs()
	n := 0
	for b.Loop() {
		batch.Reset()
		for range 1000 {
			n++
			copy(key, fmt.Appendf(nil, "%032d", n))
			if err := batch.Put(key, val); err != nil {
				b.Fatal(err)
			}
		}
		if err := batch.Commit(); err != nil {
			b.Fatal(err)
		}
	}
}
