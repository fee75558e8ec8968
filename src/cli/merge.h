/* `memplumber merge OUT.json IN.json...` (merge.c): one JSON report from the per-process
 * reports of a test suite. */
#ifndef MP_CLI_MERGE_H
#define MP_CLI_MERGE_H

/* argv[0] is "merge". Returns the exit status: 0, or 2 on a usage error or a bad input. */
int mp_merge_command(int argc, char **argv);

#endif
