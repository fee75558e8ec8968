/* A library's destructor, run by dlclose (with ld.so's loader lock held), frees a block twice.
 * memplumber records the error there and writes it later, outside the loader: after dlclose has
 * returned (here at the program's next allocation), never from inside the destructor. The record
 * names the destructor's frames in the library, which is gone by then.
 * BUILD-SO:   error_dlclose_dtor_lib.c
 * RUN:        %memplumber --json %t.json -- %bin %so
 * EXIT:       0
 * STDOUT:     reached the end
 * STDERR-RE:  dlclose returned\n(.*\n)*.*Invalid free\(\) / delete / delete\[\] / realloc\(\)(.*\n)+after the next allocation
 * STDERR-RE:  ERROR SUMMARY: 1 errors from 1 contexts
 * EXPECT:     error: double_free count=1 frame0=lib_second_free file=error_dlclose_dtor_lib.c free_frame0=lib_first_free alloc_frame0=lib_make
 * EXPECT-NOT: error: invalid_free
 */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv)
{
    if (argc < 2)
        return 2;
    void *h = dlopen(argv[1], RTLD_NOW);
    if (!h) {
        fprintf(stderr, "dlopen: %s\n", dlerror());
        return 2;
    }
    void (*make)(void) = (void (*)(void))dlsym(h, "lib_make");
    make();
    dlclose(h);
    fputs("dlclose returned\n", stderr);
    char *p = malloc(8); /* the next allocation: a safe point */
    memset(p, 0, 8);
    __asm__ volatile("" : : "r"(p) : "memory");
    free(p);
    fputs("after the next allocation\n", stderr);
    printf("reached the end\n");
    return 0;
}
