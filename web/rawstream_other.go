//go:build !unix

package web

// canTakeOver is false where tryWrite cannot write without waiting: event
// streams stay with net/http.
const canTakeOver = false

func (st *rawStream) tryWrite(b []byte) (int, error) { return 0, errWouldBlock }
