//go:build unix

package stream

import "syscall"

const canTakeOver = true

// tryWrite writes as much of b as the socket takes now, without waiting:
// errWouldBlock says the rest must wait.
func (c *conn) tryWrite(b []byte) (n int, err error) {
	if c.raw == nil {
		return 0, errWouldBlock
	}
	rerr := c.raw.Write(func(fd uintptr) bool {
		for n < len(b) {
			m, e := syscall.Write(int(fd), b[n:])
			switch e {
			case nil:
				n += m
			case syscall.EINTR:
			case syscall.EAGAIN:
				err = errWouldBlock
				return true
			default:
				err = e
				return true
			}
		}
		return true
	})
	if rerr != nil {
		return n, rerr
	}
	return n, err
}
