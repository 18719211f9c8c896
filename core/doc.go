// Package core is lbrx's tensor model: element types (DType), shapes with
// numpy broadcasting (Shape), typed tensors (Tensor) over a type-erased
// handle (Array), storage (Storage, HostStorage), the device registry
// (Device, Register, DefaultDevice) and the CPU backend with the portable
// reference kernels every other backend is compared against.
//
// # Tensors and views
//
// A Tensor[T] is a shape, strides and an offset over a Storage, plus
// Metadata (name, dimension names, quantization). Slice, Index, Permute,
// Transpose, BroadcastTo, Reshape (of contiguous data), Squeeze and
// Unsqueeze return views that share storage; nothing is copied until an op
// writes a new tensor or Contiguous is called.
//
// # Devices
//
// Backends register themselves from init (import _ ".../metal"), also when
// their hardware is missing, so that Devices can say why a device is
// unavailable. DefaultDevice picks the best available device, or the one
// named by LBRX_DEVICE. Tensor.To moves data and metadata between devices.
// An op a device has no kernel for runs on the CPU through core and is
// counted (Fallbacks), or, in strict mode (SetStrict, LBRX_STRICT=1), is an
// error wrapping ErrFallback.
//
// # Ops
//
// Typed generic functions (Add, MatMul, Softmax, Sum, Cast, ...) validate
// their operands (one dtype, one device, shapes that broadcast, axes in
// range), allocate the result on the operands' device and hand an Op to
// Run, which executes the device's kernel or falls back to the portable
// CPU kernel. Type-erased counterparts on *Array (BinaryOp, UnaryOp,
// WhereOp, ReduceOp, VarianceOp, ArgMaxOp, SoftmaxOp, MatMulOp, ConcatOp,
// GatherOp, CastOp) serve tools and backends. The Op type documents the
// contract each kernel relies on. Integer division by zero gives 0 rather
// than an error or a panic; ops without meaning for a dtype (exp of an
// integer, arithmetic on bool) are errors naming the op and the dtype.
//
// # Collectives
//
// A Communicator is one rank's handle on a group of ranks that run the same
// program on their own devices and exchange arrays (AllReduceSum,
// AllGather, Broadcast), as tensor parallelism needs. LocalGroup is the
// in-process implementation for any devices; the cuda module's NCCL is
// the GPU one.
//
// # Errors
//
// Everything fed by the outside world (files, user-given shapes and axes,
// devices) is answered with an error that names what was wrong: the
// shapes involved, the axis, the file, the tensor and the rule broken. No
// input, however damaged or hostile, makes lbrx panic, hang, or allocate
// more than the input justifies. Panics are reserved for programming errors
// inside lbrx's own packages (registering a device twice).
package core
