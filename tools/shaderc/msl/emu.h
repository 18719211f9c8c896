// Runtime interface of the MSL grid emulator (see emu.cpp). The MSL
// compatibility header (metal_stdlib) calls into it for barriers and
// simdgroup collectives; the generated per-kernel wrappers register their
// entry points here.
#ifndef LBRX_EMU_H
#define LBRX_EMU_H

#include <cstddef>
#include <cstdint>
#include <cstring>

namespace lbrx_emu {

// Coords are the built-in [[...]] values of one emulated GPU thread.
struct Coords {
    uint32_t gid[3];   // thread_position_in_grid
    uint32_t tgid[3];  // threadgroup_position_in_grid
    uint32_t tid[3];   // thread_position_in_threadgroup
    uint32_t tptg[3];  // threads_per_threadgroup
    uint32_t tgpg[3];  // threadgroups_per_grid
    uint32_t linear;   // thread_index_in_threadgroup
    uint32_t sg;       // simdgroup_index_in_threadgroup
    uint32_t lane;     // thread_index_in_simdgroup
    uint32_t nsg;      // simdgroups_per_threadgroup
};

// Launch holds the buffers of one dispatch, by [[buffer(i)]] and
// [[threadgroup(i)]] index.
struct Launch {
    void* buf[32];
    void* tg[8];
};

using Entry = void (*)(const Launch&, const Coords&);

struct Registrar {
    Registrar(const char* name, Entry e);
};

// A Slot carries one lane's operand (and its lane argument) into a
// collective and the lane's result out of it.
struct Slot {
    alignas(16) unsigned char v[64];
    int32_t arg;
};

// Combine computes out[l] for every lane l with active[l] set, from in[].
using Combine = void (*)(const Slot* in, Slot* out, const bool* active, int width);

// collective blocks the calling lane until every live lane of its
// simdgroup reaches a collective, checks they all reached the same one
// (same combine, same uniform pointer), then runs combine once for all.
void collective(const void* in, size_t size, int32_t arg, void* out, Combine c, const void* uniform);

// barrier blocks until every thread of the threadgroup reaches it.
void barrier();

// lane/sg of the running thread (for simdgroup_matrix distribution).
uint32_t current_lane();

// fail aborts the dispatch with a message (emulator-detected misuse).
[[noreturn]] void fail(const char* msg);

}  // namespace lbrx_emu

#endif
