package server

import (
	"context"
	"sync"
	"time"
)

// forgetEvery is how often old change logs are deleted: a show passes the
// cutoff once, so an hour late costs nothing.
const forgetEvery = time.Hour

// forgetHistory starts deleting, now and every forgetEvery, the change log
// of shows that started more than HistoryDays ago, until the server closes.
func (s *Server) forgetHistory() {
	if s.cfg.HistoryDays <= 0 {
		return
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() {
		tick := time.NewTicker(forgetEvery)
		defer tick.Stop()
		for {
			// Days of 24 hours: a show an hour either side of a
			// daylight-saving change loses its log an hour early or late.
			before := time.Now().Add(-time.Duration(s.cfg.HistoryDays) * 24 * time.Hour)
			n, err := s.store.ForgetHistory(ctx, before)
			switch {
			case ctx.Err() != nil:
				return
			case err != nil:
				s.log.Warn("deleting old change logs failed; trying again in an hour", "err", err)
			case n > 0:
				s.log.Info("old change logs deleted", "deleted", n, "started_before", before)
			}
			select {
			case <-tick.C:
			case <-ctx.Done():
				return
			}
		}
	})
	s.stopForgetting = func() { cancel(); wg.Wait() }
}
