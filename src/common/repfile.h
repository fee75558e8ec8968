/* Report files (log, JSON, SARIF, HTML) are created without following a symbolic link, without
 * blocking (a FIFO at the path would hang the program at exit) and only as regular files, with
 * the mode the user chose (report_mode, default 0600: reports hold addresses and command lines). */
#ifndef MP_REPFILE_H
#define MP_REPFILE_H

#include <stddef.h>
#include <sys/types.h>

/* flags of mp_open_report_file */
#define MP_REPFILE_APPEND 1 /* keep the content (the log file), else truncate */
#define MP_REPFILE_WHOLE 2  /* a report written whole, then closed (JSON, SARIF...): see below */

/* Open path for writing a report. Returns the fd (blocking mode, close-on-exec), or -1 with the
 * reason in why. With MP_REPFILE_WHOLE a regular file is locked (flock) before it is truncated,
 * until the fd is closed: processes that end together and write the same path (no %p) leave one
 * whole report, the last one's, instead of two interleaved. */
int mp_open_report_file(const char *path, int flags, unsigned mode, char *why, size_t whylen);

/* A report whose writing failed (a full disk, RLIMIT_FSIZE): a truncated JSON, SARIF or HTML
 * file would be read as a broken report. A regular file is emptied through fd and its name
 * removed while it still names the same file; other kinds (/dev/null, a terminal) are left. */
void mp_discard_report_file(int fd, const char *path);

/* "a FIFO (named pipe)", "a directory", ... for st_mode & S_IFMT. */
const char *mp_file_type_name(mode_t type);

#endif
