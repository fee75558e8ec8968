/* A malformed suppression file stops memplumber before the program runs: exit status 2 and a
 * message naming file:line, from the command and from the library alone (MEMPLUMBER_OPTIONS);
 * the program's side effect (creating the file named by argv[1]) never happens.
 * VALGRIND:   skip memplumber's own suppression parsing
 * RUN:        printf '{\n  my_leak\n  Memcheck:Leak\n  fun:malloc\n  fn:main\n}\n' > %t.bad.supp
 * RUN:        %memplumber --suppressions=%t.bad.supp --json %t.json -- %bin %t.side
 * EXIT:       2
 * STDERR-RE:  (?m)^memplumber: error: /\S+t\.bad\.supp:5: unknown frame kind 'fn:'; expected fun:, obj:, src: or \.\.\.$
 * STDERR-NOT: fix the file or the suppressions option
 * FILE-NOT-EXISTS: %t.side
 * FILE-NOT-EXISTS: %t.json
 * RUN:        LD_PRELOAD=%lib MEMPLUMBER_OPTIONS=suppressions=%t.bad.supp %bin %t.side2
 * EXIT:       2
 * STDERR:     t.bad.supp:5: unknown frame kind 'fn:'; expected fun:, obj:, src: or ...
 * STDERR:     memplumber: the program was not started; fix the file or the suppressions option
 * FILE-NOT-EXISTS: %t.side2
 * RUN:        printf '{\n  unclosed\n  Memcheck:Leak\n  match-leak-kinds: bogus\n' > %t.open.supp
 * RUN:        LD_PRELOAD=%lib MEMPLUMBER_OPTIONS=suppressions=%t.open.supp %bin %t.side3
 * EXIT:       2
 * STDERR:     t.open.supp:4: match-leak-kinds: unknown leak kind 'bogus'; expected definite, indirect, possible, reachable, all or none
 * FILE-NOT-EXISTS: %t.side3
 * RUN:        printf '{\n  unclosed\n  Memcheck:Leak\n  fun:malloc\n' > %t.open.supp
 * RUN:        %memplumber --suppressions=%t.open.supp -- %bin %t.side4
 * EXIT:       2
 * STDERR:     t.open.supp:1: '{' without a matching '}'
 * FILE-NOT-EXISTS: %t.side4
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
