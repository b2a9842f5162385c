package bench

import (
	"errors"
	"fmt"
	"io"
	"math/big"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/ethereum/go-ethereum/common"

	"github.com/gobcos/gobcos/crypto"
	"github.com/gobcos/gobcos/types"
)

// VerifyCost is the measured cost of verifying one tx signature on one core.
type VerifyCost struct {
	Suite string `json:"suite"`
	// Format is the tx format measured: Ethereum txs (sender recovery) on
	// ECDSA, native txs (SM2 verify with the carried public key) on SM.
	Format string `json:"format"`
	// PerSec is what one core verifies a second, the ceiling's basis. As
	// MeasureVerifyAllCores measures it, it is the mean of PerCore: every
	// core verifying at once, as every core of a loaded cluster works.
	PerSec float64 `json:"verifiesPerSecPerCore"`
	Micros float64 `json:"microsPerVerify"`
	// PerCore is each core's rate in an all-cores measurement, one worker
	// a core; nil for a one-core measurement (MeasureVerify).
	PerCore []float64 `json:"perCore,omitempty"`
	// OneCore is the rate of one core while the others idle (MeasureVerify),
	// where a report has both; it is the basis the ceiling had before the
	// all-cores measurement, and higher on a machine whose cores slow each
	// other down or differ.
	OneCore float64 `json:"verifiesPerSecOneCore,omitempty"`
	// Procs is the GOMAXPROCS the workers ran under: one more than there
	// were workers (measure).
	Procs int `json:"gomaxprocs"`
}

// Ceiling is the most txs per second cores cores can verify when each
// of nodes nodes verifies every tx once: cores / (nodes x cost).
func (c VerifyCost) Ceiling(cores, nodes int) float64 {
	if nodes < 1 || c.PerSec <= 0 {
		return 0
	}
	return float64(cores) * c.PerSec / float64(nodes)
}

// verifySample is how many distinct signed txs a measurement cycles through.
const verifySample = 256

// verifyWork is a measurement's signed txs and what checks them.
type verifyWork struct {
	suite  crypto.Suite
	format string
	raws   [][]byte
}

const verifyChainID, verifyGroup = 20200, "group0"

func newVerifyWork(suite crypto.Suite) (*verifyWork, error) {
	format := FormatEth
	if suite.Name() != crypto.NameECDSA {
		format = FormatNative
	}
	s := newSigner(&Chain{ChainID: verifyChainID, GroupID: verifyGroup, Suite: suite, GasPrice: new(big.Int), Tip: new(big.Int), BlockLimitWindow: 1000}, format, false)
	raws := make([][]byte, verifySample)
	to := common.HexToAddress("0x00000000000000000000000000000000000000b1")
	for i := range raws {
		key, err := suite.GenerateKey()
		if err != nil {
			return nil, err
		}
		tx, err := s.sign(key, uint64(i), &to, big.NewInt(1), nil, gasTransfer)
		if err != nil {
			return nil, err
		}
		raws[i] = tx.Bytes()
	}
	return &verifyWork{suite: suite, format: format, raws: raws}, nil
}

// run decodes and verifies the txs in turn, starting at the sample's
// offset first, for about d on the calling goroutine, and returns how
// many it verified and the time they took. raws are only read, so several
// goroutines may run at once.
func (w *verifyWork) run(first int, d time.Duration) (int, time.Duration, error) {
	ops := 0
	start := time.Now()
	var elapsed time.Duration
	for elapsed < d {
		for range 16 {
			tx, err := types.DecodeTx(w.suite, w.raws[(first+ops)%verifySample])
			if err != nil {
				return 0, 0, fmt.Errorf("bench: decoding a signed tx: %w", err)
			}
			if _, err := tx.Verify(w.suite, verifyChainID, verifyGroup); err != nil {
				return 0, 0, fmt.Errorf("bench: verifying a signed tx: %w", err)
			}
			ops++
		}
		elapsed = time.Since(start)
	}
	return ops, elapsed, nil
}

// measureSlice is how long the workers verify between two collections.
const measureSlice = 50 * time.Millisecond

// measure runs workers workers at once, each on its own OS thread, for
// about d in all, and returns each one's rate. The garbage collector is
// off while they verify and runs between slices of measureSlice, outside
// the time measured: the rate is the cost of the checks themselves, not of
// collecting what the decoder allocates, which a measuring core would
// otherwise pay in part and, with an idle core beside it, hand to that
// core in part.
//
// The workers run with a spare P: GOMAXPROCS is set to workers+1 for the
// measurement. An ECDSA check calls libsecp256k1 through cgo, and while a
// cgo call runs longer than one tick of the runtime's monitor (20 us at
// first; a recovery takes several times that) the monitor takes its P and
// wakes another thread to look for work when no P is idle; the thread
// finds none and sleeps again, on a core the workers need. With every P
// busy that happens on nearly every check and cost the workers roughly a
// tenth of their rate on a 2-core machine (BENCHMARKS.md, "The ceiling
// measured with a spare P"): a cost of the Go runtime's bookkeeping, not of the
// machine, which the ceiling must not count. The spare P stays idle (the
// workers are the only goroutines at work), so it adds no thread to the
// cores'. GOMAXPROCS and the collector's setting are restored after.
// It returns each worker's rate and the GOMAXPROCS they ran under.
func (w *verifyWork) measure(workers int, d time.Duration) ([]float64, int, error) {
	defer debug.SetGCPercent(debug.SetGCPercent(-1))
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(workers + 1))
	procs := runtime.GOMAXPROCS(0)
	ops := make([]int, workers)
	took := make([]time.Duration, workers)
	errs := make([]error, workers)
	for done := time.Duration(0); done < d; done += measureSlice {
		runtime.GC()
		start := make(chan struct{})
		var wg sync.WaitGroup
		for i := range workers {
			wg.Go(func() {
				runtime.LockOSThread()
				defer runtime.UnlockOSThread()
				<-start
				n, t, err := w.run(i*verifySample/workers+ops[i], min(measureSlice, d-done))
				ops[i], took[i] = ops[i]+n, took[i]+t
				if err != nil {
					errs[i] = err
				}
			})
		}
		close(start)
		wg.Wait()
		if err := errors.Join(errs...); err != nil {
			return nil, 0, err
		}
	}
	rates := make([]float64, workers)
	for i := range rates {
		rates[i] = float64(ops[i]) / took[i].Seconds()
	}
	return rates, procs, nil
}

// MeasureVerify measures how many txs per second one core verifies on
// the txpool's path for suite, the other cores left idle: decode the raw
// tx and types.Transaction.Verify it (sender recovery for Ethereum txs on
// ECDSA, SM2 verification of native txs on SM). It runs for about d, the
// garbage collector between the slices measured (measure).
func MeasureVerify(suite crypto.Suite, d time.Duration) (VerifyCost, error) {
	w, err := newVerifyWork(suite)
	if err != nil {
		return VerifyCost{}, err
	}
	c, err := w.cost(1, d)
	c.PerCore = nil // one core: PerSec says it
	return c, err
}

// MeasureVerifyAllCores measures the same path with one worker on each of
// cores cores at once, each on its own OS thread, for about d, and gives
// the mean per core. That is what a cluster's cores verify when all of
// them work: on a machine whose cores share caches, memory, power or a
// virtual machine's host, or are unequal, it is less than one core alone
// does (MeasureVerify).
func MeasureVerifyAllCores(suite crypto.Suite, cores int, d time.Duration) (VerifyCost, error) {
	if cores < 1 {
		return VerifyCost{}, fmt.Errorf("%w: %d cores to measure", ErrConfig, cores)
	}
	w, err := newVerifyWork(suite)
	if err != nil {
		return VerifyCost{}, err
	}
	return w.cost(cores, d)
}

// cost measures w on workers cores at once (measure) and gives the mean
// rate per core, with each core's.
func (w *verifyWork) cost(workers int, d time.Duration) (VerifyCost, error) {
	rates, procs, err := w.measure(workers, d)
	if err != nil {
		return VerifyCost{}, err
	}
	var sum float64
	for _, r := range rates {
		sum += r
	}
	per := sum / float64(workers)
	return VerifyCost{Suite: w.suite.Name(), Format: w.format, PerSec: per, Micros: 1e6 / per, PerCore: rates, Procs: procs}, nil
}

// CeilingReport is the result of `gobcos bench ceiling`.
type CeilingReport struct {
	Cores  int          `json:"cores"`
	Nodes  []int        `json:"nodes"`
	Costs  []VerifyCost `json:"costs"`
	Limits []CeilingRow `json:"ceilings"`
}

// CeilingRow is one suite and node count's ceiling.
type CeilingRow struct {
	Suite string  `json:"suite"`
	Nodes int     `json:"nodes"`
	TPS   float64 `json:"tps"`
}

// MeasureCeiling measures every suite on one core alone and then on all
// cores at once, for d each, and computes the ceilings of the given node
// counts on this machine's cores from the all-cores rate.
func MeasureCeiling(nodes []int, d time.Duration) (*CeilingReport, error) {
	r := &CeilingReport{Cores: runtime.NumCPU(), Nodes: nodes}
	for _, s := range []crypto.Suite{crypto.ECDSA(), crypto.SM()} {
		w, err := newVerifyWork(s) // one signed sample for both measurements
		if err != nil {
			return nil, err
		}
		one, err := w.cost(1, d)
		if err != nil {
			return nil, err
		}
		c, err := w.cost(r.Cores, d)
		if err != nil {
			return nil, err
		}
		c.OneCore = one.PerSec
		r.Costs = append(r.Costs, c)
		for _, n := range nodes {
			r.Limits = append(r.Limits, CeilingRow{Suite: s.Name(), Nodes: n, TPS: c.Ceiling(r.Cores, n)})
		}
	}
	return r, nil
}

// Print writes the report for people, then as one JSON line.
func (r *CeilingReport) Print(w io.Writer) {
	fmt.Fprintf(w, "signature verification (decode + types.Transaction.Verify, as the txpool does), %d cores verifying at once:\n", r.Cores)
	for _, c := range r.Costs {
		fmt.Fprintf(w, "  %-5s %-6s txs: %8.0f verifies/s per core (%.1f us each)", c.Suite, c.Format, c.PerSec, c.Micros)
		if len(c.PerCore) > 1 {
			fmt.Fprintf(w, "; the cores: %s", formatRates(c.PerCore))
		}
		if c.OneCore > 0 {
			fmt.Fprintf(w, "; one core alone: %.0f", c.OneCore)
		}
		fmt.Fprintln(w)
	}
	fmt.Fprintf(w, "cluster ceiling = cores / (nodes x verify cost), %d cores:\n", r.Cores)
	for _, l := range r.Limits {
		fmt.Fprintf(w, "  %-5s %2d node(s): %8.0f tx/s\n", l.Suite, l.Nodes, l.TPS)
	}
	fmt.Fprintln(w, mustJSON(r))
}

func formatRates(rates []float64) string {
	parts := make([]string, len(rates))
	for i, r := range rates {
		parts[i] = strconv.FormatFloat(r, 'f', 0, 64)
	}
	return strings.Join(parts, ", ")
}
