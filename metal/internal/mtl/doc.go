// Package mtl is a small, typed binding of the parts of Apple's Metal API
// that lbrx needs for compute, reached through purego's Objective-C runtime
// with no cgo.
//
// Every Objective-C call goes through a wrapper that names the selector it
// sends, checks the result (nil objects, NSError out-parameters, command
// buffer status) and turns failures into Go errors. Objects are owned
// explicitly: values returned by new*/Create*/Copy* methods are released by
// Release; autoreleased results that must outlive an autorelease pool are
// retained first. Selectors are registered once; the hot calls (encoding a
// dispatch) use objc_msgSend through functions typed once at load time, so
// no reflection runs per call.
//
// The bindings exist only on darwin. The signature table in msgsend.go is
// plain Go so that its registration with purego is also checked on Linux.
package mtl
