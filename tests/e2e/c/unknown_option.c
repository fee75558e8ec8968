/* An unknown option stops memplumber before it runs the program: non-zero status, a message
 * naming the option, and the program's side effect (creating the file named by argv[1]) absent.
 * VALGRIND:   skip memplumber's own option parsing
 * RUN:        %memplumber --no-such-option=1 --json %t.json -- %bin %t.side
 * EXIT:       nonzero
 * STDERR:     no-such-option
 * FILE-NOT-EXISTS: %t.side
 * FILE-NOT-EXISTS: %t.json
 */
#include <stdio.h>

int main(int argc, char **argv)
{
    if (argc > 1) {
        FILE *f = fopen(argv[1], "w");
        if (f)
            fclose(f);
    }
    return 0;
}
