//go:build unix

package main

import (
	"sync"
	"syscall"
)

// umask returns the process's umask. Reading it means setting it, so this
// is done once, before the command starts any goroutine that creates
// files.
var umask = sync.OnceValue(func() int {
	m := syscall.Umask(0)
	syscall.Umask(m)
	return m
})
