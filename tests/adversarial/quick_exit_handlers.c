// quick_exit(6): the program's at_quick_exit handlers run (not its atexit ones), then
// memplumber's report; the status is 6.
// JSON-CHECK: j["summary"]["definitely_lost"]["bytes"] == 17
// REPORT-STDERR: yes
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static void on_quick(void) { printf("at_quick_exit handler\n"); fflush(stdout); }
static void on_exit_(void) { printf("atexit handler (must not run)\n"); }

int main(void)
{
    at_quick_exit(on_quick);
    atexit(on_exit_);
    char *leak = malloc(17);
    leak = NULL;
    quick_exit(6);
}
