// The JSON path is a directory and the log file path a FIFO: neither may hang or fail the
// program; both are refused with a message, and the text report falls back to stderr.
// SETUP: mkdir mp.json; mkfifo mp.log
// OPTIONS: log_file=mp.log
// JSON: any
// STDERR-HAS: it is a directory
// STDERR-HAS: cannot write the log file
// REPORT-STDERR: yes
#include <stdlib.h>
int main(void)
{
    char *leak = malloc(3);
    leak = NULL;
    return 1;
}
