/* Module bookkeeping (see modules.h). */
#include "preload/record/modules.h"

#include <dlfcn.h>
#include <link.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common/arena.h"
#include "common/fmt.h"
#include "common/lock.h"
#include "preload/runtime/guard.h"
#include "preload/hooks/real.h"
#include "preload/record/maps.h"
#include "preload/runtime/runtime.h"

uintptr_t mp_self_text_lo, mp_self_text_hi;
uintptr_t mp_ldso_text_lo, mp_ldso_text_hi;
static uintptr_t self_data_lo, self_data_hi;

/* Which file a path named when its object was unloaded: the report reads names from the path,
 * and a plugin reloaded in place (a new build copied or moved over it, then dlopen'd again,
 * often at the same address) would lend its functions' names to the old object's frames. */
struct file_id {
    dev_t dev;
    ino_t ino;
    off_t size;
    struct timespec mtime;
    int known;
};

static void file_id_of(const char *path, struct file_id *out)
{
    struct stat st;
    out->known = stat(path, &st) == 0;
    if (!out->known)
        return;
    out->dev = st.st_dev;
    out->ino = st.st_ino;
    out->size = st.st_size;
    out->mtime = st.st_mtim;
}

static int file_id_same(const struct file_id *a, const struct file_id *b)
{
    return a->known && b->known && a->dev == b->dev && a->ino == b->ino && a->size == b->size &&
           a->mtime.tv_sec == b->mtime.tv_sec && a->mtime.tv_nsec == b->mtime.tv_nsec;
}

struct retired {
    struct mp_module m;
    struct file_id id; /* the file at m.path when the object was unloaded */
    struct retired *next;
};
static struct retired *retired_list;
static struct mp_mutex modules_lock = MP_MUTEX_INIT;

/* The object being closed, captured before dlclose: path as the loader names it (to tell whether
 * it is still loaded after), abs as the report names it (absolute_name). */
static struct {
    char path[4096], abs[4096];
    uintptr_t base, lo, hi;
    struct file_id id;
    int valid;
} closing;

static int self_cb(struct dl_phdr_info *info, size_t size, void *data)
{
    uintptr_t me = (uintptr_t)data;
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        if (ph->p_type != PT_LOAD)
            continue;
        uintptr_t lo = info->dlpi_addr + ph->p_vaddr, hi = lo + ph->p_memsz;
        if (me >= lo && me < hi) {
            for (int j = 0; j < info->dlpi_phnum; j++) {
                const ElfW(Phdr) *q = &info->dlpi_phdr[j];
                if (q->p_type != PT_LOAD)
                    continue;
                uintptr_t a = info->dlpi_addr + q->p_vaddr, b = a + q->p_memsz;
                if (q->p_flags & PF_X) {
                    mp_self_text_lo = a;
                    mp_self_text_hi = b;
                }
                if (q->p_flags & PF_W) {
                    if (!self_data_lo || a < self_data_lo)
                        self_data_lo = a;
                    if (b > self_data_hi)
                        self_data_hi = (b + 4095) & ~(uintptr_t)4095;
                }
            }
            return 1;
        }
    }
    return 0;
}

static void exec_range(struct dl_phdr_info *info, uintptr_t *lo, uintptr_t *hi);
static void find_allocator_data(void);

static int ldso_cb(struct dl_phdr_info *info, size_t size, void *data)
{
    uintptr_t pc = (uintptr_t)data, lo, hi;
    (void)size;
    exec_range(info, &lo, &hi);
    if (pc < lo || pc >= hi)
        return 0;
    mp_ldso_text_lo = lo;
    mp_ldso_text_hi = hi;
    return 1;
}

extern void *__tls_get_addr(void *); /* defined by ld.so, whatever its file name */

/* The executable's path (dl_iterate_phdr names it ""), read at start-up: after a chroot there is
 * no /proc/self/exe to read. */
static char exe[4096];
static struct timespec start_time; /* mp_modules_init: the objects mapped then were there */

static void remember_exe(void)
{
    ssize_t k = readlink("/proc/self/exe", exe, sizeof exe - 1);
    exe[k > 0 ? k : 0] = 0;
}

void mp_modules_init(void)
{
    clock_gettime(CLOCK_REALTIME, &start_time);
    remember_exe();
    dl_iterate_phdr(self_cb, (void *)(uintptr_t)mp_modules_init);
    dl_iterate_phdr(ldso_cb, (void *)(uintptr_t)__tls_get_addr);
    find_allocator_data();
}


void mp_modules_self_data(uintptr_t *lo, uintptr_t *hi)
{
    *lo = self_data_lo;
    *hi = self_data_hi;
}

static void exec_range(struct dl_phdr_info *info, uintptr_t *lo, uintptr_t *hi)
{
    *lo = UINTPTR_MAX;
    *hi = 0;
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        if (ph->p_type != PT_LOAD || !(ph->p_flags & PF_X))
            continue;
        uintptr_t a = info->dlpi_addr + ph->p_vaddr, b = a + ph->p_memsz;
        if (a < *lo)
            *lo = a;
        if (b > *hi)
            *hi = b;
    }
}

/* A module the program loaded by a relative name (dlopen("./plugin.so")): the loader keeps the
 * name as given, but the report's symbolizer opens only absolute paths, and the program may have
 * changed its directory since, or the report be rendered by the memplumber command elsewhere.
 * The kernel knows the file: the link /proc/self/map_files/LO-HI of the mapping that holds the
 * module's code. Returns buf, or name when it is absolute or cannot be resolved (a file deleted
 * since is left as named). */
static const char *absolute_name(const char *name, uintptr_t code, char *buf, size_t cap)
{
    uintptr_t lo, hi;
    char link[80];
    if (name[0] == '/' || cap < 2 || mp_maps_find(code, &lo, &hi))
        return name;
    mp_fmt(link, sizeof link, "/proc/self/map_files/%lx-%lx", (unsigned long)lo, (unsigned long)hi);
    ssize_t n = readlink(link, buf, cap - 1);
    if (n <= 0 || buf[0] != '/' || (size_t)n >= cap - 1)
        return name;
    buf[n] = 0;
    if (n > 10 && !strcmp(buf + n - 10, " (deleted)"))
        return name;
    return buf;
}

/* Where the report reads a loaded object whose path no longer names the file mapped (rebuilt or
 * replaced on disk while the program runs: a rebuild during a long test, a deploy or a package
 * upgrade under a running server; deleted; a memfd): the kernel's link to the mapped file,
 * /proc/PID/map_files/LO-HI of the mapping that holds its code, which opens that very file, from
 * this process or from the memplumber command that renders the report while it waits. Read by
 * path, the report named the old code's frames after the new file's functions. NULL when the
 * path still names the mapped file (same device and inode), or the link cannot be checked (no
 * /proc, after chroot): the path is read, as before. */
static const char *mapped_file_if_replaced(const char *path, uintptr_t code)
{
    uintptr_t lo, hi;
    char link[96];
    struct stat now, mapped;
    /* A file whose inode has not changed since before start-up (the status change time, which
     * a rename or a new file sets and no program can set back) is the one mapped: no need to
     * read /proc/self/maps, once for each object of a program with hundreds of them. */
    const int there = stat(path, &now) == 0;
    if (there && start_time.tv_sec && now.st_ctim.tv_sec < start_time.tv_sec - 1)
        return NULL;
    if (mp_maps_find(code, &lo, &hi))
        return NULL;
    mp_fmt(link, sizeof link, "/proc/%d/map_files/%lx-%lx", (int)getpid(), (unsigned long)lo,
           (unsigned long)hi);
    if (stat(link, &mapped) != 0)
        return NULL;
    if (there && now.st_dev == mapped.st_dev && now.st_ino == mapped.st_ino)
        return NULL;
    size_t n = strlen(link);
    char *p = mp_arena_alloc(n + 1);
    if (p)
        memcpy(p, link, n + 1);
    return p;
}

static int find_base_cb(struct dl_phdr_info *info, size_t size, void *data)
{
    if (info->dlpi_addr != closing.base || !info->dlpi_name)
        return 0;
    if (strcmp(info->dlpi_name, closing.path))
        return 0;
    *(int *)data = 1;
    return 1;
}

static int fill_closing_cb(struct dl_phdr_info *info, size_t size, void *data)
{
    if (info->dlpi_addr != closing.base)
        return 0;
    exec_range(info, &closing.lo, &closing.hi);
    return 1;
}

void mp_modules_before_dlclose(void *handle)
{
    struct link_map *lm = NULL;
    closing.valid = 0;
    if (!handle || dlinfo(handle, RTLD_DI_LINKMAP, &lm) || !lm || !lm->l_name || !lm->l_name[0])
        return;
    size_t n = strlen(lm->l_name);
    if (n >= sizeof closing.path)
        return;
    memcpy(closing.path, lm->l_name, n + 1);
    closing.base = lm->l_addr;
    closing.lo = closing.hi = 0;
    dl_iterate_phdr(fill_closing_cb, NULL);
    file_id_of(closing.path, &closing.id);
    closing.valid = closing.hi > closing.lo;
    const char *abs = closing.valid ? absolute_name(closing.path, closing.lo, closing.abs, sizeof closing.abs)
                                    : closing.path;
    if (abs != closing.abs)
        memcpy(closing.abs, closing.path, n + 1);
}

void mp_modules_after_dlclose(void)
{
    if (!closing.valid)
        return;
    int still = 0;
    dl_iterate_phdr(find_base_cb, &still);
    if (still)
        return;
    /* The same file unloaded again from the same place, nothing else unloaded since (a plugin
     * loaded and unloaded in a loop): the last entry stands for both, with the new generation.
     * A stack of any generation picks the same file either way, and the list no longer grows by
     * an entry per cycle (10,000 cycles: 1.3 MB of memplumber's memory that was never given
     * back). */
    mp_mutex_lock(&modules_lock);
    struct retired *head = retired_list;
    if (head && head->m.base == closing.base && head->m.lo == closing.lo &&
        head->m.hi == closing.hi && !strcmp(head->m.path, closing.abs) &&
        file_id_same(&head->id, &closing.id)) {
        __atomic_store_n(&head->m.unload_gen, __atomic_add_fetch(&mp_module_gen, 1, __ATOMIC_RELAXED),
                         __ATOMIC_RELEASE);
        mp_mutex_unlock(&modules_lock);
        return;
    }
    mp_mutex_unlock(&modules_lock);
    struct retired *r = mp_arena_alloc(sizeof *r);
    size_t n = strlen(closing.abs);
    char *path = mp_arena_alloc(n + 1);
    if (!r || !path)
        return;
    memcpy(path, closing.abs, n + 1);
    r->m.path = path;
    r->m.file = NULL; /* unloaded: no mapping to read it through */
    r->m.base = closing.base;
    r->m.lo = closing.lo;
    r->m.hi = closing.hi;
    r->m.unload_gen = __atomic_add_fetch(&mp_module_gen, 1, __ATOMIC_RELAXED);
    r->id = closing.id;
    mp_mutex_lock(&modules_lock);
    r->next = retired_list;
    /* published whole: mp_modules_reloaded_since reads the list without the lock */
    __atomic_store_n(&retired_list, r, __ATOMIC_RELEASE);
    mp_mutex_unlock(&modules_lock);
}

/* The file that holds the code at addr now, by the loader's lock-free lookup (no malloc, no
 * lock: called from allocation hooks). */
static void current_file_id(uintptr_t addr, struct file_id *out)
{
    out->known = 0;
#ifdef DLFO_STRUCT_HAS_EH_DBASE
    struct dl_find_object fo;
    if (_dl_find_object((void *)addr, &fo) == 0 && fo.dlfo_link_map && fo.dlfo_link_map->l_name &&
        fo.dlfo_link_map->l_name[0])
        file_id_of(fo.dlfo_link_map->l_name, out);
#else
    (void)addr;
#endif
}

int mp_modules_reloaded_since(const uintptr_t *pcs, uint32_t n, uint32_t gen)
{
    struct retired *head = __atomic_load_n(&retired_list, __ATOMIC_ACQUIRE);
    if (!head || head->m.unload_gen <= gen)
        return 0;
    for (uint32_t i = 0; i < n; i++) {
        uintptr_t pc = pcs[i] ? pcs[i] - 1 : 0;
        /* the list is newest first: the object that held pc last, unloaded since gen */
        const struct retired *last = NULL;
        for (const struct retired *r = head; r && r->m.unload_gen > gen && !last; r = r->next)
            if (pc >= r->m.lo && pc < r->m.hi)
                last = r;
        if (!last)
            continue;
        struct file_id now;
        current_file_id(pc, &now);
        if (!file_id_same(&last->id, &now))
            return 1;
    }
    return 0;
}

struct collect {
    struct mp_module *out;
    size_t n, cap;
};

static int collect_cb(struct dl_phdr_info *info, size_t size, void *data)
{
    struct collect *c = data;
    if (c->n >= c->cap)
        return 1;
    struct mp_module *m = &c->out[c->n];
    exec_range(info, &m->lo, &m->hi);
    if (m->hi <= m->lo)
        return 0;
    const char *name = info->dlpi_name;
    if (!name || !name[0]) {
        if (!exe[0])
            remember_exe();
        name = exe;
    }
    if (strstr(name, "linux-vdso") || !strncmp(name, "[vdso]", 6))
        return 0;
    if (name[0] != '/') {
        char *buf = mp_arena_alloc(4096);
        if (buf)
            name = absolute_name(name, m->lo, buf, 4096);
    }
    size_t len = strlen(name);
    char *p = mp_arena_alloc(len + 1);
    if (!p)
        return 1;
    memcpy(p, name, len + 1);
    m->path = p;
    m->file = name[0] == '/' ? mapped_file_if_replaced(name, m->lo) : NULL;
    m->base = info->dlpi_addr;
    m->unload_gen = 0;
    c->n++;
    return 0;
}

size_t mp_modules_collect(struct mp_module **out)
{
    size_t cap = 4096;
    struct collect c = {mp_pages_alloc(cap * sizeof(struct mp_module)), 0, cap};
    if (!c.out) {
        *out = NULL;
        return 0;
    }
    dl_iterate_phdr(collect_cb, &c);
    mp_mutex_lock(&modules_lock);
    for (struct retired *r = __atomic_load_n(&retired_list, __ATOMIC_ACQUIRE); r && c.n < cap; r = r->next) {
        /* A file no longer the one unloaded (replaced or gone): no names from it, as valgrind
         * (its frames show as ???), rather than another build's. */
        struct file_id now;
        file_id_of(r->m.path, &now);
        c.out[c.n] = r->m;
        if (!file_id_same(&r->id, &now))
            c.out[c.n].path = "";
        c.n++;
    }
    mp_mutex_unlock(&modules_lock);
    *out = c.out;
    return c.n;
}

struct alloc_find {
    uintptr_t base;
    uintptr_t lo, hi;
};

static int alloc_cb(struct dl_phdr_info *info, size_t size, void *data)
{
    struct alloc_find *f = data;
    if (info->dlpi_addr != f->base)
        return 0;
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        if (ph->p_type != PT_LOAD || !(ph->p_flags & PF_W))
            continue;
        uintptr_t a = info->dlpi_addr + ph->p_vaddr, b = a + ph->p_memsz;
        b = (b + 4095) & ~(uintptr_t)4095;
        if (!f->lo || a < f->lo)
            f->lo = a;
        if (b > f->hi)
            f->hi = b;
    }
    return 1;
}

/* Found once, at start-up: the scan asks for it while the other threads are stopped, and dladdr
 * and dl_iterate_phdr take the loader's locks, which a stopped thread may hold (one inside dlopen,
 * or walking the loaded objects to throw a C++ exception): the exit report then waited forever.
 * The object that defines the real malloc is loaded before the program starts and never
 * unloaded. */
static uintptr_t alloc_data_lo, alloc_data_hi;

static void find_allocator_data(void)
{
    struct alloc_find f = {0, 0, 0};
    Dl_info di;
    if (!mp_real.malloc || !dladdr((void *)mp_real.malloc, &di) || !di.dli_fbase)
        return;
    f.base = (uintptr_t)di.dli_fbase;
    /* dlpi_addr is the load bias; for a shared object it equals the base address. */
    dl_iterate_phdr(alloc_cb, &f);
    alloc_data_lo = f.lo;
    alloc_data_hi = f.hi;
}

void mp_modules_allocator_data(uintptr_t *lo, uintptr_t *hi)
{
    *lo = alloc_data_lo;
    *hi = alloc_data_hi;
}
