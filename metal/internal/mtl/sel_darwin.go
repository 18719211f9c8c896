package mtl

import (
	"fmt"

	"github.com/ebitengine/purego/objc"
)

// sel registers a selector name. sel_registerName needs only libobjc,
// which purego's objc package opens in its init, so the selectors below
// are registered once at package initialisation.
func sel(name string) uintptr { return uintptr(objc.RegisterName(name)) }

// Selectors, one per Objective-C method lbrx sends (Apple's documented
// names; the comment gives the receiver).
var (
	// NSObject
	selAlloc               = sel("alloc")
	selInit                = sel("init")
	selRetain              = sel("retain")
	selRelease             = sel("release")
	selRespondsToSelector  = sel("respondsToSelector:")
	selInitWithUTF8String  = sel("initWithUTF8String:")  // NSString
	selUTF8String          = sel("UTF8String")           // NSString
	selCount               = sel("count")                // NSArray
	selObjectAtIndex       = sel("objectAtIndex:")       // NSArray
	selLocalizedDesc       = sel("localizedDescription") // NSError
	selCode                = sel("code")                 // NSError
	selDomain              = sel("domain")               // NSError
	selName                = sel("name")                 // MTLDevice
	selHasUnifiedMemory    = sel("hasUnifiedMemory")     // MTLDevice
	selMaxBufferLength     = sel("maxBufferLength")      // MTLDevice
	selRecommendedMaxWS    = sel("recommendedMaxWorkingSetSize")
	selSupportsFamily      = sel("supportsFamily:")
	selNewCommandQueue     = sel("newCommandQueue")
	selNewBufferWithLength = sel("newBufferWithLength:options:")
	selNewBufferNoCopy     = sel("newBufferWithBytesNoCopy:length:options:deallocator:")
	selNewLibraryWithData  = sel("newLibraryWithData:error:")
	selNewLibraryWithSrc   = sel("newLibraryWithSource:options:error:")
	selNewPipeline         = sel("newComputePipelineStateWithFunction:error:")
	selSetFastMath         = sel("setFastMathEnabled:")  // MTLCompileOptions
	selSetMathMode         = sel("setMathMode:")         // MTLCompileOptions, macOS 15+
	selSetLanguageVersion  = sel("setLanguageVersion:")  // MTLCompileOptions
	selNewFunctionWithName = sel("newFunctionWithName:") // MTLLibrary
	selMaxTotalThreads     = sel("maxTotalThreadsPerThreadgroup")
	selThreadExecWidth     = sel("threadExecutionWidth")
	selContents            = sel("contents") // MTLBuffer
	selLength              = sel("length")   // MTLBuffer
	selCommandBuffer       = sel("commandBuffer")
	selComputeEncoder      = sel("computeCommandEncoder")
	selCommit              = sel("commit")
	selWaitUntilCompleted  = sel("waitUntilCompleted")
	selStatus              = sel("status")
	selError               = sel("error")
	selSetPipelineState    = sel("setComputePipelineState:")
	selSetBuffer           = sel("setBuffer:offset:atIndex:")
	selSetBytes            = sel("setBytes:length:atIndex:")
	selSetTGMemory         = sel("setThreadgroupMemoryLength:atIndex:")
	selDispatchTG          = sel("dispatchThreadgroups:threadsPerThreadgroup:")
	selEndEncoding         = sel("endEncoding")
)

// Classes, looked up after the frameworks are open (Load).
var (
	classNSString       uintptr
	classCompileOptions uintptr
)

func registerClasses() error {
	for _, c := range []struct {
		name string
		dst  *uintptr
	}{
		{"NSString", &classNSString},
		{"MTLCompileOptions", &classCompileOptions},
	} {
		*c.dst = uintptr(objc.GetClass(c.name))
		if *c.dst == 0 {
			return fmt.Errorf("metal: Objective-C class %s not found after loading Foundation and Metal", c.name)
		}
	}
	return nil
}

// registerSelectors checks that every selector registered; sel_registerName
// never returns nil for a valid name, so a zero here means libobjc was not
// usable at init.
func registerSelectors() error {
	if selAlloc == 0 || selDispatchTG == 0 {
		return fmt.Errorf("metal: selector registration failed")
	}
	return nil
}
