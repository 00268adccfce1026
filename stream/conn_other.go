//go:build !unix

package stream

// canTakeOver is false where tryWrite cannot write without waiting: event
// streams stay with net/http.
const canTakeOver = false

func (c *conn) tryWrite(b []byte) (int, error) { return 0, errWouldBlock }
