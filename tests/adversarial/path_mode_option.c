// report_mode=0640: the JSON report and the log file are created with that mode (umask 0).
// RUN: umask 000; $PROG
// OPTIONS: log_file=mp.log:report_mode=0640
// JSON-CHECK: os.stat(jpath).st_mode & 0o777 == 0o640
// JSON-CHECK: os.stat(os.path.join(os.path.dirname(jpath), "mp.log")).st_mode & 0o777 == 0o640
#include <stdlib.h>
int main(void)
{
    char *leak = malloc(3);
    leak = NULL;
    return 0;
}
