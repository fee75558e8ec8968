/* The program's last output has no trailing newline and sits in stdio's buffer (stdout is a pipe)
 * until exit: none of it may be lost, and nothing may be added to stdout.
 * RUN:        %memplumber --json %t.json -- %bin
 * STDOUT:     first line
 * STDOUT:     no newline at the end
 * STDOUT-RE:  \Afirst line\nno newline at the end\Z
 * EXPECT-NOT: definitely_lost
 */
#include <stdio.h>

int main(void)
{
    printf("first line\n");
    printf("no newline at the end");
    return 0;
}
