/* Symbol cache: the frames found for a module's addresses, kept on disk between runs, for modules
 * whose debug information is a separate file (/usr/lib/debug/.build-id/xx/yyyy.debug, as Debian's
 * -dbg packages install it). Opening such a file with libdw decompresses all its debug sections:
 * about 100 ms for libc6-dbg's, paid by every process whose report has one libc frame. The cache is
 * one file per build-id in a directory (option symbol_cache), valid while the debug file keeps its
 * size and modification time. Reads and writes never fail a report: any problem means "no cache".
 * Single-threaded; uses malloc. */
#ifndef MP_REPORT_SYMCACHE_H
#define MP_REPORT_SYMCACHE_H

#include <stdint.h>

struct mp_symcache;

/* One cached frame; strings owned by the cache, NULL when unknown. */
struct mp_symcache_frame {
    const char *function, *file;
    unsigned line;
    int inlined;
};

/* The cache of the ELF file at elf_path, when it has a build-id and a separate debug file; NULL
 * otherwise, or when dir is NULL. Loads the cache file if there is one and it is still valid. */
struct mp_symcache *mp_symcache_open(const char *dir, const char *elf_path);

/* Frames cached for offset (an address inside the ELF file): their count, 0 when not cached. */
int mp_symcache_get(struct mp_symcache *c, uint64_t offset, const struct mp_symcache_frame **out);

/* Remember the frames found for offset (strings are copied; a frame whose strings contain a tab
 * or a newline is not cached). */
void mp_symcache_put(struct mp_symcache *c, uint64_t offset, const struct mp_symcache_frame *f,
                     int n);

/* Hits and misses so far (for the verbosity=2 line). */
void mp_symcache_counts(const struct mp_symcache *c, unsigned long *hits, unsigned long *misses);

/* Write the cache file back if it gained entries (a temporary file renamed over it), then free
 * everything, including the strings handed out. NULL is fine. */
void mp_symcache_close(struct mp_symcache *c);

#endif
