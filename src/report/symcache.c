/* Symbol cache (see symcache.h). File format, text:
 *   memplumber symbol cache 3 <debug file size> <mtime seconds> <mtime nanoseconds>
 *   @<offset, hex> <frame count>
 *   <inlined 0|1>\t<line>\t<function>\t<file>      (one line per frame, innermost first)
 * A string field is empty when unknown, else '=' then the string. Anything unexpected in a file
 * discards the whole file (it is rewritten at the end of the report). */
#include "report/symcache.h"
#include "common/containers.h"

#include <elfutils/libdwelf.h>
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_FILE (64u << 20)
#define MAGIC "memplumber symbol cache 3" /* 3: versioned names (realpath@@GLIBC_2.3) */

struct entry {
    uint64_t offset;
    uint32_t first, n;
};

struct mp_symcache {
    char *path;                 /* the cache file */
    char stamp[96];             /* "<size> <sec> <nsec>" of the debug file */
    struct entry *entries;
    size_t nentries, capentries;
    struct mp_symcache_frame *frames;
    size_t nframes, capframes;
    struct u64map index;        /* key_of(offset) -> entry index */
    char **strs;                /* every string copy, freed at close */
    size_t nstrs, capstrs;
    int dirty;
    unsigned long hits, misses;
};

/* Index key of an offset: nonzero (the map's empty key is 0). */
static uint64_t key_of(uint64_t offset) { return offset + 1; }

static const struct entry *find(const struct mp_symcache *c, uint64_t offset)
{
    uint64_t idx;
    return map_get(&c->index, key_of(offset), &idx) ? &c->entries[idx] : NULL;
}

static const char *save(struct mp_symcache *c, const char *s, size_t len)
{
    if (grow((void **)&c->strs, &c->capstrs, c->nstrs + 1, sizeof *c->strs))
        return NULL;
    char *d = malloc(len + 1);
    if (!d)
        return NULL;
    memcpy(d, s, len);
    d[len] = 0;
    c->strs[c->nstrs++] = d;
    return d;
}

/* Adds an entry whose frames are already appended at frames[first..nframes). */
static int add_entry(struct mp_symcache *c, uint64_t offset, size_t first)
{
    if (grow((void **)&c->entries, &c->capentries, c->nentries + 1, sizeof *c->entries))
        return -1;
    c->entries[c->nentries] = (struct entry){offset, (uint32_t)first,
                                             (uint32_t)(c->nframes - first)};
    if (map_put(&c->index, key_of(offset), c->nentries))
        return -1;
    c->nentries++;
    return 0;
}

/* A string field: "" = unknown, "=text" = text. */
static int parse_field(struct mp_symcache *c, const char *s, size_t len, const char **out)
{
    if (len == 0) {
        *out = NULL;
        return 0;
    }
    if (s[0] != '=')
        return -1;
    *out = save(c, s + 1, len - 1);
    return *out ? 0 : -1;
}

static int parse_frame(struct mp_symcache *c, const char *line, const char *end)
{
    const char *f[4];
    size_t len[4];
    const char *p = line;
    for (int k = 0; k < 4; k++) {
        const char *t = k < 3 ? memchr(p, '\t', (size_t)(end - p)) : end;
        if (!t)
            return -1;
        f[k] = p;
        len[k] = (size_t)(t - p);
        p = t + 1;
    }
    if (len[0] != 1 || (f[0][0] != '0' && f[0][0] != '1'))
        return -1;
    char *e;
    unsigned long ln = strtoul(f[1], &e, 10);
    if (e != f[1] + len[1] || len[1] == 0 || ln > 0xffffffffUL)
        return -1;
    struct mp_symcache_frame fr = {NULL, NULL, (unsigned)ln, f[0][0] == '1'};
    if (parse_field(c, f[2], len[2], &fr.function) || parse_field(c, f[3], len[3], &fr.file))
        return -1;
    if (grow((void **)&c->frames, &c->capframes, c->nframes + 1, sizeof *c->frames))
        return -1;
    c->frames[c->nframes++] = fr;
    return 0;
}

/* Parses a whole file; -1 if anything is off (the caller then drops what was read). */
static int parse(struct mp_symcache *c, const char *buf, size_t size)
{
    const char *p = buf, *end = buf + size;
    const char *nl = memchr(p, '\n', size);
    size_t mlen = strlen(MAGIC), slen = strlen(c->stamp);
    if (!nl || (size_t)(nl - p) != mlen + 1 + slen || memcmp(p, MAGIC, mlen) || p[mlen] != ' ' ||
        memcmp(p + mlen + 1, c->stamp, slen))
        return -1; /* another format, or the debug file changed since */
    p = nl + 1;
    while (p < end) {
        nl = memchr(p, '\n', (size_t)(end - p));
        if (!nl || *p != '@')
            return -1;
        char *e;
        uint64_t offset = strtoull(p + 1, &e, 16);
        if (*e != ' ')
            return -1;
        unsigned long n = strtoul(e + 1, &e, 10);
        if (e != nl || n == 0 || n > 256 || find(c, offset))
            return -1;
        p = nl + 1;
        size_t first = c->nframes;
        for (unsigned long k = 0; k < n; k++) {
            nl = p < end ? memchr(p, '\n', (size_t)(end - p)) : NULL;
            if (!nl || parse_frame(c, p, nl))
                return -1;
            p = nl + 1;
        }
        if (add_entry(c, offset, first))
            return -1;
    }
    return 0;
}

static void load(struct mp_symcache *c)
{
    int fd = open(c->path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return;
    struct stat st;
    char *buf = NULL;
    if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0 &&
        (size_t)st.st_size <= MAX_FILE && (buf = malloc((size_t)st.st_size))) {
        size_t got = 0;
        while (got < (size_t)st.st_size) {
            ssize_t r = read(fd, buf + got, (size_t)st.st_size - got);
            if (r < 0 && errno == EINTR)
                continue;
            if (r <= 0)
                break;
            got += (size_t)r;
        }
        if (got != (size_t)st.st_size || parse(c, buf, got)) {
            c->nentries = c->nframes = 0; /* strings stay until close; the index is cleared */
            map_free(&c->index);
        }
    }
    free(buf);
    close(fd);
}

/* The build-id of the ELF file at path, as lowercase hex; 0 if none. */
static int build_id_hex(const char *path, char *out, size_t outlen)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return 0;
    int ok = 0;
    elf_version(EV_CURRENT);
    Elf *elf = elf_begin(fd, ELF_C_READ_MMAP, NULL);
    if (elf) {
        const void *id = NULL;
        ssize_t len = dwelf_elf_gnu_build_id(elf, &id);
        if (len >= 4 && (size_t)len * 2 + 1 <= outlen) {
            for (ssize_t i = 0; i < len; i++)
                snprintf(out + 2 * i, 3, "%02x", ((const unsigned char *)id)[i]);
            ok = 1;
        }
        elf_end(elf);
    }
    close(fd);
    return ok;
}

struct mp_symcache *mp_symcache_open(const char *dir, const char *elf_path)
{
    if (!dir || !*dir || !elf_path || elf_path[0] != '/')
        return NULL;
    char id[129];
    if (!build_id_hex(elf_path, id, sizeof id))
        return NULL;
    /* Only modules whose debug information is a separate file: the costly kind, and one that
     * changes only when a package does (a program being rebuilt gets a new build-id each time,
     * which would fill the directory). */
    char dbg[300];
    snprintf(dbg, sizeof dbg, "/usr/lib/debug/.build-id/%.2s/%s.debug", id, id + 2);
    struct stat st;
    if (stat(dbg, &st) != 0 || !S_ISREG(st.st_mode))
        return NULL;
    struct mp_symcache *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    snprintf(c->stamp, sizeof c->stamp, "%lld %lld %ld", (long long)st.st_size,
             (long long)st.st_mtim.tv_sec, (long)st.st_mtim.tv_nsec);
    size_t plen = strlen(dir) + strlen(id) + 8;
    c->path = malloc(plen);
    if (!c->path) {
        free(c);
        return NULL;
    }
    snprintf(c->path, plen, "%s/%s.sym", dir, id);
    load(c);
    return c;
}

int mp_symcache_get(struct mp_symcache *c, uint64_t offset, const struct mp_symcache_frame **out)
{
    const struct entry *e = c ? find(c, offset) : NULL;
    if (!e) {
        if (c)
            c->misses++;
        return 0;
    }
    c->hits++;
    *out = &c->frames[e->first];
    return (int)e->n;
}

static int storable(const char *s)
{
    return !s || !strpbrk(s, "\t\n");
}

void mp_symcache_put(struct mp_symcache *c, uint64_t offset, const struct mp_symcache_frame *f,
                     int n)
{
    if (!c || n <= 0 || n > 256 || find(c, offset))
        return;
    for (int k = 0; k < n; k++)
        if (!storable(f[k].function) || !storable(f[k].file))
            return;
    size_t first = c->nframes;
    for (int k = 0; k < n; k++) {
        struct mp_symcache_frame fr = f[k];
        if ((fr.function && !(fr.function = save(c, fr.function, strlen(fr.function)))) ||
            (fr.file && !(fr.file = save(c, fr.file, strlen(fr.file)))) ||
            grow((void **)&c->frames, &c->capframes, c->nframes + 1, sizeof *c->frames)) {
            c->nframes = first;
            return;
        }
        c->frames[c->nframes++] = fr;
    }
    if (add_entry(c, offset, first)) {
        c->nframes = first;
        return;
    }
    c->dirty = 1;
}

void mp_symcache_counts(const struct mp_symcache *c, unsigned long *hits, unsigned long *misses)
{
    *hits = c ? c->hits : 0;
    *misses = c ? c->misses : 0;
}

/* mkdir -p for the cache directory (the last component included), mode 0700. */
static int make_dirs(const char *file)
{
    char buf[4096];
    size_t len = strlen(file);
    if (len >= sizeof buf)
        return -1;
    memcpy(buf, file, len + 1);
    char *slash = strrchr(buf, '/');
    if (!slash || slash == buf)
        return 0;
    *slash = 0;
    for (char *p = buf + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = 0;
        if (mkdir(buf, 0700) != 0 && errno != EEXIST)
            return -1;
        *p = '/';
    }
    return mkdir(buf, 0700) != 0 && errno != EEXIST ? -1 : 0;
}

static void put_field(FILE *f, const char *s)
{
    if (s) {
        fputc('=', f);
        fputs(s, f);
    }
}

static void save_file(struct mp_symcache *c)
{
    if (make_dirs(c->path))
        return;
    size_t tlen = strlen(c->path) + 32;
    char *tmp = malloc(tlen);
    if (!tmp)
        return;
    snprintf(tmp, tlen, "%s.%d.tmp", c->path, (int)getpid());
    int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
    if (!f) {
        if (fd >= 0)
            close(fd);
        free(tmp);
        return;
    }
    fprintf(f, "%s %s\n", MAGIC, c->stamp);
    for (size_t i = 0; i < c->nentries; i++) {
        const struct entry *e = &c->entries[i];
        fprintf(f, "@%llx %u\n", (unsigned long long)e->offset, e->n);
        for (uint32_t k = 0; k < e->n; k++) {
            const struct mp_symcache_frame *fr = &c->frames[e->first + k];
            fprintf(f, "%d\t%u\t", fr->inlined ? 1 : 0, fr->line);
            put_field(f, fr->function);
            fputc('\t', f);
            put_field(f, fr->file);
            fputc('\n', f);
        }
    }
    int bad = ferror(f);
    if (fclose(f) != 0)
        bad = 1;
    if (bad || rename(tmp, c->path) != 0)
        unlink(tmp);
    free(tmp);
}

void mp_symcache_close(struct mp_symcache *c)
{
    if (!c)
        return;
    if (c->dirty)
        save_file(c);
    for (size_t i = 0; i < c->nstrs; i++)
        free(c->strs[i]);
    free(c->strs);
    free(c->entries);
    free(c->frames);
    map_free(&c->index);
    free(c->path);
    free(c);
}
