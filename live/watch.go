package live

import (
	"context"
	"errors"
	"fmt"
	"math"

	"boxoffice"
)

// Watcher follows one show from a version on and hands out every later change
// exactly once, in version order: it skips events it has already delivered and
// fills gaps from the store, so joining a feed that is ahead or behind is safe.
// It is the one catch-up routine: event streams and the seat-map cache all
// follow a show through a Watcher.
type Watcher struct {
	*Subscription
	src     Source
	show    boxoffice.ShowID
	version int64 // last version delivered
	batch   int
}

// Watch subscribes to show for a client that has seen every change up to
// version from; at is the show's version as the caller last read it (at ≥
// from), where a new feed starts. It returns the changes committed after
// from, to be delivered before anything from C. Reading them after
// subscribing, not before, is what makes the sequence gapless: a change
// either is in this read or is published after the subscription existed.
//
// When the store no longer holds the changes after from (compacted or
// forgotten), Watch fails with an error matching both ErrSlow and
// boxoffice.ErrHistoryGone: the caller starts again from a snapshot, as
// for a client too far behind. Next, Accept and CatchUp fail the same way.
func (h *Hub) Watch(ctx context.Context, show boxoffice.ShowID, from, at int64) (*Watcher, []*Event, error) {
	sub, err := h.Subscribe(show, max(from, at))
	if err != nil {
		return nil, nil, err
	}
	w := &Watcher{Subscription: sub, src: h.src, show: show, version: from, batch: h.opts.Batch}
	missed, err := w.fill(ctx, -1)
	if err != nil {
		sub.Close()
		return nil, nil, err
	}
	return w, missed, nil
}

// Show is the show watched.
func (w *Watcher) Show() boxoffice.ShowID { return w.show }

// Version is the last version handed out.
func (w *Watcher) Version() int64 { return w.version }

// Next returns what to deliver now for e, received from C (ok false when C
// was closed), and for the events already waiting behind it, up to max in
// all: each change once, in order, gaps filled from the store. An error ends
// the watch: the subscription's (ErrSlow, ErrClosed) or the store's.
func (w *Watcher) Next(ctx context.Context, e *Event, ok bool, max int) ([]*Event, error) {
	var out []*Event
	for {
		if !ok {
			return out, w.Err()
		}
		events, err := w.Accept(ctx, e)
		if err != nil {
			return out, err
		}
		out = append(out, events...)
		if len(out) >= max {
			return out, nil
		}
		select {
		case e, ok = <-w.C():
		default:
			return out, nil
		}
	}
}

// Accept takes an event from C and returns what to deliver for it: nothing if
// it was delivered already, the missing changes first if there is a gap.
func (w *Watcher) Accept(ctx context.Context, e *Event) ([]*Event, error) {
	switch {
	case e.Version <= w.version:
		return nil, nil
	case e.Version == w.version+1:
		w.version = e.Version
		return []*Event{e}, nil
	}
	missed, err := w.fill(ctx, e.Version-1)
	if err != nil {
		return nil, err
	}
	if w.version != e.Version-1 {
		return nil, fmt.Errorf("live: change log of show %s lacks versions %d to %d", w.show, w.version+1, e.Version-1)
	}
	w.version = e.Version
	return append(missed, e), nil
}

// CatchUp returns every change after the delivered version, as the store
// holds them now: for a caller that must know the latest state at once, such
// as after a gap in hearing commits, rather than when the feed publishes it.
// What the feed has already published is taken from C, not read again.
func (w *Watcher) CatchUp(ctx context.Context) ([]*Event, error) {
	var out []*Event
	select {
	case e, ok := <-w.C():
		events, err := w.Next(ctx, e, ok, math.MaxInt)
		if err != nil {
			return events, err
		}
		out = events
	default:
	}
	rest, err := w.fill(ctx, -1)
	return append(out, rest...), err
}

// fill reads changes after the delivered version, up to version upTo (-1: all).
func (w *Watcher) fill(ctx context.Context, upTo int64) ([]*Event, error) {
	var out []*Event
	for upTo < 0 || w.version < upTo {
		changes, err := w.src.ChangesSince(ctx, w.show, w.version, w.batch)
		if err != nil {
			return nil, historyGone(err)
		}
		for _, c := range changes {
			if upTo >= 0 && c.Version > upTo {
				return out, nil
			}
			out = append(out, &Event{Change: c})
			w.version = c.Version
		}
		if len(changes) < w.batch {
			break
		}
	}
	return out, nil
}

// historyGone is the error for a reader whose next change the store's log
// no longer holds (boxoffice.ErrHistoryGone: compacted or forgotten). Such a
// reader is as far behind as a reader can be, so it takes the slow reader's
// path, which ends in a fresh snapshot, never in a gap: the error matches
// ErrSlow as well as boxoffice.ErrHistoryGone.
func historyGone(err error) error {
	if !errors.Is(err, boxoffice.ErrHistoryGone) {
		return err
	}
	return fmt.Errorf("%w: %w", ErrSlow, err)
}
