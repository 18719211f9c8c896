//go:build !unix

package core

import "os"

// mmapSupported tells OpenFileSource to read files with a FileReader.
const mmapSupported = false

func mmapFile(*os.File, int) ([]byte, error) { return nil, ErrMmapUnsupported }

func remapZero([]byte) error { return nil }

func munmap([]byte) error { return nil }
