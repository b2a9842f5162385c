package bench

import (
	"fmt"
	"io"
	"math/big"
	"runtime"
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
	Format string  `json:"format"`
	PerSec float64 `json:"verifiesPerSecPerCore"`
	Micros float64 `json:"microsPerVerify"`
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

// MeasureVerify measures, on the calling goroutine (one core), how many
// txs per second the txpool's path verifies for suite: decode the raw tx
// and types.Transaction.Verify it (sender recovery for Ethereum txs on
// ECDSA, SM2 verification of native txs on SM). It runs for about d.
func MeasureVerify(suite crypto.Suite, d time.Duration) (VerifyCost, error) {
	const chainID, group = 20200, "group0"
	format := FormatEth
	if suite.Name() != crypto.NameECDSA {
		format = FormatNative
	}
	s := newSigner(&Chain{ChainID: chainID, GroupID: group, Suite: suite, GasPrice: new(big.Int), Tip: new(big.Int), BlockLimitWindow: 1000}, format, false)
	raws := make([][]byte, verifySample)
	to := common.HexToAddress("0x00000000000000000000000000000000000000b1")
	for i := range raws {
		key, err := suite.GenerateKey()
		if err != nil {
			return VerifyCost{}, err
		}
		tx, err := s.sign(key, uint64(i), &to, big.NewInt(1), nil, gasTransfer)
		if err != nil {
			return VerifyCost{}, err
		}
		raws[i] = tx.Bytes()
	}
	ops := 0
	start := time.Now()
	var elapsed time.Duration
	for elapsed < d {
		for range 16 {
			tx, err := types.DecodeTx(suite, raws[ops%verifySample])
			if err != nil {
				return VerifyCost{}, fmt.Errorf("bench: decoding a signed tx: %w", err)
			}
			if _, err := tx.Verify(suite, chainID, group); err != nil {
				return VerifyCost{}, fmt.Errorf("bench: verifying a signed tx: %w", err)
			}
			ops++
		}
		elapsed = time.Since(start)
	}
	per := float64(ops) / elapsed.Seconds()
	return VerifyCost{Suite: suite.Name(), Format: format, PerSec: per, Micros: 1e6 / per}, nil
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

// MeasureCeiling measures every suite for d each and computes the
// ceilings of the given node counts on this machine's cores.
func MeasureCeiling(nodes []int, d time.Duration) (*CeilingReport, error) {
	r := &CeilingReport{Cores: runtime.NumCPU(), Nodes: nodes}
	for _, s := range []crypto.Suite{crypto.ECDSA(), crypto.SM()} {
		c, err := MeasureVerify(s, d)
		if err != nil {
			return nil, err
		}
		r.Costs = append(r.Costs, c)
		for _, n := range nodes {
			r.Limits = append(r.Limits, CeilingRow{Suite: s.Name(), Nodes: n, TPS: c.Ceiling(r.Cores, n)})
		}
	}
	return r, nil
}

// Print writes the report for people, then as one JSON line.
func (r *CeilingReport) Print(w io.Writer) {
	fmt.Fprintf(w, "signature verification on one core (decode + types.Transaction.Verify, as the txpool does):\n")
	for _, c := range r.Costs {
		fmt.Fprintf(w, "  %-5s %-6s txs: %8.0f verifies/s per core (%.1f us each)\n", c.Suite, c.Format, c.PerSec, c.Micros)
	}
	fmt.Fprintf(w, "cluster ceiling = cores / (nodes x verify cost), %d cores:\n", r.Cores)
	for _, l := range r.Limits {
		fmt.Fprintf(w, "  %-5s %2d node(s): %8.0f tx/s\n", l.Suite, l.Nodes, l.TPS)
	}
	fmt.Fprintln(w, mustJSON(r))
}
