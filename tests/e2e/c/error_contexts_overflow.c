/* 5,000 double frees, each from a call site of its own (5,000 error contexts): more than the
 * 4,096 contexts memplumber keeps records of. The first 4,096 are shown, one line says that later
 * ones are only counted, and every error is counted: 5,000 in the ERROR SUMMARY and the JSON
 * summary, and --error-exitcode acts. (valgrind stops showing new contexts after 1,000 and its
 * counts become inaccurate, so it is no reference here.)
 * VALGRIND:   skip valgrind caps error contexts at 1,000
 * TIMEOUT:    240
 * RUN:        %memplumber --error-exitcode=9 --json %t.json -- %bin
 * EXIT:       9
 * STDOUT:     reached the end
 * STDERR:     more than 4096 different heap errors
 * STDERR:     ERROR SUMMARY: 5000 errors from 4096 contexts
 * EXPECT:     error: double_free count=1
 * EXPECT-NOT: error: invalid_free
 */
#include <stdio.h>
#include <stdlib.h>

#define SITE()                                                                                 \
    do {                                                                                       \
        char *volatile p_ = malloc(8);                                                         \
        free(p_);                                                                              \
        free(p_);                                                                              \
    } while (0)
#define S10() SITE(); SITE(); SITE(); SITE(); SITE(); SITE(); SITE(); SITE(); SITE(); SITE()
#define S100() S10(); S10(); S10(); S10(); S10(); S10(); S10(); S10(); S10(); S10()
#define S1000() S100(); S100(); S100(); S100(); S100(); S100(); S100(); S100(); S100(); S100()

__attribute__((noinline)) static void sites(void)
{
    S1000(); S1000(); S1000(); S1000(); S1000();
}

int main(void)
{
    sites();
    printf("reached the end\n");
    return 0;
}
