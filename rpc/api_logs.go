package rpc

import (
	"fmt"
)

// eth_getLogs and the polling filters.

func (c *call) logQueryArg(i int, name string) (logQuery, error) {
	raw, err := c.required(i, name)
	if err != nil {
		return logQuery{}, err
	}
	q, err := parseLogQuery(raw)
	if err != nil {
		return logQuery{}, argError(i, name, err)
	}
	return q, nil
}

func (s *Server) ethGetLogs(c *call) (any, error) {
	if err := c.maxArgs(1); err != nil {
		return nil, err
	}
	q, err := c.logQueryArg(0, "filter")
	if err != nil {
		return nil, err
	}
	return s.queryLogs(c, &q)
}

// queryLogs runs a complete log query (eth_getLogs, eth_getFilterLogs).
func (s *Server) queryLogs(c *call, q *logQuery) ([]*rpcLog, error) {
	if q.blockHash != nil {
		b, err := s.blockByHash(*q.blockHash)
		if err != nil {
			return nil, err
		}
		if b == nil {
			return nil, fmt.Errorf("unknown block %s", q.blockHash.Hex())
		}
		out := []*rpcLog{}
		if !q.bloomMatches(b.Header.LogsBloom) {
			return out, nil
		}
		rs, err := s.receiptsOf(b, *q.blockHash)
		if err != nil {
			return nil, err
		}
		return s.collectLogs(q, rs, out)
	}
	head, err := s.headNumber()
	if err != nil {
		return nil, err
	}
	from, to := head, head
	if q.from != nil {
		from = q.from.resolve(head)
	}
	if q.to != nil {
		to = q.to.resolve(head)
	}
	if from > to {
		return nil, invalidParams("invalid block range: fromBlock #%d is after toBlock #%d", from, to)
	}
	if from > head {
		return []*rpcLog{}, nil
	}
	to = min(to, head)
	if to-from+1 > s.cfg.MaxLogRange {
		return nil, limitExceeded("block range too large: %d blocks requested (#%d to #%d), the limit is %d; split the query into smaller ranges",
			to-from+1, from, to, s.cfg.MaxLogRange)
	}
	return s.rangeLogs(c, q, from, to)
}

// rangeLogs collects the logs matching q in blocks [from, to].
func (s *Server) rangeLogs(c *call, q *logQuery, from, to uint64) ([]*rpcLog, error) {
	out := []*rpcLog{}
	for n := from; n <= to; n++ {
		if err := c.ctx.Err(); err != nil {
			return nil, fmt.Errorf("log query cancelled at block #%d: %w", n, err)
		}
		h, err := s.headerByNumber(n)
		if err != nil {
			return nil, err
		}
		if h == nil {
			return nil, fmt.Errorf("block #%d is missing from the ledger", n)
		}
		if !q.bloomMatches(h.LogsBloom) {
			continue
		}
		b, err := s.blockByNumber(n)
		if err != nil {
			return nil, err
		}
		if b == nil {
			return nil, fmt.Errorf("block #%d is missing from the ledger", n)
		}
		rs, err := s.receiptsOf(b, s.headerHash(b.Header))
		if err != nil {
			return nil, err
		}
		if out, err = s.collectLogs(q, rs, out); err != nil {
			return nil, err
		}
		if n == to { // avoid overflow when to is the largest uint64
			break
		}
	}
	return out, nil
}

func (s *Server) collectLogs(q *logQuery, rs []*bcosReceipt, out []*rpcLog) ([]*rpcLog, error) {
	for _, r := range rs {
		for _, l := range r.Logs {
			if !q.matchesLog(l) {
				continue
			}
			if len(out) >= s.cfg.MaxLogResults {
				return nil, limitExceeded("query returned more than %d logs; narrow the block range or add address/topic filters", s.cfg.MaxLogResults)
			}
			out = append(out, l)
		}
	}
	return out, nil
}

func (s *Server) ethNewFilter(c *call) (any, error) {
	if err := c.maxArgs(1); err != nil {
		return nil, err
	}
	q, err := c.logQueryArg(0, "filter")
	if err != nil {
		return nil, err
	}
	head, err := s.headNumber()
	if err != nil {
		return nil, err
	}
	return s.filters.install(&filter{kind: logFilter, query: q, next: head + 1})
}

func (s *Server) ethNewBlockFilter(c *call) (any, error) {
	if err := c.maxArgs(0); err != nil {
		return nil, err
	}
	head, err := s.headNumber()
	if err != nil {
		return nil, err
	}
	return s.filters.install(&filter{kind: blockFilter, next: head + 1})
}

func (s *Server) ethNewPendingTransactionFilter(c *call) (any, error) {
	if err := c.maxArgs(1); err != nil { // geth takes an optional fullTx flag
		return nil, err
	}
	if full, err := c.optionalBoolArg(0, "full transactions"); err != nil {
		return nil, err
	} else if full {
		return nil, invalidParams("invalid argument 0 (full transactions): only transaction hashes are reported; pass false or nothing")
	}
	return s.filters.install(&filter{kind: pendingTxFilter})
}

func (c *call) filterIDArg(i int) (string, error) {
	s, err := c.stringArg(i, "filter identifier")
	if err != nil {
		return "", err
	}
	if _, err := quantityDigits(s); err != nil {
		return "", argError(i, "filter identifier", err)
	}
	return s, nil
}

func (s *Server) ethGetFilterChanges(c *call) (any, error) {
	if err := c.maxArgs(1); err != nil {
		return nil, err
	}
	id, err := c.filterIDArg(0)
	if err != nil {
		return nil, err
	}
	return s.filters.changes(c, id)
}

func (s *Server) ethGetFilterLogs(c *call) (any, error) {
	if err := c.maxArgs(1); err != nil {
		return nil, err
	}
	id, err := c.filterIDArg(0)
	if err != nil {
		return nil, err
	}
	f, err := s.filters.get(id)
	if err != nil {
		return nil, err
	}
	if f.kind != logFilter {
		return nil, invalidParams("filter %s is not a log filter: eth_getFilterLogs works only with filters made by eth_newFilter", id)
	}
	return s.queryLogs(c, &f.query)
}

func (s *Server) ethUninstallFilter(c *call) (any, error) {
	if err := c.maxArgs(1); err != nil {
		return nil, err
	}
	id, err := c.filterIDArg(0)
	if err != nil {
		return nil, err
	}
	return s.filters.uninstall(id), nil
}
