//go:build unix

package sqlite

import (
	"os"
	"syscall"
)

// handToDirOwner gives path the owner and group of dir, when this process
// runs as root. Operators restore as root (sudo) while the server runs as
// the user that owns the database's directory (systemd's DynamicUser=, a
// container's 65532), and that user must be able to open what a restore
// leaves: systemd re-owns the files of a StateDirectory= only when the
// directory itself is not the service's already.
func handToDirOwner(path, dir string) error {
	if os.Geteuid() != 0 {
		return nil
	}
	fi, err := os.Stat(dir)
	if err != nil {
		return err
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return nil
	}
	return os.Lchown(path, int(st.Uid), int(st.Gid))
}
