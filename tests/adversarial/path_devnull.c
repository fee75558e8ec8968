// --log-file=/dev/null, as valgrind users write it: the text report is discarded (not refused,
// not sent to stderr instead), the JSON report is still written, the program ends as natively.
// OPTIONS: log_file=/dev/null
// STDERR-LACKS: LEAK SUMMARY
// STDERR-LACKS: error
// JSON-CHECK: j["summary"]["definitely_lost"]["bytes"] == 5
#include <stdlib.h>
#include <string.h>
int main(void)
{
    char *leak = malloc(5);
    memset(leak, 0, 5);
    leak = NULL;
    return 4;
}
