/* Descriptors memplumber writes to, checked by identity before every use. Programs close every
 * descriptor (close_range, closefrom, a loop up to the fd limit) and open their own files, which
 * then get the numbers memplumber held: writing to a number without checking could put the
 * report into the program's data file. Each descriptor memplumber opens is recorded with the
 * (st_dev, st_ino, file type) it had; before a write it must still have them, else memplumber
 * reopens the file by name when it can, or does not write at all. */
#ifndef MP_OUTFD_H
#define MP_OUTFD_H

#include <stddef.h>
#include <sys/types.h>

struct mp_fdid {
    int fd;          /* -1: none */
    dev_t dev;
    ino_t ino;
    mode_t type;     /* st_mode & S_IFMT */
    char path[512];  /* a name to reopen it by ("" = none: a pipe, a socket) */
};

/* Start-up: record what fd 2 is and make memplumber's private copy of it, placed near the
 * descriptor limit where programs rarely reach. */
void mp_outfd_init(void);

/* Is fd still the file id recorded? */
int mp_outfd_same(const struct mp_fdid *id);

/* Record fd (just opened by memplumber, with the name it was opened by, or NULL). */
void mp_outfd_record(struct mp_fdid *id, int fd, const char *path);

/* memplumber's descriptors sit at the top of the descriptor range: the highest free numbers
 * below the soft RLIMIT_NOFILE (at most 1024), within MP_OUTFD_SPAN of it, where the program's
 * lowest-first numbers do not reach. Under a soft limit below MP_OUTFD_MIN_LIMIT memplumber
 * keeps no descriptor of its own while the program runs (every number is the program's): no
 * rendezvous for `memplumber report`, no copy of stderr, no kept /proc/self/maps. */
#define MP_OUTFD_MIN_LIMIT 128
#define MP_OUTFD_SPAN 16

/* Whether the descriptor limit leaves room for memplumber to keep a descriptor open at the
 * top of the range (else it keeps none: the low numbers are the program's). */
int mp_outfd_can_keep(void);

/* Move a descriptor memplumber opened to the top of the range; returns the new number, or -1
 * (fd closed) when there is no room there (or the limit is below MP_OUTFD_MIN_LIMIT). For
 * descriptors memplumber keeps open while the program runs. */
int mp_outfd_place_high(int fd);

/* The same for a descriptor used for a moment (a report file): fd itself when it cannot be
 * moved. */
int mp_outfd_move_high(int fd);

/* Before exec (and the spawns that exec): FD_CLOEXEC back on each descriptor memplumber placed
 * high and still holds, in case the program cleared it. */
void mp_outfd_before_exec(void);

/* A descriptor that still reaches the stderr the program started with, or -1 when none does
 * (the program closed it and reused the numbers, and the file cannot be reopened by name).
 * Checked at each call. */
int mp_err_fd(void);

#include "common/repfile.h"

#endif
