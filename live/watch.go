package live

import (
	"context"
	"fmt"

	"boxoffice"
)

// Watcher follows one show from a version on and hands out every later change
// exactly once, in version order: it skips events it has already delivered and
// fills gaps from the store, so joining a feed that is ahead or behind is safe.
type Watcher struct {
	*Subscription
	src     Source
	show    boxoffice.ShowID
	version int64 // last version delivered
	batch   int
}

// Watch subscribes to show for a client that has seen every change up to
// version from. It returns the changes committed since then, to be delivered
// before anything from C. Reading them after subscribing, not before, is what
// makes the sequence gapless: a change either is in this read or is published
// after the subscription existed.
func (h *Hub) Watch(ctx context.Context, show boxoffice.ShowID, from int64) (*Watcher, []*Event, error) {
	sub, err := h.Subscribe(show, from)
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

// Version is the last version handed out.
func (w *Watcher) Version() int64 { return w.version }

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

// fill reads changes after the delivered version, up to version upTo (-1: all).
func (w *Watcher) fill(ctx context.Context, upTo int64) ([]*Event, error) {
	var out []*Event
	for upTo < 0 || w.version < upTo {
		changes, err := w.src.ChangesSince(ctx, w.show, w.version, w.batch)
		if err != nil {
			return nil, err
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
