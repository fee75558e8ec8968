/* valgrind's command line on memplumber: every option of valgrind's core and of memcheck, with
 * what memplumber does with it (vgopts.c). Scripts, IDEs and CTest call "valgrind --opts prog";
 * replacing the command with memplumber must keep working. */
#ifndef MP_CLI_VGOPTS_H
#define MP_CLI_VGOPTS_H

#include <stdio.h>

#include "cli/args.h"

/* If arg is a valgrind spelling that memplumber's own option table does not take as is, apply
 * it to a and return 1 (printing one "has no effect" note where that is the case, exiting 2 with
 * a message for a refused value or --tool other than memcheck); else return 0. */
int mp_vgopt_apply(struct mp_args *a, const char *arg);

/* After the whole command line: settle what depends on several options (--xml=yes and its
 * destination). Exits 2 on an inconsistency. */
void mp_vgopt_finish(struct mp_args *a);

/* The table of every valgrind option and what memplumber does with it, as Markdown rows (the
 * manual's table is this output: memplumber --help-valgrind). */
void mp_vgopt_print_table(FILE *f);

/* Expand a --log-file/--xml-file name as valgrind does: %q{VAR} (the value of environment
 * variable VAR), %% ('%'), %n (*seq, then incremented); %p is kept for the library. Returns a
 * malloc'ed string; exits 2 on an empty name, an unset VAR or any other %X (as valgrind does). */
char *mp_vgopt_expand_path(const char *opt, const char *path, unsigned *seq);

/* 1 if argv[1..] up to the program holds --command-line-only=yes (the last of =yes/=no wins),
 * as valgrind reads it: then ~/.valgrindrc, $VALGRIND_OPTS and ./.valgrindrc are not read. */
int mp_vgopt_command_line_only(int argc, char **argv);

/* 1 if arg names one of valgrind's options (any in the table), whatever memplumber does with
 * it: the only options ~/.valgrindrc, $VALGRIND_OPTS and ./.valgrindrc may hold. */
int mp_vgopt_is_valgrind_option(const char *arg);

/* The table as tagged paragraphs of the man page (roff). */
void mp_vgopt_print_man(FILE *f);

#endif
