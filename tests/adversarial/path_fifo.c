// A FIFO waits at the JSON report path (no reader). The program must end as natively (not hang
// at exit opening it); memplumber says why it wrote no JSON report, the text report still goes
// to stderr.
// SETUP: mkfifo mp.json
// JSON: any
// STDERR-HAS: it is a FIFO (named pipe); report files must be regular files
// REPORT-STDERR: yes
#include <stdlib.h>
int main(void)
{
    char *leak = malloc(3);
    leak = NULL;
    return 2;
}
