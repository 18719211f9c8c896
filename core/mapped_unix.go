//go:build unix

package core

import (
	"os"
	"unsafe"

	"golang.org/x/sys/unix"
)

// mmapSupported tells OpenFileSource that MapFile works here.
const mmapSupported = true

func mmapFile(f *os.File, size int) ([]byte, error) {
	if size == 0 {
		return []byte{}, nil // mmap rejects empty mappings
	}
	return unix.Mmap(int(f.Fd()), 0, size, unix.PROT_READ, unix.MAP_SHARED)
}

// remapZero replaces the mapping of b, in place, by anonymous read-only
// zero pages: the file is released, the addresses stay valid.
func remapZero(b []byte) error {
	_, err := unix.MmapPtr(-1, 0, unsafe.Pointer(unsafe.SliceData(b)), uintptr(len(b)),
		unix.PROT_READ, unix.MAP_PRIVATE|unix.MAP_ANON|unix.MAP_FIXED)
	return err
}

func munmap(b []byte) error { return unix.Munmap(b) }
