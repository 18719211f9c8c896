// Package metal is lbrx's Apple silicon GPU backend, reached through
// github.com/ebitengine/purego with no cgo. Importing it registers the
// device "metal" with core; on systems other than macOS the package still
// builds and registers, and reports "Metal requires macOS" as the reason
// the device is unavailable.
package metal
