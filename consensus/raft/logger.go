package raft

import (
	"fmt"
	"log/slog"
	"strings"
)

// raftLogger routes etcd raft's log lines to slog. Of raft's info lines
// only role and configuration changes stay at info; the vote-by-vote
// detail of elections goes to debug.
type raftLogger struct{ l *slog.Logger }

func (r raftLogger) Debug(v ...any)                 { r.l.Debug(fmt.Sprint(v...)) }
func (r raftLogger) Debugf(format string, v ...any) { r.l.Debug(fmt.Sprintf(format, v...)) }
func (r raftLogger) Info(v ...any)                  { r.info(fmt.Sprint(v...)) }
func (r raftLogger) Infof(format string, v ...any)  { r.info(fmt.Sprintf(format, v...)) }

func (r raftLogger) info(s string) {
	if strings.Contains(s, " became ") || strings.Contains(s, "switched to configuration") || strings.Contains(s, "snapshot") {
		r.l.Info(s)
		return
	}
	r.l.Debug(s)
}
func (r raftLogger) Warning(v ...any) { r.l.Warn(fmt.Sprint(v...)) }
func (r raftLogger) Warningf(format string, v ...any) {
	r.l.Warn(fmt.Sprintf(format, v...))
}
func (r raftLogger) Error(v ...any)                 { r.l.Error(fmt.Sprint(v...)) }
func (r raftLogger) Errorf(format string, v ...any) { r.l.Error(fmt.Sprintf(format, v...)) }

// Fatal and Panic report a broken raft invariant: they panic, as raft
// expects, rather than exiting the process.
func (r raftLogger) Fatal(v ...any) { r.Panic(v...) }
func (r raftLogger) Fatalf(format string, v ...any) {
	r.Panicf(format, v...)
}
func (r raftLogger) Panic(v ...any) {
	s := fmt.Sprint(v...)
	r.l.Error(s)
	panic(s)
}
func (r raftLogger) Panicf(format string, v ...any) {
	s := fmt.Sprintf(format, v...)
	r.l.Error(s)
	panic(s)
}
