/* The program kills itself with abort(): the status is the shell's 128+6 and memplumber's CLI says
 * that the program was killed by a signal. Its report is not asserted.
 * RUN:        %memplumber --json %t.json -- %bin
 * EXIT:       134
 * STDOUT:     about to abort
 * STDERR-RE:  (SIGABRT|[Ss]ignal 6|[Aa]bort)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(void)
{
    char *p = malloc(32);
    memset(p, 'a', 32);
    printf("about to abort\n");
    fflush(stdout);
    abort();
}
