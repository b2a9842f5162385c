package rpc

import (
	"errors"
	"fmt"
)

// eth_subscribe and eth_unsubscribe, over WebSocket only.

func notificationsUnsupported() *Error {
	return &Error{Code: CodeMethodNotFound, Message: ErrNotificationsUnsupported.Error() +
		": subscriptions need a WebSocket connection; over HTTP use eth_newFilter / eth_newBlockFilter and eth_getFilterChanges"}
}

func (s *Server) ethSubscribe(c *call) (any, error) {
	if c.conn == nil {
		return nil, notificationsUnsupported()
	}
	kind, err := c.stringArg(0, "subscription name")
	if err != nil {
		return nil, err
	}
	sub := &subscription{id: newID(), conn: c.conn}
	switch kind {
	case "newHeads":
		if err := c.maxArgs(1); err != nil {
			return nil, err
		}
		sub.kind = subNewHeads
	case "logs":
		if err := c.maxArgs(2); err != nil {
			return nil, err
		}
		sub.kind = subLogs
		if c.optional(1) != nil {
			q, err := c.logQueryArg(1, "filter")
			if err != nil {
				return nil, err
			}
			if q.blockHash != nil {
				return nil, argError(1, "filter", errors.New(`"blockHash" cannot be used in a subscription: it only reports new blocks; use eth_getLogs for a past block`))
			}
			sub.query = q
		}
	case "newPendingTransactions":
		if _, ok := s.b.(PendingTxSource); !ok {
			return nil, argError(0, "subscription name", errors.New("newPendingTransactions is not available on this node"))
		}
		if err := c.maxArgs(2); err != nil {
			return nil, err
		}
		full, err := c.optionalBoolArg(1, "full transactions")
		if err != nil {
			return nil, err
		}
		if full {
			return nil, argError(1, "full transactions", errors.New("only transaction hashes are reported; pass false or nothing"))
		}
		sub.kind = subPendingTxs
	default:
		return nil, argError(0, "subscription name", fmt.Errorf("unsupported subscription %q; supported: newHeads, logs%s", truncate(kind, 64), s.pendingName()))
	}
	if err := c.conn.addSub(sub); err != nil {
		return nil, err
	}
	c.after = sub.goLive
	return sub.id, nil
}

func (s *Server) pendingName() string {
	if _, ok := s.b.(PendingTxSource); ok {
		return ", newPendingTransactions"
	}
	return ""
}

func (s *Server) ethUnsubscribe(c *call) (any, error) {
	if c.conn == nil {
		return nil, notificationsUnsupported()
	}
	if err := c.maxArgs(1); err != nil {
		return nil, err
	}
	id, err := c.stringArg(0, "subscription id")
	if err != nil {
		return nil, err
	}
	if !c.conn.removeSub(id) {
		return nil, errors.New("subscription not found")
	}
	return true, nil
}
