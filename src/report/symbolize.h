/* Symbolizer: raw return addresses -> frames (function, source file:line, inline chains) using
 * elfutils libdwfl/libdw. Modules come from the report model (mp_module), including dlclose'd ones
 * whose file is still on disk; each is opened lazily with its own Dwfl. Separate debug files are
 * found by build-id and .gnu_debuglink (dwfl_standard_find_debuginfo, /usr/lib/debug). Results are
 * cached per (pc, module). Single-threaded; uses malloc; depends on libdw, libelf, libdl. */
#ifndef MP_REPORT_SYMBOLIZE_H
#define MP_REPORT_SYMBOLIZE_H

#include <stddef.h>
#include <stdint.h>

#include "common/model.h"

/* One frame of a symbolized stack. A return address whose code was inlined expands to several
 * frames sharing the same pc: innermost inlined function first, the real function last. */
struct mp_frame {
    uintptr_t pc;           /* the call instruction: return address - 1 (what addr2line wants) */
    const char *function;   /* demangled when possible; NULL when unknown */
    const char *file;       /* as DWARF names it, joined with comp_dir when relative; NULL unknown */
    unsigned line;          /* 0 when unknown */
    const char *module;     /* path of the module holding pc; NULL when no module does */
    uintptr_t offset;       /* pc - module load bias: the address inside the ELF file */
    int inlined;            /* 1: an inlined instance inside the next frame */
};

struct mp_symbolizer;

/* A symbolizer for the given module table (copied; paths must outlive the symbolizer). Returns NULL
 * only when out of memory. */
struct mp_symbolizer *mp_symbolize_open(const struct mp_module *mods, size_t nmods);
/* Release everything, including all strings handed out in frames. NULL is fine. */
void mp_symbolize_close(struct mp_symbolizer *s);

/* Frames for a stack of return addresses captured at module generation gen. Returns a malloc'd
 * array (caller frees; strings stay owned by the symbolizer) and its length in *n; NULL with *n = 0
 * for an empty stack or when out of memory. */
/* Keep the frames below main (libc's start-up) in stacks; default: stop at main. */
void mp_symbolize_set_below_main(struct mp_symbolizer *s, int show);

/* Use (and update) the symbol cache in dir for modules whose debug information is a separate
 * file (report/symcache.h); NULL = no cache (the default). The string must outlive s. */
void mp_symbolize_set_cache_dir(struct mp_symbolizer *s, const char *dir);

struct mp_frame *mp_symbolize_stack(struct mp_symbolizer *s, const uintptr_t *pcs, uint32_t npcs,
                                    uint32_t gen, uint32_t *n);

/* Index into the module table of the module a PC (a return address) belongs to for a stack captured
 * at generation gen: among modules containing pc - 1, the dlclose'd one with the smallest
 * unload_gen > gen if any, else a loaded one (unload_gen 0). -1 if none. */
int mp_symbolize_pick_module(const struct mp_symbolizer *s, uintptr_t pc, uint32_t gen);

/* Resolve everything the symbolizer would look up with dlsym/dlopen (the C++ demangler). Call once
 * before the program's libc may release ld.so's data (__libc_freeres at exit). */
void *mp_symbolize_resolve_demangler(void);

#endif
