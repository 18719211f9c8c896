//go:build !amd64 || noasm

package vec

// impls is empty without assembly: every function runs its Go reference.
func impls() []*impl { return nil }

func bestImpl() *impl { return nil }
