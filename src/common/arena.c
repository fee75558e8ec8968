/* mmap-backed memory for tool data (see arena.h). Mappings are recorded in a small registry so
 * that the leak scan can tell tool memory from the program's own anonymous mappings. */
#include "common/arena.h"

#include <stdint.h>
#include <sys/mman.h>

#include <sys/syscall.h>
#include <unistd.h>

#include "common/lock.h"

/* Raw syscalls: the preload library interposes mmap/munmap to learn the program's own mappings,
 * and tool memory must not show up there. */
static void *sys_mmap(size_t len, int extra_flags)
{
    long r = syscall(SYS_mmap, 0, len, PROT_READ | PROT_WRITE,
                     MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | extra_flags, -1, 0);
    return (r < 0 && r > -4096) ? MAP_FAILED : (void *)r;
}

#define CHUNK (1u << 20)

static struct mp_mutex arena_lock = MP_MUTEX_INIT;
static char *chunk_cur;     /* bump pointer region [chunk_cur, chunk_end) */
static char *chunk_end;
static size_t mapped;

/* Registry of tool mappings, so the scan can leave them out of the roots. Slots with len 0 are
 * free. Guarded by reg_lock. */
#define MAX_REG 32768
static struct {
    uintptr_t p;
    size_t len;
} reg[MAX_REG];
static size_t nreg;
static struct mp_mutex reg_lock = MP_MUTEX_INIT;

static void reg_add(void *p, size_t len)
{
    mp_mutex_lock(&reg_lock);
    for (size_t i = 0; i < nreg; i++)
        if (!reg[i].len) {
            reg[i].p = (uintptr_t)p;
            reg[i].len = len;
            mp_mutex_unlock(&reg_lock);
            return;
        }
    if (nreg < MAX_REG) {
        reg[nreg].p = (uintptr_t)p;
        reg[nreg].len = len;
        nreg++;
    }
    mp_mutex_unlock(&reg_lock);
}

static void reg_del(void *p)
{
    mp_mutex_lock(&reg_lock);
    for (size_t i = 0; i < nreg; i++)
        if (reg[i].p == (uintptr_t)p) {
            reg[i].len = 0;
            break;
        }
    mp_mutex_unlock(&reg_lock);
}

void mp_arena_foreach_mapping(void (*fn)(uintptr_t lo, uintptr_t hi))
{
    for (size_t i = 0; i < nreg; i++)
        if (reg[i].len)
            fn(reg[i].p, reg[i].p + reg[i].len);
}

static void *pages_alloc(size_t len, int extra_flags)
{
    if (len > SIZE_MAX - 4095)
        return NULL;
    len = (len + 4095) & ~(size_t)4095;
    void *p = sys_mmap(len, extra_flags);
    if (p == MAP_FAILED)
        return NULL;

    __atomic_add_fetch(&mapped, len, __ATOMIC_RELAXED);
    reg_add(p, len);
    return p;
}

void *mp_pages_alloc(size_t len) { return pages_alloc(len, 0); }

/* One syscall maps and faults in every page: a table about to be filled all over would
 * otherwise take two faults per page (a read maps the zero page, the first write copies it). */
void *mp_pages_alloc_filled(size_t len) { return pages_alloc(len, MAP_POPULATE); }

void mp_pages_free(void *p, size_t len)
{
    if (!p)
        return;
    len = (len + 4095) & ~(size_t)4095;
    reg_del(p);
    syscall(SYS_munmap, p, len);
    __atomic_sub_fetch(&mapped, len, __ATOMIC_RELAXED);
}

void *mp_arena_alloc(size_t n)
{
    if (n > CHUNK / 4)
        return mp_pages_alloc(n);
    n = (n + 7) & ~(size_t)7;
    mp_mutex_lock(&arena_lock);
    if ((size_t)(chunk_end - chunk_cur) < n) {
        char *c = mp_pages_alloc(CHUNK);
        if (!c) {
            mp_mutex_unlock(&arena_lock);
            return NULL;
        }
        chunk_cur = c;
        chunk_end = c + CHUNK;
    }
    void *p = chunk_cur;
    chunk_cur += n;
    mp_mutex_unlock(&arena_lock);
    return p;
}

size_t mp_arena_mapped_bytes(void) { return __atomic_load_n(&mapped, __ATOMIC_RELAXED); }

void mp_arena_child_after_fork(void)
{
    mp_mutex_init(&arena_lock);
    mp_mutex_init(&reg_lock);
}
