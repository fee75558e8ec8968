/* /proc/self/maps, read without malloc or stdio (raw syscalls into tool memory). */
#ifndef MP_MAPS_H
#define MP_MAPS_H

#include <stddef.h>
#include <stdint.h>

struct mp_map {
    uintptr_t lo, hi;
    unsigned prot;      /* 1 r, 2 w, 4 x */
    int shared;         /* 's' */
    int anon;           /* no file, or a [name] pseudo file */
    char name[96];      /* path or [heap]/[stack]/... (truncated), "" if anonymous */
};

/* Read all mappings into out (at most max). Returns the count, or -1. */
long mp_maps_read(struct mp_map *out, size_t max);

/* Find the mapping containing addr. 0 and [*lo, *hi) on success, -1 if none. */
int mp_maps_find(uintptr_t addr, uintptr_t *lo, uintptr_t *hi);

/* A descriptor of /proc/self/maps opened at start-up (and again in a fork child; -1: none), used
 * when the file cannot be opened by name any more (after chroot) while it is still that file.
 * Replaces (closes) the one kept before. */
void mp_maps_keep_fd(int fd);
int mp_maps_kept_fd(void);

/* Memory the program took from the system break itself (sbrk, brk: the hooks see only the
 * program's calls, not glibc malloc's own). It lies inside [heap], which is otherwise the
 * allocator's, and it is the program's data: a leak scan root, as in valgrind. */
struct mp_brk_range {
    uintptr_t lo, hi;
};

/* The program moved the break from old to now: a rise adds [old, now), a fall drops what lies
 * at or above now. */
void mp_maps_note_break(uintptr_t old, uintptr_t now);

/* The program's ranges, in address order (no lock: sbrk is not thread-safe itself, so programs
 * serialise their calls, and the scan reads them while the threads are stopped). */
size_t mp_maps_program_break(const struct mp_brk_range **out);

/* Pages a read would hand to a userfaultfd handler: in a range registered in missing or minor
 * mode (VmFlags "um"/"ui" in /proc/self/smaps), the pages not in memory (neither present nor
 * swapped, from /proc/self/pagemap). Reading one blocks until a thread of the program serves
 * the fault, and the scan runs with the program's threads stopped: it would wait for good.
 * Looked for only while the process holds a userfaultfd descriptor (/proc/self/fd), so the
 * common case reads no smaps. Writes at most max runs to out, in address order; returns the
 * count. */
size_t mp_maps_uffd_holes(struct mp_brk_range *out, size_t max);

#endif
