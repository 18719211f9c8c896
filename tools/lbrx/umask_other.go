//go:build !unix

package main

// umask is 022 where the OS has none.
func umask() int { return 0o022 }
