// The last resort: the report library cannot be loaded in the process (here: it is missing) and
// the memplumber command cannot render the report either (it does not find it anyway). The
// process writes the text report itself (loss records with frames as module+offset, a line
// saying why, the right totals) and the JSON report without symbols: "unsymbolized" says why,
// frames have "module" and "offset" (the call's address in the file), the totals are right.
// RUN: MEMPLUMBER_REPORT_LIB=/nonexistent/libmemplumber-report.so $PROG
// REPORT-STDERR: yes
// STDERR-HAS: Stacks are not symbolized (the report library could not be loaded)
// STDERR-HAS: ??? (in
// STDERR-HAS: /as_fallback+0x
// STDERR-HAS: 77 bytes in 1 blocks are definitely lost in loss record 1 of 1
// STDERR-HAS: definitely lost: 77 bytes in 1 blocks
// STDERR-HAS: the JSON report is written without them
// JSON-CHECK: j["unsymbolized"] == "the report library could not be loaded"
// JSON-CHECK: j["summary"]["definitely_lost"] == {"bytes": 77, "blocks": 1}
// JSON-CHECK: j["leaks"][0]["stack"][0]["module"].endswith("/as_fallback") and j["leaks"][0]["stack"][0]["function"] is None
// JSON-CHECK: int(j["leaks"][0]["stack"][0]["offset"], 16) > 0
// JSON-CHECK: j["baseline"] is None
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
