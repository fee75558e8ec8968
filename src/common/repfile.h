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
 * removed while it still names the same file; other kinds (/dev/null, a terminal) are left.
 * Returns 1 when the name was removed. */
int mp_discard_report_file(int fd, const char *path);

/* A report written whole (JSON, SARIF, HTML, XML, pprof) goes to a temporary file in the same
 * directory (".NAME.PID.tmp", created with O_EXCL, never following a link) that is renamed over
 * path once complete: a reader (a CI step collecting reports, a tool polling for the file while
 * a daemon still writes its report) never sees a partial file. Returns the temporary file's fd
 * (its name in tmp), or -1 when path does not take that way: a descriptor handed over
 * (/proc/self/fd/N), anything but a regular file at path, or a directory where the temporary
 * file cannot be made; the caller then opens path itself with mp_open_report_file. */
int mp_open_report_tmp(const char *path, unsigned mode, char *tmp, size_t tmplen);

/* Put the complete temporary file in place (0), or remove it (-1, errno set). */
int mp_commit_report_tmp(const char *tmp, const char *path);

/* A write that failed: the temporary file is removed, and so is an older report at path (a report
 * file that exists is complete and this run's, as when the file was written in place). */
void mp_discard_report_tmp(const char *tmp, const char *path);

/* "a FIFO (named pipe)", "a directory", ... for st_mode & S_IFMT. */
const char *mp_file_type_name(mode_t type);

#endif
