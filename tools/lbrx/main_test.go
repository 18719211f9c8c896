package main

import (
	"bytes"
	"testing"

	"github.com/lbrx/lbrx/core"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func runLbrx(args ...string) (code int, stdout, stderr string) {
	var out, errb bytes.Buffer
	code = run(args, &out, &errb)
	return code, out.String(), errb.String()
}

func TestUsageErrorsExit2WithOneLine(t *testing.T) {
	code, _, stderr := runLbrx("frobnicate")
	assert.Equal(t, 2, code)
	assert.Equal(t, "lbrx: unknown command \"frobnicate\" (run 'lbrx help')\n", stderr)

	code, _, stderr = runLbrx("devices", "extra")
	assert.Equal(t, 2, code)
	assert.Equal(t, "lbrx devices: takes no arguments, got \"extra\" (usage: lbrx devices [flags]; see 'lbrx devices --help')\n", stderr)

	code, _, _ = runLbrx()
	assert.Equal(t, 2, code)
}

func TestDevicesListsEveryBackendWithReasons(t *testing.T) {
	code, stdout, _ := runLbrx("devices")
	assert.Equal(t, 0, code)
	assert.Contains(t, stdout, "cpu")
	assert.Contains(t, stdout, "metal")
	assert.Contains(t, stdout, "cuda")
	assert.Contains(t, stdout, "(default)")
}

func TestDemoPassesOnCPU(t *testing.T) {
	code, stdout, stderr := runLbrx("demo", "--size", "33", "--device", "cpu", "--reps", "1")
	assert.Equal(t, 0, code, stderr)
	assert.Contains(t, stdout, "device:    cpu")
	assert.Contains(t, stdout, "parity:    ok (cpu matches the float64 reference)")
	assert.Contains(t, stdout, "GFLOP/s")
}

func TestDemoRejectsBadArguments(t *testing.T) {
	code, _, stderr := runLbrx("demo", "--size", "0")
	assert.Equal(t, 2, code)
	assert.Contains(t, stderr, "--size and --reps must be at least 1")
	code, _, _ = runLbrx("demo", "--device", "tpu")
	assert.Equal(t, 2, code)
	metal, err := core.Lookup("metal")
	require.NoError(t, err)
	if !metal.Status().Available {
		code, _, stderr = runLbrx("demo", "--device", "metal")
		assert.Equal(t, 1, code)
		assert.Contains(t, stderr, "lbrx: device metal is unavailable")
	}
}
