package rpc

import (
	"encoding/json"
	"errors"
	"fmt"

	"github.com/ethereum/go-ethereum/common"
	ethtypes "github.com/ethereum/go-ethereum/core/types"
)

// Bounds of a log query, as in go-ethereum.
const (
	maxTopics    = 4
	maxAddresses = 1000
	maxSubTopics = 1000
)

// logQuery is the filter object of eth_getLogs, eth_newFilter and the
// logs subscription.
type logQuery struct {
	from, to  *blockTag // nil means latest
	blockHash *common.Hash
	addresses []common.Address
	topics    [][]common.Hash // nil or empty entry: any topic at that position
}

func parseLogQuery(raw json.RawMessage) (logQuery, error) {
	var q logQuery
	m, err := objectFields(raw)
	if err != nil {
		return q, err
	}
	for _, key := range []string{"fromBlock", "toBlock"} {
		s, ok, err := fieldString(m, key)
		if err != nil {
			return q, err
		}
		if !ok {
			continue
		}
		t, err := parseBlockTag(s)
		if err != nil {
			return q, fmt.Errorf("field %q: %v", key, err)
		}
		if key == "fromBlock" {
			q.from = &t
		} else {
			q.to = &t
		}
	}
	if s, ok, err := fieldString(m, "blockHash"); err != nil {
		return q, err
	} else if ok {
		h, err := parseHash(s)
		if err != nil {
			return q, fmt.Errorf(`field "blockHash": %v`, err)
		}
		if q.from != nil || q.to != nil {
			return q, errors.New(`give either "blockHash" or "fromBlock"/"toBlock", not both`)
		}
		q.blockHash = &h
	}
	if raw, ok := m["address"]; ok && !isNull(raw) {
		if q.addresses, err = parseAddressList(raw); err != nil {
			return q, fmt.Errorf(`field "address": %v`, err)
		}
	}
	if raw, ok := m["topics"]; ok && !isNull(raw) {
		if q.topics, err = parseTopics(raw); err != nil {
			return q, fmt.Errorf(`field "topics": %v`, err)
		}
	}
	return q, nil
}

func parseAddressList(raw json.RawMessage) ([]common.Address, error) {
	switch jsonKind(raw) {
	case "a string":
		s, err := jsonString(raw)
		if err != nil {
			return nil, err
		}
		a, err := parseAddress(s)
		if err != nil {
			return nil, err
		}
		return []common.Address{a}, nil
	case "an array":
		var items []json.RawMessage
		if err := json.Unmarshal(raw, &items); err != nil {
			return nil, err
		}
		if len(items) > maxAddresses {
			return nil, fmt.Errorf("%d addresses, the limit is %d", len(items), maxAddresses)
		}
		out := make([]common.Address, 0, len(items))
		for i, it := range items {
			s, err := jsonString(it)
			if err != nil {
				return nil, fmt.Errorf("entry %d: %v", i, err)
			}
			a, err := parseAddress(s)
			if err != nil {
				return nil, fmt.Errorf("entry %d: %v", i, err)
			}
			out = append(out, a)
		}
		return out, nil
	}
	return nil, fmt.Errorf("want an address or a list of addresses, got %s", jsonKind(raw))
}

func parseTopics(raw json.RawMessage) ([][]common.Hash, error) {
	if jsonKind(raw) != "an array" {
		return nil, fmt.Errorf("want an array, got %s", jsonKind(raw))
	}
	var items []json.RawMessage
	if err := json.Unmarshal(raw, &items); err != nil {
		return nil, err
	}
	if len(items) > maxTopics {
		return nil, fmt.Errorf("%d topic positions, at most %d", len(items), maxTopics)
	}
	out := make([][]common.Hash, len(items))
	for i, it := range items {
		switch jsonKind(it) {
		case "null":
		case "a string":
			s, _ := jsonString(it)
			h, err := parseHash(s)
			if err != nil {
				return nil, fmt.Errorf("position %d: %v", i, err)
			}
			out[i] = []common.Hash{h}
		case "an array":
			var alts []json.RawMessage
			if err := json.Unmarshal(it, &alts); err != nil {
				return nil, fmt.Errorf("position %d: %v", i, err)
			}
			if len(alts) > maxSubTopics {
				return nil, fmt.Errorf("position %d: %d alternatives, the limit is %d", i, len(alts), maxSubTopics)
			}
			for j, a := range alts {
				s, err := jsonString(a)
				if err != nil {
					return nil, fmt.Errorf("position %d, entry %d: %v", i, j, err)
				}
				h, err := parseHash(s)
				if err != nil {
					return nil, fmt.Errorf("position %d, entry %d: %v", i, j, err)
				}
				out[i] = append(out[i], h)
			}
		default:
			return nil, fmt.Errorf("position %d: want null, a topic or a list of topics, got %s", i, jsonKind(it))
		}
	}
	return out, nil
}

// matchesLog reports whether a log passes the address and topic criteria.
func (q *logQuery) matchesLog(l *rpcLog) bool { return q.matches(l.Address, l.Topics) }

func (q *logQuery) matches(addr common.Address, topics []common.Hash) bool {
	if len(q.addresses) > 0 {
		found := false
		for _, a := range q.addresses {
			if a == addr {
				found = true
				break
			}
		}
		if !found {
			return false
		}
	}
	if len(q.topics) > len(topics) {
		return false
	}
	for i, alts := range q.topics {
		if len(alts) == 0 {
			continue
		}
		found := false
		for _, t := range alts {
			if t == topics[i] {
				found = true
				break
			}
		}
		if !found {
			return false
		}
	}
	return true
}

// inRange reports whether block n is within the query's numeric bounds;
// named bounds (latest, pending...) follow the head and do not limit.
func (q *logQuery) inRange(n uint64) bool {
	if q.blockHash != nil {
		return false
	}
	if q.from != nil && (q.from.kind == tagNumber || q.from.kind == tagEarliest) && n < q.from.resolve(0) {
		return false
	}
	if q.to != nil && (q.to.kind == tagNumber || q.to.kind == tagEarliest) && n > q.to.resolve(0) {
		return false
	}
	return true
}

// bloomMatches reports whether a block's bloom may hold matching logs.
func (q *logQuery) bloomMatches(b ethtypes.Bloom) bool {
	if len(q.addresses) > 0 {
		found := false
		for _, a := range q.addresses {
			if ethtypes.BloomLookup(b, a) {
				found = true
				break
			}
		}
		if !found {
			return false
		}
	}
	for _, alts := range q.topics {
		if len(alts) == 0 {
			continue
		}
		found := false
		for _, t := range alts {
			if ethtypes.BloomLookup(b, t) {
				found = true
				break
			}
		}
		if !found {
			return false
		}
	}
	return true
}
