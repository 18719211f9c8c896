package main

import (
	"bytes"
	"testing"

	"github.com/stretchr/testify/assert"
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
	assert.Equal(t, "lbrx devices: takes no arguments\n", stderr)

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
