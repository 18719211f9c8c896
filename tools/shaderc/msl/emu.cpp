// MSL grid emulator: runs one dispatch (threadgroups x threads) of a kernel
// compiled as C++, with the threads of a threadgroup as cooperative fibers
// on one OS thread, so threadgroup_barrier and simdgroup collectives block
// exactly as on a GPU. Threadgroups run one after another, each with fresh
// threadgroup memory filled with poison (all bits set). Device buffers end
// at a guard page, so a write or read past the end faults and is reported
// with the buffer's index. At every scheduling round the runnable threads
// are resumed in a seeded random order, so a missing barrier shows up as
// wrong data instead of depending on a lucky order.
//
// Protocol on stdin/stdout (little-endian):
//   request:  u32 op (1 run, 2 list, 3 quit)
//     run:    u32 len, name; u32 groups[3]; u32 threads[3]; u32 seed;
//             u32 nbuf, {u32 index, u64 len, bytes}*; u32 ntg, {u32 index, u32 len}*
//   response: u32 status (0 ok, 1 error), u32 len, message;
//             if ok and run: every buffer's bytes, in request order.
//     list:   u32 count, {u32 len, name}*
#if defined(__APPLE__) && !defined(_XOPEN_SOURCE)
#define _XOPEN_SOURCE 600  // macOS hides ucontext without it
#endif
#include <signal.h>
#include <sys/mman.h>
#include <ucontext.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "emu.h"

#ifndef MAP_NORESERVE
#define MAP_NORESERVE 0
#endif

namespace lbrx_emu {

namespace {

std::map<std::string, Entry>& registry() {
    static std::map<std::string, Entry> r;
    return r;
}

enum class St { Runnable, Barrier, Simd, Done };

struct Fiber {
    ucontext_t ctx;
    St st;
    Coords c;
    // Collective state.
    Combine comb;
    const void* uniform;
    Slot in, out;
};

constexpr size_t kStack = 128 * 1024;
long page_size = 4096;

struct StackPool {
    std::vector<char*> stacks;
    char* get(size_t i) {
        while (stacks.size() <= i) {
            size_t sz = kStack + size_t(page_size);
            void* p = mmap(nullptr, sz, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
            if (p == MAP_FAILED) {
                fprintf(stderr, "emu: mmap stack failed\n");
                _exit(4);
            }
            mprotect(p, size_t(page_size), PROT_NONE);  // guard below the stack
            stacks.push_back(static_cast<char*>(p) + page_size);
        }
        return stacks[i];
    }
} pool;

std::vector<Fiber> fibers;
Fiber* cur = nullptr;
ucontext_t sched;
const Launch* launch = nullptr;
Entry entry = nullptr;
std::string error_msg;
bool failed = false;

// Guarded allocations: data ends exactly at a PROT_NONE page.
struct Guarded {
    char* map = nullptr;
    size_t maplen = 0;
    char* data = nullptr;
    size_t len = 0;
    std::string what;
};
std::vector<Guarded> guards;

Guarded guarded(size_t len, const std::string& what) {
    size_t rounded = (len + 15) & ~size_t(15);
    size_t pages = (rounded + size_t(page_size) - 1) / size_t(page_size);
    size_t maplen = (pages + 1) * size_t(page_size);
    void* p = mmap(nullptr, maplen, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) {
        fprintf(stderr, "emu: mmap failed\n");
        _exit(4);
    }
    char* m = static_cast<char*>(p);
    mprotect(m + pages * size_t(page_size), size_t(page_size), PROT_NONE);
    Guarded g;
    g.map = m;
    g.maplen = maplen;
    g.data = m + pages * size_t(page_size) - rounded;
    g.len = len;
    g.what = what;
    return g;
}

void fiber_main() {
    entry(*launch, cur->c);
    cur->st = St::Done;
    swapcontext(&cur->ctx, &sched);
}

void block(St st) {
    cur->st = st;
    swapcontext(&cur->ctx, &sched);
    if (failed) {  // the dispatch was aborted while this thread waited
        cur->st = St::Done;
        swapcontext(&cur->ctx, &sched);
    }
}

std::string describe_group(const char* what) {
    std::string s = what;
    int counts[4] = {0, 0, 0, 0};
    for (auto& f : fibers) counts[int(f.st)]++;
    char buf[256];
    snprintf(buf, sizeof buf, " (threadgroup %u,%u,%u: %d at barrier, %d at simd collective, %d returned)",
             fibers[0].c.tgid[0], fibers[0].c.tgid[1], fibers[0].c.tgid[2], counts[1], counts[2], counts[3]);
    return s + buf;
}

// run_group runs every thread of one threadgroup to completion.
bool run_group(std::mt19937& rng, uint32_t nsg) {
    std::vector<uint32_t> order(fibers.size());
    for (uint32_t i = 0; i < order.size(); i++) order[i] = i;
    for (;;) {
        std::shuffle(order.begin(), order.end(), rng);
        bool ran = false;
        for (uint32_t i : order) {
            Fiber& f = fibers[i];
            if (f.st != St::Runnable) continue;
            cur = &f;
            swapcontext(&sched, &f.ctx);
            cur = nullptr;
            ran = true;
            if (failed) return false;
        }
        size_t done = 0, atbar = 0;
        for (auto& f : fibers) {
            done += f.st == St::Done;
            atbar += f.st == St::Barrier;
        }
        if (done == fibers.size()) return true;
        bool released = false;
        // Simdgroups whose live lanes all wait at a collective.
        for (uint32_t sg = 0; sg < nsg; sg++) {
            size_t lo = size_t(sg) * 32, hi = std::min(fibers.size(), lo + 32);
            bool all = true, any = false;
            for (size_t i = lo; i < hi; i++) {
                if (fibers[i].st == St::Done) continue;
                any = true;
                if (fibers[i].st != St::Simd) all = false;
            }
            if (!any || !all) continue;
            Combine comb = nullptr;
            const void* uni = nullptr;
            bool first = true;
            Slot in[32], out[32];
            bool active[32] = {};
            for (size_t i = lo; i < hi; i++) {
                Fiber& f = fibers[i];
                if (f.st != St::Simd) continue;
                if (first) {
                    comb = f.comb;
                    uni = f.uniform;
                    first = false;
                } else if (f.comb != comb) {
                    error_msg = describe_group("divergent simdgroup: lanes wait at different collectives");
                    return false;
                } else if (f.uniform != uni) {
                    error_msg = describe_group("simdgroup_load/store with a pointer that differs between lanes");
                    return false;
                }
                in[i - lo] = f.in;
                active[i - lo] = true;
            }
            comb(in, out, active, int(hi - lo));
            for (size_t i = lo; i < hi; i++) {
                if (fibers[i].st != St::Simd) continue;
                fibers[i].out = out[i - lo];
                fibers[i].st = St::Runnable;
            }
            released = true;
        }
        if (!released && atbar > 0 && atbar + done == fibers.size()) {
            if (done > 0) {
                error_msg = describe_group("threadgroup_barrier not reached by threads that already returned");
                return false;
            }
            for (auto& f : fibers) f.st = St::Runnable;
            released = true;
        }
        if (!released && !ran) {
            error_msg = describe_group("deadlock: threads wait at barriers/collectives that cannot complete");
            return false;
        }
    }
}

std::string segv_buffer_name(void* addr) {
    char* a = static_cast<char*>(addr);
    for (auto& g : guards)
        if (a >= g.map && a < g.map + g.maplen) return g.what;
    for (char* s : pool.stacks)
        if (a >= s - page_size && a < s) return "a thread's stack (overflow)";
    return "";
}

void write_all(const void* p, size_t n) {
    const char* c = static_cast<const char*>(p);
    while (n > 0) {
        ssize_t w = write(1, c, n);
        if (w <= 0) _exit(5);
        c += w;
        n -= size_t(w);
    }
}

void on_segv(int sig, siginfo_t* si, void*) {
    // Report the fault as the dispatch's error and exit: the driver reads
    // it as a failed check.
    std::string where = segv_buffer_name(si->si_addr);
    char msg[512];
    if (!where.empty())
        snprintf(msg, sizeof msg, "memory fault (signal %d): access past the end of %s", sig, where.c_str());
    else
        snprintf(msg, sizeof msg, "memory fault (signal %d) at %p", sig, si->si_addr);
    uint32_t st = 1, len = uint32_t(strlen(msg));
    write_all(&st, 4);
    write_all(&len, 4);
    write_all(msg, len);
    _exit(3);
}

bool read_all(void* p, size_t n) {
    char* c = static_cast<char*>(p);
    while (n > 0) {
        ssize_t r = read(0, c, n);
        if (r <= 0) return false;
        c += r;
        n -= size_t(r);
    }
    return true;
}

template <class T>
T rd() {
    T v{};
    if (!read_all(&v, sizeof v)) _exit(0);
    return v;
}

void reply(uint32_t status, const std::string& msg) {
    uint32_t len = uint32_t(msg.size());
    write_all(&status, 4);
    write_all(&len, 4);
    write_all(msg.data(), len);
}

void do_run() {
    uint32_t nlen = rd<uint32_t>();
    std::string name(nlen, '\0');
    if (!read_all(name.data(), nlen)) _exit(0);
    uint32_t groups[3], threads[3];
    for (auto& g : groups) g = rd<uint32_t>();
    for (auto& t : threads) t = rd<uint32_t>();
    uint32_t seed = rd<uint32_t>();
    uint32_t nbuf = rd<uint32_t>();
    Launch L{};
    guards.clear();
    std::vector<uint32_t> bufidx;
    for (uint32_t i = 0; i < nbuf; i++) {
        uint32_t idx = rd<uint32_t>();
        uint64_t len = rd<uint64_t>();
        Guarded g = guarded(len, "buffer(" + std::to_string(idx) + ")");
        if (!read_all(g.data, len)) _exit(0);
        if (idx < 32) L.buf[idx] = g.data;
        guards.push_back(g);
        bufidx.push_back(idx);
    }
    uint32_t ntg = rd<uint32_t>();
    std::vector<std::pair<uint32_t, size_t>> tgs;
    for (uint32_t i = 0; i < ntg; i++) {
        uint32_t idx = rd<uint32_t>();
        uint32_t len = rd<uint32_t>();
        Guarded g = guarded(len, "threadgroup(" + std::to_string(idx) + ") memory");
        if (idx < 8) L.tg[idx] = g.data;
        guards.push_back(g);
        tgs.push_back({idx, guards.size() - 1});
    }
    auto finish = [&](uint32_t status, const std::string& msg) {
        reply(status, msg);
        if (status == 0)
            for (uint32_t i = 0; i < nbuf; i++) write_all(guards[i].data, guards[i].len);
        for (auto& g : guards) munmap(g.map, g.maplen);
        guards.clear();
    };
    auto it = registry().find(name);
    if (it == registry().end()) {
        finish(1, "unknown kernel " + name);
        return;
    }
    uint64_t per = uint64_t(threads[0]) * threads[1] * threads[2];
    if (per == 0 || per > 1024) {
        finish(1, "threads per threadgroup must be 1..1024");
        return;
    }
    entry = it->second;
    launch = &L;
    failed = false;
    error_msg.clear();
    std::mt19937 rng(seed);
    uint32_t nsg = uint32_t((per + 31) / 32);
    fibers.assign(per, Fiber{});
    for (uint32_t gz = 0; gz < groups[2]; gz++)
        for (uint32_t gy = 0; gy < groups[1]; gy++)
            for (uint32_t gx = 0; gx < groups[0]; gx++) {
                for (auto& t : tgs) memset(guards[t.second].data, 0xff, guards[t.second].len);
                uint32_t lin = 0;
                for (uint32_t tz = 0; tz < threads[2]; tz++)
                    for (uint32_t ty = 0; ty < threads[1]; ty++)
                        for (uint32_t tx = 0; tx < threads[0]; tx++, lin++) {
                            Fiber& f = fibers[lin];
                            f.st = St::Runnable;
                            Coords& c = f.c;
                            uint32_t tg[3] = {gx, gy, gz}, td[3] = {tx, ty, tz};
                            for (int d = 0; d < 3; d++) {
                                c.tgid[d] = tg[d];
                                c.tid[d] = td[d];
                                c.tptg[d] = threads[d];
                                c.tgpg[d] = groups[d];
                                c.gid[d] = tg[d] * threads[d] + td[d];
                            }
                            c.linear = lin;
                            c.sg = lin / 32;
                            c.lane = lin % 32;
                            c.nsg = nsg;
                            getcontext(&f.ctx);
                            f.ctx.uc_stack.ss_sp = pool.get(lin);
                            f.ctx.uc_stack.ss_size = kStack;
                            f.ctx.uc_link = &sched;
                            makecontext(&f.ctx, fiber_main, 0);
                        }
                if (!run_group(rng, nsg)) {
                    if (error_msg.empty()) error_msg = "dispatch failed";
                    finish(1, name + ": " + error_msg);
                    return;
                }
            }
    finish(0, "");
}

}  // namespace

Registrar::Registrar(const char* name, Entry e) { registry()[name] = e; }

void collective(const void* in, size_t size, int32_t arg, void* out, Combine c, const void* uniform) {
    if (size > sizeof(Slot::v)) fail("collective operand too large");
    if (size) memcpy(cur->in.v, in, size);
    cur->in.arg = arg;
    cur->comb = c;
    cur->uniform = uniform;
    block(St::Simd);
    if (size && out) memcpy(out, cur->out.v, size);
}

void barrier() { block(St::Barrier); }

uint32_t current_lane() { return cur->c.lane; }

void fail(const char* msg) {
    error_msg = msg;
    failed = true;
    cur->st = St::Done;
    swapcontext(&cur->ctx, &sched);
    _exit(6);  // never resumed
}

}  // namespace lbrx_emu

int main() {
    using namespace lbrx_emu;
    page_size = sysconf(_SC_PAGESIZE);
    static char altstack[64 * 1024];
    stack_t ss{};
    ss.ss_sp = altstack;
    ss.ss_size = sizeof altstack;
    sigaltstack(&ss, nullptr);
    struct sigaction sa{};
    sa.sa_sigaction = on_segv;
    sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
    sigaction(SIGSEGV, &sa, nullptr);
    sigaction(SIGBUS, &sa, nullptr);
    sigaction(SIGFPE, &sa, nullptr);
    for (;;) {
        uint32_t op = rd<uint32_t>();
        if (op == 1) {
            do_run();
        } else if (op == 2) {
            reply(0, "");
            uint32_t n = uint32_t(registry().size());
            write_all(&n, 4);
            for (auto& kv : registry()) {
                uint32_t l = uint32_t(kv.first.size());
                write_all(&l, 4);
                write_all(kv.first.data(), l);
            }
        } else {
            return 0;
        }
    }
}
