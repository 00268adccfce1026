//go:build !unix

package sqlite

// handToDirOwner does nothing where files have no Unix owner.
func handToDirOwner(path, dir string) error { return nil }
