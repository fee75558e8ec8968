// The last resort: the report library cannot be loaded in the process (here: it is missing) and
// the memplumber command cannot render the report either (it does not find it anyway). The
// process writes the text report itself: the loss records with frames as module+offset (to
// symbolize later with addr2line), a line saying why, the right totals; no JSON file.
// RUN: MEMPLUMBER_REPORT_LIB=/nonexistent/libmemplumber-report.so $PROG
// OPTIONS: json=mp.json
// JSON: no
// REPORT-STDERR: yes
// STDERR-HAS: Stacks are not symbolized (the report library could not be loaded)
// STDERR-HAS: ??? (in
// STDERR-HAS: /as_fallback+0x
// STDERR-HAS: 77 bytes in 1 blocks are definitely lost in loss record 1 of 1
// STDERR-HAS: definitely lost: 77 bytes in 1 blocks
// STDERR-HAS: and no report file is written
#include <stdio.h>
#include <stdlib.h>

int main(void)
{
    char *leak = malloc(77);
    leak[0] = 1;
    leak = NULL;
    printf("done\n");
    return 0;
}
