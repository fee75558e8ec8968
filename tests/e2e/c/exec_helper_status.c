/* A clean driver runs a leaking helper (exec_helper_status_aux.c) through system(). memplumber
 * follows exec by default and the helper reports its leak, but unless --trace-children=yes is
 * given its exit status stays its own (valgrind would not observe it): the driver sees 0. With
 * --trace-children=yes, error_exitcode applies in the helper as in valgrind: the driver sees 5.
 * BUILD-AUX:  exec_helper_status_aux.c
 * RUN:        %memplumber --leak-check=full --error-exitcode=5 -- %bin %aux
 * EXIT:       0
 * STDOUT:     helper exited with 0
 * STDERR:     are definitely lost in loss record
 * RUN:        %memplumber --trace-children=yes --leak-check=full --error-exitcode=5 --json %t.json -- %bin %aux
 * EXIT:       0
 * STDOUT:     helper exited with 5
 * EXPECT:     summary.definitely_lost.blocks=0
 * VALGRIND:   skip the shim always runs valgrind with --trace-children=yes (integration/valgrind_exitcode.sh compares)
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>

int main(int argc, char **argv)
{
    if (argc < 2)
        return 2;
    fflush(stdout);
    int st = system(argv[1]);
    printf("helper exited with %d\n", WIFEXITED(st) ? WEXITSTATUS(st) : -1);
    return 0;
}
