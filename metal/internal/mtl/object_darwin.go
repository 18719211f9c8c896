package mtl

import (
	"fmt"
	"runtime"
	"strings"
	"unsafe"
)

// retain sends retain; used for autoreleased results kept past their pool.
func retain(id uintptr) {
	if id != 0 {
		msg.id(id, selRetain)
	}
}

// release sends release; a nil receiver is ignored, as in Objective-C.
func release(id uintptr) {
	if id != 0 {
		msg.void(id, selRelease)
	}
}

// WithPool runs f inside an autorelease pool on a locked OS thread: the
// pool belongs to the thread that pushed it, so the goroutine must not
// move between push and pop.
func WithPool(f func() error) error {
	if err := Load(); err != nil {
		return err
	}
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	tok := cfn.poolPush()
	defer cfn.poolPop(tok)
	return f()
}

// newNSString returns an owned (+1) NSString holding s; the caller
// releases it. Strings with NUL bytes are rejected: C would cut them.
func newNSString(s string) (uintptr, error) {
	if strings.IndexByte(s, 0) >= 0 {
		return 0, fmt.Errorf("metal: string contains a NUL byte: %.40q", s)
	}
	obj := msg.id(classNSString, selAlloc)
	if obj == 0 {
		return 0, fmt.Errorf("metal: NSString alloc returned nil")
	}
	str := msg.idStr(obj, selInitWithUTF8String, s)
	if str == 0 {
		// init consumed obj on failure, per Cocoa convention.
		return 0, fmt.Errorf("metal: NSString initWithUTF8String: returned nil (invalid UTF-8?)")
	}
	return str, nil
}

// goString copies an NSString's UTF-8 bytes into a Go string; nil gives "".
func goString(nsstr uintptr) string {
	if nsstr == 0 {
		return ""
	}
	p := msg.ptr(nsstr, selUTF8String)
	if p == nil {
		return ""
	}
	n := 0
	for *(*byte)(unsafe.Add(p, n)) != 0 {
		n++
	}
	return string(unsafe.Slice((*byte)(p), n))
}

// nsError turns an NSError into a Go error; what names the failed call.
func nsError(what string, e uintptr) error {
	if e == 0 {
		return fmt.Errorf("metal: %s failed without an NSError", what)
	}
	desc := goString(msg.id(e, selLocalizedDesc))
	domain := goString(msg.id(e, selDomain))
	code := msg.int(e, selCode)
	return fmt.Errorf("metal: %s: %s (%s code %d)", what, desc, domain, code)
}
