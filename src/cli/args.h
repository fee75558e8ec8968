/* Command-line handling of the memplumber CLI: maps --dashed-names and valgrind spellings onto
 * the option table of src/preload/runtime/options.inc (validated with the same parser the preload
 * library uses), checks report paths and suppression files before anything runs, and builds
 * the MEMPLUMBER_OPTIONS string handed to the program. Runs in the CLI only: uses stdio and
 * malloc freely, and exits with status 2 on any usage error. */
#ifndef MP_CLI_ARGS_H
#define MP_CLI_ARGS_H

#include <stdio.h>

#include "preload/runtime/options.h"

#define MP_CLI_VERSION "0.1.0"

/* Exit status of memplumber's own errors (bad option, unwritable report path, no library). */
#define MP_CLI_EXIT_USAGE 2

struct mp_args {
    struct mp_options opts;   /* defaults, then every option given on the command line */
    unsigned char *set;       /* set[i]: mp_option_table[i] was given on the command line */
    int prog;                 /* argv index of the program; argv[prog..] is its command line */
};

/* Parse argv up to the program name. Handles --help and --version (print, exit 0); on any
 * error prints "memplumber: error: ..." and exits 2. On return a->prog < argc. */
void mp_args_parse(struct mp_args *a, int argc, char **argv);

/* Make report paths and suppression files absolute against the current directory and check
 * that they can be written / read, before the program starts. Exits 2 on failure. */
void mp_args_check_files(struct mp_args *a);
/* Die when a report path names the program about to run (program: its resolved path). */
void mp_args_check_not_program(const struct mp_args *a, const char *program);

/* The MEMPLUMBER_OPTIONS value for the child: inherited (the value already in the environment,
 * or NULL) followed by the options given on the command line that differ from the defaults or
 * that inherited also sets, so that the command line wins (leak_check and follow_exec: whenever
 * given, see options.h). Validates inherited first (exit 2 on
 * a bad value: the library would refuse it). Returns a malloc'ed string, or NULL when both are
 * empty. */
char *mp_args_env_options(const struct mp_args *a, const char *inherited);

/* Print "memplumber: error: <fmt>" to stderr and exit 2. */
void mp_args_die(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));

/* s as roff text (backslashes, hyphens and leading dots escaped): for the man page. */
void mp_roff_text(FILE *f, const char *s);

#endif
