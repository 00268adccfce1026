package server

import (
	"context"
	"os"
	"os/signal"
	"syscall"
	"time"
)

// drainUntilSignal drains for the configured --shutdown-delay, if any, once
// the first signal has cancelled Run's context; another signal means "now"
// (an operator at a terminal pressing Ctrl-C again).
func (s *Server) drainUntilSignal() {
	if s.cfg.ShutdownDelay <= 0 {
		return
	}
	hurry, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	s.Drain(hurry, s.cfg.ShutdownDelay)
}

// Drain makes /readyz answer 503 while everything else keeps serving, for
// delay or until ctx ends: balancers that probe readiness stop sending
// guests here before Shutdown closes the listener. A scratch image has no
// sleep for a Kubernetes preStop hook, so the wait is the server's.
func (s *Server) Drain(ctx context.Context, delay time.Duration) {
	s.web.Drain()
	s.log.Info("draining: /readyz answers 503 until shutdown", "delay", delay.String())
	t := time.NewTimer(delay)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
		s.log.Info("draining cut short")
	}
}
