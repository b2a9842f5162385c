package bench

import (
	"fmt"
	"io"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// progress draws a one-line progress bar on a terminal-like writer, at
// most every 100 ms.
type progress struct {
	w     io.Writer
	label string
	total int64
	done  atomic.Int64
	mu    sync.Mutex
	last  time.Time
	drawn int64 // the count last drawn, -1 before the first
}

func newProgress(w io.Writer, label string, total int) *progress {
	return &progress{w: w, label: label, total: int64(total), drawn: -1}
}

func (p *progress) add(n int) {
	if p == nil || p.w == nil {
		return
	}
	d := p.done.Add(int64(n))
	p.mu.Lock()
	defer p.mu.Unlock()
	if d < p.total && time.Since(p.last) < 100*time.Millisecond {
		return
	}
	p.last = time.Now()
	p.draw(d)
}

func (p *progress) draw(d int64) {
	if d == p.drawn {
		return
	}
	p.drawn = d
	const width = 30
	frac := 1.0
	if p.total > 0 {
		frac = float64(d) / float64(p.total)
	}
	bar := strings.Repeat("=", int(frac*width)) + strings.Repeat(" ", width-int(frac*width))
	fmt.Fprintf(p.w, "\r%s [%s] %d/%d %3.0f%%", p.label, bar, d, p.total, 100*frac)
}

func (p *progress) finish() {
	if p == nil || p.w == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.draw(p.done.Load())
	fmt.Fprintln(p.w)
}
