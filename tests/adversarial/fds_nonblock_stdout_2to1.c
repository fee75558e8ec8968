// 2>&1 and the program sets O_NONBLOCK on stdout: the same open file as stderr and as
// memplumber's copy of it. The program then fills the pipe (writes until EAGAIN) while the
// reader waits a second, and returns. The report must still reach the reader whole: its first
// write meets a full pipe, and memplumber used to give up there (the report was cut, or lost).
// RUN: $PROG 2>&1 | (sleep 1; cat > both.txt); grep -v '^==' both.txt > own.txt; grep -v '^fill$' both.txt >&2; true
// FILES: own.txt
// REPORT-STDERR: yes
// STDERR-HAS: ERROR SUMMARY
// JSON-CHECK: j["summary"]["definitely_lost"]["blocks"] == 20
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void *volatile keep;

int main(void)
{
    if (fcntl(1, F_SETFL, fcntl(1, F_GETFL) | O_NONBLOCK) != 0)
        return 2;
    for (int i = 0; i < 20; i++)
        keep = malloc(10 + i);
    keep = NULL;
    long lines = 0;
    while (write(1, "fill\n", 5) == 5)
        lines++;
    if (errno != EAGAIN)
        return 3;
    /* fd 2 is the same pipe: nothing more fits natively either */
    return lines > 1000 ? 0 : 4;
}
