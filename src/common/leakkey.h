/* The one definition of "the same leak" across runs, shared by the SARIF writer (its
 * partialFingerprints), the baseline (--baseline: known vs new) and `memplumber merge` (adding up
 * records). A key hashes the record's kind and the program's own frames: for each, its function
 * name and its file's base name, never addresses or line numbers, so that ASLR, a rebuild, or a
 * line inserted above the allocation leave it unchanged. Pure functions over strings: usable in
 * the CLI, the report library and (unused there) the preload library. */
#ifndef MP_COMMON_LEAKKEY_H
#define MP_COMMON_LEAKKEY_H

#include <stddef.h>
#include <stdint.h>

/* One frame as the key sees it; any field may be NULL (unknown). */
struct mp_key_frame {
    const char *function;
    const char *file;       /* source file (absolute, or relative as in the debug info) */
    const char *module;     /* path of the ELF object */
};

/* 1 when the frame is in the program's own code, 0 when it is in a system library. The rule:
 * a frame is the system's when its module lives under /usr, /lib, /lib32, /lib64, /libx32, /bin,
 * /sbin or /snap, or its module's file name is one of the C and C++ runtimes (libc.so*,
 * libstdc++.so*, libc++*, libgcc_s*, libm.so*, libpthread*, libdl*, ld-linux*, ld64*), or its
 * source file is an absolute path under /usr or /lib (system headers inlined into the program,
 * e.g. /usr/include/c++/12/bits/new_allocator.h). A frame with neither module nor file is not
 * the program's. Everything else is the program's own code. */
int mp_key_frame_is_users(const struct mp_key_frame *f);

/* Index of the first (innermost) frame of the program's own code, or n when there is none. */
size_t mp_key_first_users(const struct mp_key_frame *f, size_t n);

/* The key of a record of `kind` (its JSON name: "definitely_lost", "double_free", ...) with this
 * stack, innermost first: FNV-1a 64 of the kind and, for every frame of the program's own code,
 * its function and the base name of its file. When no frame is the program's, every frame
 * counts, with its function (or its module's base name when the function is unknown). */
uint64_t mp_leak_key(const char *kind, const struct mp_key_frame *f, size_t n);

/* The key as the reports write it: 16 lowercase hex digits and a NUL (buf of 17 bytes). */
void mp_leak_key_hex(uint64_t key, char buf[17]);

#endif
