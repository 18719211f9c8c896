// Package npy reads and writes NumPy's .npy array files (format versions
// 1.0, 2.0 and 3.0), the simplest way to hand arrays to and from Python.
//
// # Layout
//
// A file is the magic "\x93NUMPY", a major and minor version byte, a
// little-endian header length (2 bytes in 1.0, 4 bytes after), and a
// Python dict literal such as
//
//	{'descr': '<f4', 'fortran_order': False, 'shape': (8, 256), }
//
// padded with spaces and a newline so the data starts at a multiple of 64
// bytes. The raw C-order data follows.
//
// # Supported element types
//
//	descr      dtype    descr      dtype
//	<f8        F64      <i8        I64
//	<f4        F32      <i4        I32
//	<f2        F16      <i2        I16
//	<u4        U32      |i1        I8
//	|u1        U8       |b1        BOOL
//
// bfloat16 has no NumPy type; Write refuses it (cast to F32 first).
// Big-endian data, Fortran order and object arrays are rejected with an
// error naming the file and the rule.
package npy
