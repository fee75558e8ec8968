// Report files are created 0600 by default (they hold addresses and the command line), whatever
// the umask; report_mode changes that for the log file and the JSON report alike.
// RUN: umask 000; $PROG
// OPTIONS: log_file=mp.log
// JSON-CHECK: os.stat(jpath).st_mode & 0o777 == 0o600
// JSON-CHECK: os.stat(os.path.join(os.path.dirname(jpath), "mp.log")).st_mode & 0o777 == 0o600
#include <stdlib.h>
int main(void)
{
    char *leak = malloc(3);
    leak = NULL;
    return 0;
}
