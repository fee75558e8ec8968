/* The layout of a pre-C++11 (copy-on-write) std::string: {length, capacity, refcount} then the
 * characters, with only a pointer to the characters kept. valgrind's "stdstring" heuristic counts
 * it as still reachable when capacity + 1 + 24 is the block size and length <= capacity.
 * RUN:        %memplumber --json %t.json -- %bin
 * EXPECT:     still_reachable bytes=73 blocks=1 frame0=cow_string file=heuristic_stdstring.c
 * EXPECT-NOT: possibly_lost
 * EXPECT-NOT: definitely_lost
 */
#include <stdlib.h>
#include <string.h>

#define NOINLINE __attribute__((noinline))

struct rep {
    size_t length, capacity;
    int refcount;
};

char *volatile g_chars;

NOINLINE static void scrub_stack(void)
{
    volatile char junk[4096];
    for (size_t i = 0; i < sizeof junk; i++)
        junk[i] = 0;
}

NOINLINE char *cow_string(const char *s, size_t capacity)
{
    char *block = malloc(sizeof(struct rep) + capacity + 1);
    struct rep *r = (struct rep *)block;
    r->length = strlen(s);
    r->capacity = capacity;
    r->refcount = 0;
    char *chars = block + sizeof(struct rep);
    memcpy(chars, s, r->length + 1);
    return chars;
}

int main(void)
{
    g_chars = cow_string("a string that lives in a copy-on-write rep", 48);
    scrub_stack();
    return g_chars[0] == 'a' ? 0 : 1;
}
