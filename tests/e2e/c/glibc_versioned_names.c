/* glibc functions exported under a symbol version, beside an older one (realpath@@GLIBC_2.3,
 * fclose@@GLIBC_2.2.5, glob@@GLIBC_2.27 with its alias glob64), are named in stacks as valgrind
 * names them: the version's dots do not make a compiler clone (foo.isra.0), whose DWARF name
 * would be taken instead (__GI___realpath, _IO_new_fclose, __glob); among aliases of one rank
 * the shorter name wins, as in valgrind.
 * RUN:        %memplumber --json %t.json -- %bin
 * EXPECT:     definitely_lost bytes=2 blocks=1 frame0=strdup frame2=realpath@@GLIBC_2.3 frame3=resolve
 * EXPECT:     definitely_lost bytes=11 blocks=1 allocator=realloc frame0=_IO_mem_finish frame1=fclose@@GLIBC_2.2.5 frame2=build_text
 * EXPECT:     definitely_lost frame0=glob_in_dir frame1=glob@@GLIBC_2.27 frame2=list_files
 * EXPECT:     summary.definitely_lost.blocks=3
 */
#define _GNU_SOURCE
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>

#define NOINLINE __attribute__((noinline))
#define USE(p) __asm__ volatile("" : : "r"(p) : "memory")

NOINLINE static void scrub_stack(void)
{
    volatile char junk[4096];
    for (size_t i = 0; i < sizeof junk; i++)
        junk[i] = 0;
}

NOINLINE int resolve(void)
{
    char *p = realpath("/", NULL);
    USE(p);
    return p != NULL;
}

NOINLINE size_t build_text(void)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    fprintf(f, "0123456789");
    fclose(f);
    USE(buf);
    return len;
}

NOINLINE size_t list_files(void)
{
    glob_t g;
    if (glob("/", 0, NULL, &g))
        return 0;
    USE(g.gl_pathv);
    return g.gl_pathc;
}

int main(void)
{
    int ok = resolve();
    size_t n = build_text();
    size_t m = list_files();
    scrub_stack();
    printf("%d %zu %zu\n", ok, n, m);
    return 0;
}
