package metal

import (
	"fmt"
	"strconv"
	"strings"
)

// languageVersion parses an MSL standard name as the offline build passes
// it (-std=metal3.0) into the MTLLanguageVersion value the run-time
// compile takes: major<<16 | minor.
func languageVersion(std string) (uint, error) {
	v, ok := strings.CutPrefix(std, "metal")
	if !ok {
		return 0, fmt.Errorf("metal: language standard %q does not start with \"metal\"", std)
	}
	maj, minor, ok := strings.Cut(v, ".")
	if !ok {
		return 0, fmt.Errorf("metal: language standard %q is not metalX.Y", std)
	}
	a, err1 := strconv.ParseUint(maj, 10, 8)
	b, err2 := strconv.ParseUint(minor, 10, 8)
	if err1 != nil || err2 != nil || a < 1 {
		return 0, fmt.Errorf("metal: language standard %q is not metalX.Y", std)
	}
	return uint(a)<<16 | uint(b), nil
}
