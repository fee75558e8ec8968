/* Symbolizer (see symbolize.h): return address -> frames with libdwfl/libdw.
 * Per module: one Dwfl opened on first use (dwfl_report_elf at the load bias); CUs found by
 * dwfl_module_addrdie, else by our own CU range table (clang emits no .debug_aranges); function
 * symbols in our own sorted table (dwfl_module_addrinfo scans the whole symtab per call).
 * Per CU: every function and inlined instance with code, indexed by one walk of its DIE tree (the
 * .dwo unit for split DWARF), so an address costs a few binary searches, not a dwarf_getscopes
 * walk of the CU. Per (address, module): the frames, cached. Strings point into libdw/libelf data
 * (valid while the Dwfl lives) or our arena (demangled names, comp_dir-joined paths).
 * Single-threaded, malloc-based; libdw keeps the module files open until mp_symbolize_close. */
#include "report/symbolize.h"
#include "common/containers.h"
#include "report/symcache.h"

#include <dlfcn.h>
#include <dwarf.h>
#include <elfutils/libdw.h>
#include <elfutils/libdwelf.h>
#include <elfutils/libdwfl.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <unistd.h>
#include <stdlib.h>
#include <string.h>

#define NO_OBJ UINT32_MAX
#define MAX_INLINE_DEPTH 64
#define MAX_DIE_DEPTH 256

/* ---- data ---- */

/* Per compile unit: functions (DW_TAG_subprogram with code) and inlined instances as a tree.
 * ranges[] is sorted by (parent, lo): the children of node k are ranges[cbeg, cend), the real
 * functions (parent -1) are ranges[top_beg, top_end). */
struct cu_node {
    Dwarf_Die die;
    int32_t parent;
    uint32_t cbeg, cend;
};

struct cu_range {
    Dwarf_Addr lo, hi;
    uint32_t node;
    int32_t parent;
};

struct cu_index {
    Dwarf_Die cudie;
    struct cu_node *nodes;
    size_t nnodes, capnodes;
    struct cu_range *ranges;
    size_t nranges, capranges;
    uint32_t top_beg, top_end;
};

struct cu_span {
    Dwarf_Addr lo, hi;
    Dwarf_Die cudie;
};

/* A function symbol, at its address in the process. */
struct sym_entry {
    uintptr_t addr, size;
    const char *name;
    unsigned rank;          /* lower is preferred among aliases: fewer leading '_', then binding */
};

/* One ELF file at one load bias (the model may list the same one several times). */
struct sym_object {
    const char *path;
    const char *file;       /* the file to read, when not path (struct mp_module) */
    uintptr_t base;
    int state;              /* 0 not opened yet, 1 usable, -1 failed */
    Dwfl *dwfl;
    Dwfl_Module *mod;
    struct u64map cus;      /* CU DIE address -> struct cu_index * */
    /* Function symbols sorted by address, loaded on first need. dwfl_module_addrinfo scans the
     * whole symbol table on every call, which dominated reports with many unsymbolized PCs. */
    struct sym_entry *syms;
    size_t nsyms;
    int syms_loaded;
    /* Address ranges of every CU, for DWARF without .debug_aranges (clang's default), where
     * dwfl_module_addrdie finds nothing. Built on first need. */
    struct cu_span *spans;
    size_t nspans;
    int spans_loaded;
    Dwarf_Addr dwbias;
    struct mp_symcache *cache;  /* frames kept on disk between runs (separate debug files only) */
    int cache_state;            /* 0 not looked at yet, 1 looked at (cache may still be NULL) */
};

/* The model's modules, sorted by lo, for address -> module. */
struct mod_entry {
    uintptr_t lo, hi;
    uint32_t unload_gen;
    uint32_t obj;
    uint32_t model_idx;
};

/* Cached frames of one (address, object): s->frames[first, first + n). n == 0: empty slot. */
struct pc_entry {
    uintptr_t addr;
    uint32_t obj, first, n;
};

struct str_chunk {
    struct str_chunk *next;
    size_t used, cap;
    char data[];
};

typedef char *(*demangle_fn)(const char *, char *, size_t *, int *);
static demangle_fn mp_symbolize_demangler(void);

struct mp_symbolizer {
    struct sym_object *objs;
    size_t nobjs;
    struct mod_entry *mods;
    size_t nmods;
    uintptr_t maxspan;      /* largest hi - lo: bounds the backward scan in pick_entry */

    struct pc_entry *pcs;
    size_t npcs, cappcs;
    struct mp_frame *frames;
    size_t nframes, capframes;

    struct u64map demangled;    /* mangled name pointer -> demangled copy */
    struct u64map joined;       /* relative file name pointer -> comp_dir/name copy */
    struct str_chunk *strs;
    demangle_fn demangle;
    int show_below_main;
    const char *cache_dir;      /* symbol cache directory; NULL = off */
};

/* Separate debug files are looked for on this machine only, where gdb and valgrind look: by
 * build ID under /usr/lib/debug/.build-id, then by .gnu_debuglink next to the object, in .debug/
 * there and under /usr/lib/debug (a file found by its debug link must carry the object's build
 * ID), and a dwz file named by an absolute .gnu_debugaltlink. Not dwfl_standard_find_debuginfo:
 * when it finds nothing it asks libdebuginfod, which loads libcurl and its TLS and SSH libraries
 * into the observed program at its exit; their symbols bind to the program's own exports where
 * it has them (node exports OpenSSL's, torn down by then: SIGSEGV after the report), and with
 * DEBUGINFOD_URLS set every exit would wait for servers on the network. */
#define DEBUG_ROOT "/usr/lib/debug"

static int open_debug_candidate(const char *path, const unsigned char *id, int id_len, char **name)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    if (id) {
        /* the file a debug link names may belong to another build: its build ID must match */
        int ok = 0;
        Elf *elf = elf_begin(fd, ELF_C_READ_MMAP, NULL);
        if (elf) {
            const void *fid;
            ssize_t n = dwelf_elf_gnu_build_id(elf, &fid);
            ok = n == id_len && memcmp(fid, id, (size_t)n) == 0;
            elf_end(elf);
        }
        if (!ok) {
            close(fd);
            return -1;
        }
    }
    *name = strdup(path);
    return fd;
}

static int find_debuginfo_local(Dwfl_Module *mod, void **userdata, const char *modname,
                                Dwarf_Addr base, const char *file_name, const char *debuglink_file,
                                GElf_Word debuglink_crc, char **debuginfo_file_name)
{
    (void)userdata, (void)modname, (void)base, (void)debuglink_crc;
    const unsigned char *id = NULL;
    GElf_Addr id_vaddr;
    int id_len = dwfl_module_build_id(mod, &id, &id_vaddr);
    char path[PATH_MAX];
    if (debuglink_file && debuglink_file[0] == '/')   /* a dwz file (.gnu_debugaltlink) */
        return open_debug_candidate(debuglink_file, NULL, 0, debuginfo_file_name);
    if (id_len > 1 && id_len <= 64) {
        int at = snprintf(path, sizeof path, DEBUG_ROOT "/.build-id/%02x/", id[0]);
        for (int i = 1; i < id_len; i++)
            at += snprintf(path + at, sizeof path - (size_t)at, "%02x", id[i]);
        snprintf(path + at, sizeof path - (size_t)at, ".debug");
        int fd = open_debug_candidate(path, NULL, 0, debuginfo_file_name);
        if (fd >= 0)
            return fd;
    }
    if (!debuglink_file || !file_name || id_len <= 0 || strchr(debuglink_file, '/'))
        return -1; /* without a build ID a debug link cannot be checked: not followed */
    const char *slash = strrchr(file_name, '/');
    int dlen = slash ? (int)(slash - file_name) : 0;
    const char *forms[] = {"%.*s/%s", "%.*s/.debug/%s", DEBUG_ROOT "%.*s/%s"};
    for (size_t f = 0; f < sizeof forms / sizeof *forms; f++) {
        if ((size_t)snprintf(path, sizeof path, forms[f], dlen, file_name, debuglink_file) >= sizeof path)
            continue;
        if (!strcmp(path, file_name))
            continue;
        int fd = open_debug_candidate(path, id, id_len, debuginfo_file_name);
        if (fd >= 0)
            return fd;
    }
    return -1;
}

static const Dwfl_Callbacks dwfl_callbacks = {
    .find_elf = dwfl_build_id_find_elf,
    .find_debuginfo = find_debuginfo_local,
    .section_address = dwfl_offline_section_address,
    .debuginfo_path = NULL,     /* default: ":.debug:/usr/lib/debug" */
};

/* Copy a followed by b (either may be empty) into the string arena. */
static const char *str_save(struct mp_symbolizer *s, const char *a, const char *b)
{
    size_t la = strlen(a), lb = b ? strlen(b) : 0, need = la + lb + 1;
    struct str_chunk *c = s->strs;
    if (!c || c->cap - c->used < need) {
        size_t cap = need > 16384 ? need : 16384;
        c = malloc(sizeof *c + cap);
        if (!c)
            return NULL;
        c->next = s->strs;
        c->used = 0;
        c->cap = cap;
        s->strs = c;
    }
    char *p = c->data + c->used;
    memcpy(p, a, la);
    if (lb)
        memcpy(p + la, b, lb);
    p[la + lb] = 0;
    c->used += need;
    return p;
}

/* ---- open / close ---- */

static int cmp_mod_entry(const void *a, const void *b)
{
    const struct mod_entry *x = a, *y = b;
    if (x->lo != y->lo)
        return x->lo < y->lo ? -1 : 1;
    return x->model_idx < y->model_idx ? -1 : x->model_idx > y->model_idx;
}

struct mp_symbolizer *mp_symbolize_open(const struct mp_module *mods, size_t nmods)
{
    struct mp_symbolizer *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    s->objs = calloc(nmods ? nmods : 1, sizeof *s->objs);
    s->mods = calloc(nmods ? nmods : 1, sizeof *s->mods);
    if (!s->objs || !s->mods) {
        mp_symbolize_close(s);
        return NULL;
    }
    for (size_t i = 0; i < nmods; i++) {
        const struct mp_module *m = &mods[i];
        const char *path = m->path ? m->path : "";
        if (m->hi <= m->lo)
            continue;
        size_t o;
        for (o = 0; o < s->nobjs; o++)
            if (s->objs[o].base == m->base && strcmp(s->objs[o].path, path) == 0)
                break;
        if (o == s->nobjs) {
            s->objs[o].path = path;
            s->objs[o].file = m->file && m->file[0] ? m->file : path;
            s->objs[o].base = m->base;
            s->nobjs++;
        }
        struct mod_entry *e = &s->mods[s->nmods++];
        e->lo = m->lo;
        e->hi = m->hi;
        e->unload_gen = m->unload_gen;
        e->obj = (uint32_t)o;
        e->model_idx = (uint32_t)i;
        if (m->hi - m->lo > s->maxspan)
            s->maxspan = m->hi - m->lo;
    }
    qsort(s->mods, s->nmods, sizeof *s->mods, cmp_mod_entry);
    s->demangle = mp_symbolize_demangler();
    return s;
}

/* The C++ demangler, resolved once. Called by mp_report_prepare() right after the library is
 * loaded: at exit, glibc's __libc_freeres releases ld.so's lists, so no dlopen/dlsym may run
 * after it. */
static demangle_fn cached_demangler;
static int demangler_resolved;

void *mp_symbolize_resolve_demangler(void)
{
    if (!demangler_resolved) {
        demangler_resolved = 1;
        cached_demangler = (demangle_fn)dlsym(RTLD_DEFAULT, "__cxa_demangle");
        if (!cached_demangler) {
            /* A C++ program linked --as-needed may not load libstdc++ at all: borrow its
             * demangler for the report. */
            void *h = dlopen("libstdc++.so.6", RTLD_NOW | RTLD_LOCAL);
            if (h)
                cached_demangler = (demangle_fn)dlsym(h, "__cxa_demangle");
        }
    }
    return (void *)cached_demangler;
}

static demangle_fn mp_symbolize_demangler(void)
{
    return (demangle_fn)mp_symbolize_resolve_demangler();
}

static void cu_index_free(struct cu_index *cu)
{
    free(cu->nodes);
    free(cu->ranges);
    free(cu);
}

void mp_symbolize_close(struct mp_symbolizer *s)
{
    if (!s)
        return;
    for (size_t i = 0; i < s->nobjs; i++) {
        struct sym_object *o = &s->objs[i];
        for (size_t j = 0; j < o->cus.cap; j++)
            if (o->cus.keys[j])
                cu_index_free((struct cu_index *)(uintptr_t)o->cus.vals[j]);
        map_free(&o->cus);
        mp_symcache_close(o->cache);
        free(o->syms);
        free(o->spans);
        if (o->dwfl)
            dwfl_end(o->dwfl);
    }
    while (s->strs) {
        struct str_chunk *next = s->strs->next;
        free(s->strs);
        s->strs = next;
    }
    map_free(&s->demangled);
    map_free(&s->joined);
    free(s->objs);
    free(s->mods);
    free(s->pcs);
    free(s->frames);
    free(s);
}

/* Open the object's ELF file (and, lazily inside libdw, its debug file). 0 if usable. */
static int object_open(struct sym_object *o)
{
    if (o->state)
        return o->state > 0 ? 0 : -1;
    o->state = -1;
    if (o->path[0] != '/')      /* "" or pseudo objects such as linux-vdso.so.1 */
        return -1;
    o->dwfl = dwfl_begin(&dwfl_callbacks);
    if (!o->dwfl)
        return -1;
    dwfl_report_begin(o->dwfl);
    /* add_p_vaddr: base is the load bias (dlpi_addr), also right for prelinked objects. */
    o->mod = dwfl_report_elf(o->dwfl, o->path, o->file, -1, o->base, true);
    dwfl_report_end(o->dwfl, NULL, NULL);
    if (!o->mod) {
        dwfl_end(o->dwfl);
        o->dwfl = NULL;
        return -1;
    }
    o->state = 1;
    return 0;
}

/* ---- module choice ---- */

static const struct mod_entry *pick_entry(const struct mp_symbolizer *s, uintptr_t addr,
                                          uint32_t gen)
{
    /* r = first entry with lo > addr; candidates are before it, within maxspan of addr. */
    size_t l = 0, r = s->nmods;
    while (l < r) {
        size_t mid = l + (r - l) / 2;
        if (s->mods[mid].lo <= addr)
            l = mid + 1;
        else
            r = mid;
    }
    const struct mod_entry *loaded = NULL, *unloaded = NULL;
    for (size_t k = r; k > 0; k--) {
        const struct mod_entry *e = &s->mods[k - 1];
        if (addr - e->lo >= s->maxspan)
            break;
        if (addr >= e->hi)
            continue;
        if (e->unload_gen && gen == MP_GEN_AMBIGUOUS)
            return NULL; /* code of two libraries at addr during the run: no names */
        if (e->unload_gen == 0) {
            if (!loaded || e->model_idx < loaded->model_idx)
                loaded = e;
        } else if (e->unload_gen > gen) {
            if (!unloaded || e->unload_gen < unloaded->unload_gen ||
                (e->unload_gen == unloaded->unload_gen && e->model_idx < unloaded->model_idx))
                unloaded = e;
        }
    }
    return unloaded ? unloaded : loaded;
}

int mp_symbolize_pick_module(const struct mp_symbolizer *s, uintptr_t pc, uint32_t gen)
{
    if (pc == 0)
        return -1;
    const struct mod_entry *e = pick_entry(s, pc - 1, gen);
    return e ? (int)e->model_idx : -1;
}

/* ---- names and files ---- */

static const char *demangle(struct mp_symbolizer *s, const char *name)
{
    if (!name || !s->demangle || name[0] != '_' || name[1] != 'Z')
        return name;
    uint64_t v;
    if (map_get(&s->demangled, (uintptr_t)name, &v))
        return (const char *)(uintptr_t)v;
    int status = -1;
    char *d = s->demangle(name, NULL, NULL, &status);
    const char *res = name;
    if (d && status == 0) {
        const char *copy = str_save(s, d, NULL);
        if (copy)
            res = copy;
    }
    free(d);
    map_put(&s->demangled, (uintptr_t)name, (uintptr_t)res);
    return res;
}

/* Name of a function DIE (concrete, abstract or inlined instance): the linkage name demangled,
 * else DW_AT_name, following abstract_origin and specification. */
static const char *die_function_name(struct mp_symbolizer *s, Dwarf_Die *die)
{
    Dwarf_Attribute a;
    const char *n = dwarf_formstring(dwarf_attr_integrate(die, DW_AT_linkage_name, &a));
    if (!n)
        n = dwarf_formstring(dwarf_attr_integrate(die, DW_AT_MIPS_linkage_name, &a));
    if (n)
        return demangle(s, n);
    return dwarf_formstring(dwarf_attr_integrate(die, DW_AT_name, &a));
}

static int cmp_sym(const void *a, const void *b)
{
    const struct sym_entry *x = a, *y = b;
    if (x->addr != y->addr)
        return x->addr < y->addr ? -1 : 1;
    if (x->rank != y->rank)
        return x->rank < y->rank ? -1 : 1;
    /* Then the shorter name (without its version), then the alphabetically first, as valgrind
     * chooses among aliases (glob@@GLIBC_2.27 rather than glob64@@GLIBC_2.27): not whichever
     * the unstable sort left first. */
    size_t lx = strcspn(x->name, "@"), ly = strcspn(y->name, "@");
    if (lx != ly)
        return lx < ly ? -1 : 1;
    return strcmp(x->name, y->name);
}

static void load_syms(struct sym_object *o)
{
    size_t cap = 0;
    o->syms_loaded = 1;
    int n = dwfl_module_getsymtab(o->mod);
    for (int i = 1; i < n; i++) {
        GElf_Sym sym;
        GElf_Addr addr;
        GElf_Word shndx;
        const char *name = dwfl_module_getsym_info(o->mod, i, &sym, &addr, &shndx, NULL, NULL);
        int type = GELF_ST_TYPE(sym.st_info), bind = GELF_ST_BIND(sym.st_info);
        if (!name || !name[0] || shndx == SHN_UNDEF || (type != STT_FUNC && type != STT_GNU_IFUNC))
            continue;
        if (grow((void **)&o->syms, &cap, o->nsyms + 1, sizeof *o->syms))
            break;
        unsigned under = 0;
        while (name[under] == '_' && under < 8)
            under++;
        o->syms[o->nsyms++] = (struct sym_entry){
            addr, sym.st_size, name, under * 4 + (bind == STB_GLOBAL ? 0 : bind == STB_WEAK ? 1 : 2)};
    }
    qsort(o->syms, o->nsyms, sizeof *o->syms, cmp_sym);
}

/* Name of the function symbol containing addr: the nearest sized symbol that contains it, else
 * a sizeless one right before it (hand-written assembly). */
static const char *symtab_name(struct mp_symbolizer *s, struct sym_object *o, uintptr_t addr)
{
    if (!o->syms_loaded)
        load_syms(o);
    size_t l = 0, r = o->nsyms;
    while (l < r) {
        size_t mid = l + (r - l) / 2;
        if (o->syms[mid].addr <= addr)
            l = mid + 1;
        else
            r = mid;
    }
    if (l == 0)
        return NULL;
    const struct sym_entry *hit = NULL;
    for (size_t k = l; k > 0 && l - k < 32; k--) {
        const struct sym_entry *e = &o->syms[k - 1];
        if (e->size && addr < e->addr + e->size)
            hit = e;    /* keep going: the first of its address group has the best rank */
        else if (hit && e->addr != hit->addr)
            break;
    }
    if (!hit && o->syms[l - 1].size == 0) {
        hit = &o->syms[l - 1];
        while (hit > o->syms && hit[-1].addr == hit->addr)
            hit--;
    }
    return hit ? demangle(s, hit->name) : NULL;
}

/* Copy path to out (size cap) without "." components and repeated slashes: "./string/./x.c"
 * becomes "string/x.c", "/a//b/./c" "/a/b/c" (".." is kept: it may cross a symbolic link).
 * Returns the length, or cap when it does not fit. */
static size_t tidy_path(char *out, size_t cap, const char *path)
{
    size_t o = 0;
    const char *p = path;
    if (*p == '/') {
        if (o + 1 >= cap)
            return cap;
        out[o++] = '/';
    }
    while (*p) {
        while (*p == '/')
            p++;
        size_t n = strcspn(p, "/");
        if (!n)
            break;
        if (!(n == 1 && p[0] == '.')) {
            int sep = o && out[o - 1] != '/';
            if (o + (size_t)sep + n + 1 > cap)
                return cap;
            if (sep)
                out[o++] = '/';
            memcpy(out + o, p, n);
            o += n;
        }
        p += n;
    }
    if (!o) {
        if (cap < 2)
            return cap;
        out[o++] = '.';
    }
    out[o] = 0;
    return o;
}

/* A file name from libdw, made absolute with the CU's comp_dir when it is relative, and tidied
 * (tidy_path). A relative comp_dir that the file name already starts with is not prepended
 * twice: glibc's objects say comp_dir "./string" and file "./string/strdup.c", which a plain
 * join would make "./string/./string/strdup.c". */
static const char *full_path(struct mp_symbolizer *s, const char *file, Dwarf_Die *cudie)
{
    if (!file || !file[0])
        return NULL;
    uint64_t v;
    if (map_get(&s->joined, (uintptr_t)file, &v))
        return (const char *)(uintptr_t)v;
    const char *res = file;
    char tdir[2048], tfile[2048], joined[4096];
    size_t fl = tidy_path(tfile, sizeof tfile, file);
    if (fl < sizeof tfile) {
        Dwarf_Attribute a;
        const char *dir = file[0] == '/' ? NULL : dwarf_formstring(dwarf_attr(cudie, DW_AT_comp_dir, &a));
        size_t dl = dir && dir[0] ? tidy_path(tdir, sizeof tdir, dir) : sizeof tdir;
        int join = dl < sizeof tdir && !(dl == 1 && tdir[0] == '.');
        /* relative comp_dir "string" and file "string/strdup.c": the file already has it */
        if (join && tdir[0] != '/' && strncmp(tfile, tdir, dl) == 0 && tfile[dl] == '/')
            join = 0;
        const char *copy = NULL;
        if (join && dl + 1 + fl < sizeof joined) {
            memcpy(joined, tdir, dl);
            joined[dl] = '/';
            memcpy(joined + dl + 1, tfile, fl + 1);
            copy = str_save(s, joined, NULL);
        } else if (!join && strcmp(tfile, file) != 0) {
            copy = str_save(s, tfile, NULL);
        }
        if (copy)
            res = copy;
    }
    map_put(&s->joined, (uintptr_t)file, (uintptr_t)res);
    return res;
}

/* DW_AT_call_file / DW_AT_call_line of an inlined instance: where it sits in its caller. */
static void call_site(struct mp_symbolizer *s, Dwarf_Die *inl, const char **file, unsigned *line)
{
    Dwarf_Attribute a;
    Dwarf_Word idx, ln;
    Dwarf_Die cudie;
    Dwarf_Files *files;
    size_t nfiles;
    *file = NULL;
    *line = 0;
    if (dwarf_formudata(dwarf_attr(inl, DW_AT_call_line, &a), &ln) == 0)
        *line = ln <= 0xffffffffu ? (unsigned)ln : 0;
    if (dwarf_formudata(dwarf_attr(inl, DW_AT_call_file, &a), &idx) != 0)
        return;
    if (!dwarf_diecu(inl, &cudie, NULL, NULL) || dwarf_getsrcfiles(&cudie, &files, &nfiles) != 0 ||
        idx >= nfiles)
        return;
    *file = full_path(s, dwarf_filesrc(files, idx, NULL, NULL), &cudie);
}

/* ---- per-CU function index ---- */

static int add_node(struct cu_index *cu, Dwarf_Die *die, int32_t parent, int32_t *idx)
{
    Dwarf_Addr base, lo, hi;
    ptrdiff_t off = 0;
    size_t first = cu->nranges;
    *idx = -1;
    while ((off = dwarf_ranges(die, off, &base, &lo, &hi)) > 0) {
        if (hi <= lo)
            continue;
        if (grow((void **)&cu->ranges, &cu->capranges, cu->nranges + 1, sizeof *cu->ranges))
            return -1;
        cu->ranges[cu->nranges++] = (struct cu_range){lo, hi, (uint32_t)cu->nnodes, parent};
    }
    if (cu->nranges == first)
        return 0;   /* no code: a declaration or an abstract instance */
    if (grow((void **)&cu->nodes, &cu->capnodes, cu->nnodes + 1, sizeof *cu->nodes))
        return -1;
    cu->nodes[cu->nnodes] = (struct cu_node){*die, parent, 0, 0};
    *idx = (int32_t)cu->nnodes++;
    return 0;
}

/* Collect the functions and inlined instances below die. parent: the node enclosing them. */
static int cu_walk(struct cu_index *cu, Dwarf_Die *die, int32_t parent, int depth)
{
    Dwarf_Die child;
    if (depth > MAX_DIE_DEPTH || dwarf_child(die, &child) != 0)
        return 0;
    do {
        int32_t node;
        switch (dwarf_tag(&child)) {
        case DW_TAG_subprogram:
            /* A real function, even when nested in another one (GNU C nested functions). */
            if (add_node(cu, &child, -1, &node))
                return -1;
            if (node >= 0 && cu_walk(cu, &child, node, depth + 1))
                return -1;
            break;
        case DW_TAG_inlined_subroutine:
            if (add_node(cu, &child, parent, &node))
                return -1;
            if (node >= 0 && cu_walk(cu, &child, node, depth + 1))
                return -1;
            break;
        case DW_TAG_lexical_block:
        case DW_TAG_try_block:
        case DW_TAG_catch_block:
        case DW_TAG_namespace:
        case DW_TAG_module:
            if (cu_walk(cu, &child, parent, depth + 1))
                return -1;
            break;
        case DW_TAG_imported_unit: {
            /* dwz-compressed debug info: DIEs shared between CUs live in partial units. */
            Dwarf_Attribute a;
            Dwarf_Die pu;
            if (dwarf_formref_die(dwarf_attr(&child, DW_AT_import, &a), &pu) &&
                cu_walk(cu, &pu, parent, depth + 1))
                return -1;
            break;
        }
        default:
            break;
        }
    } while (dwarf_siblingof(&child, &child) == 0);
    return 0;
}

static int cmp_cu_range(const void *a, const void *b)
{
    const struct cu_range *x = a, *y = b;
    if (x->parent != y->parent)
        return x->parent < y->parent ? -1 : 1;
    if (x->lo != y->lo)
        return x->lo < y->lo ? -1 : 1;
    return x->hi > y->hi ? -1 : x->hi < y->hi;
}

static struct cu_index *cu_get(struct sym_object *o, Dwarf_Die *cudie)
{
    uint64_t v;
    if (map_get(&o->cus, (uintptr_t)cudie->addr, &v))
        return (struct cu_index *)(uintptr_t)v;
    struct cu_index *cu = calloc(1, sizeof *cu);
    if (!cu)
        return NULL;
    cu->cudie = *cudie;
    /* Split DWARF (-gsplit-dwarf): the skeleton unit has no children; walk its .dwo unit. The
     * line table stays the skeleton's. */
    Dwarf_Die root = *cudie, sub;
    Dwarf_Half version;
    uint8_t type;
    if (dwarf_cu_info(cudie->cu, &version, &type, NULL, &sub, NULL, NULL, NULL) == 0 &&
        type == DW_UT_skeleton && sub.addr)
        root = sub;
    if (cu_walk(cu, &root, -1, 0)) {
        cu_index_free(cu);
        return NULL;
    }
    qsort(cu->ranges, cu->nranges, sizeof *cu->ranges, cmp_cu_range);
    for (size_t i = 0; i < cu->nranges;) {
        size_t j = i;
        while (j < cu->nranges && cu->ranges[j].parent == cu->ranges[i].parent)
            j++;
        if (cu->ranges[i].parent < 0) {
            cu->top_beg = (uint32_t)i;
            cu->top_end = (uint32_t)j;
        } else {
            cu->nodes[cu->ranges[i].parent].cbeg = (uint32_t)i;
            cu->nodes[cu->ranges[i].parent].cend = (uint32_t)j;
        }
        i = j;
    }
    if (map_put(&o->cus, (uintptr_t)cudie->addr, (uintptr_t)cu)) {
        cu_index_free(cu);
        return NULL;
    }
    return cu;
}

/* Nodes containing a (a DWARF address), outermost real function first. Returns the count. */
static int cu_lookup(const struct cu_index *cu, Dwarf_Addr a, uint32_t *chain, int max)
{
    size_t beg = cu->top_beg, end = cu->top_end;
    int n = 0;
    while (beg < end && n < max) {
        size_t l = beg, r = end;
        while (l < r) {
            size_t mid = l + (r - l) / 2;
            if (cu->ranges[mid].lo <= a)
                l = mid + 1;
            else
                r = mid;
        }
        /* Siblings should not overlap; tolerate a few that do (sloppy DWARF). */
        size_t found = SIZE_MAX;
        for (size_t k = l; k > beg && l - k < 8; k--) {
            if (cu->ranges[k - 1].hi > a) {
                found = k - 1;
                break;
            }
        }
        if (found == SIZE_MAX)
            break;
        uint32_t node = cu->ranges[found].node;
        chain[n++] = node;
        beg = cu->nodes[node].cbeg;
        end = cu->nodes[node].cend;
    }
    return n;
}

/* ---- frames ---- */

static int push_frame(struct mp_symbolizer *s, const struct mp_frame *f)
{
    if (grow((void **)&s->frames, &s->capframes, s->nframes + 1, sizeof *s->frames))
        return -1;
    s->frames[s->nframes++] = *f;
    return 0;
}

/* Frames for DWARF address a in cu: the inline chain, innermost first. */
static int expand(struct mp_symbolizer *s, struct cu_index *cu, Dwarf_Addr a,
                  const struct mp_frame *base)
{
    struct mp_frame f = *base;
    Dwarf_Line *ln = dwarf_getsrc_die(&cu->cudie, a);
    if (ln) {
        int line = 0;
        f.file = full_path(s, dwarf_linesrc(ln, NULL, NULL), &cu->cudie);
        if (dwarf_lineno(ln, &line) == 0 && line > 0)
            f.line = (unsigned)line;
    }
    uint32_t chain[MAX_INLINE_DEPTH];
    int depth = cu_lookup(cu, a, chain, MAX_INLINE_DEPTH);
    if (depth == 0)
        return push_frame(s, &f);
    for (int i = depth - 1; i >= 0; i--) {
        struct cu_node *node = &cu->nodes[chain[i]];
        f.function = die_function_name(s, &node->die);
        f.inlined = i > 0;
        if (push_frame(s, &f))
            return -1;
        if (i > 0)  /* the next frame out is at this instance's call site */
            call_site(s, &node->die, &f.file, &f.line);
    }
    return 0;
}

static int cmp_span(const void *a, const void *b)
{
    const struct cu_span *x = a, *y = b;
    return x->lo < y->lo ? -1 : x->lo > y->lo;
}

static void load_spans(struct sym_object *o)
{
    size_t cap = 0;
    o->spans_loaded = 1;
    Dwarf *dbg = dwfl_module_getdwarf(o->mod, &o->dwbias);
    if (!dbg)
        return;
    Dwarf_CU *cu = NULL;
    Dwarf_Half version;
    uint8_t type;
    Dwarf_Die cudie;
    while (dwarf_get_units(dbg, cu, &cu, &version, &type, &cudie, NULL) == 0) {
        if (type != DW_UT_compile && type != DW_UT_skeleton)
            continue;
        Dwarf_Addr base, lo, hi;
        ptrdiff_t off = 0;
        while ((off = dwarf_ranges(&cudie, off, &base, &lo, &hi)) > 0) {
            if (hi <= lo)
                continue;
            if (grow((void **)&o->spans, &cap, o->nspans + 1, sizeof *o->spans))
                return;
            o->spans[o->nspans++] = (struct cu_span){lo, hi, cudie};
        }
    }
    qsort(o->spans, o->nspans, sizeof *o->spans, cmp_span);
}

/* The CU DIE covering addr from our own range table; *bias as dwfl_module_addrdie's. */
static Dwarf_Die *span_lookup(struct sym_object *o, uintptr_t addr, Dwarf_Addr *bias)
{
    if (!o->spans_loaded)
        load_spans(o);
    Dwarf_Addr a = addr - o->dwbias;
    size_t l = 0, r = o->nspans;
    while (l < r) {
        size_t mid = l + (r - l) / 2;
        if (o->spans[mid].lo <= a)
            l = mid + 1;
        else
            r = mid;
    }
    for (size_t k = l; k > 0 && l - k < 8; k--) {
        if (o->spans[k - 1].hi > a) {
            *bias = o->dwbias;
            return &o->spans[k - 1].cudie;
        }
    }
    return NULL;
}

/* The object's symbol cache, opened on first use; NULL when there is none. */
static struct mp_symcache *object_cache(struct mp_symbolizer *s, struct sym_object *o)
{
    if (!o->cache_state) {
        o->cache_state = 1;
        if (s->cache_dir && o->path[0] == '/')
            o->cache = mp_symcache_open(s->cache_dir, o->file);
    }
    return o->cache;
}

static int symbolize_addr(struct mp_symbolizer *s, uint32_t obj, uintptr_t addr)
{
    size_t first = s->nframes;
    struct mp_frame base = {.pc = addr};
    struct sym_object *o = obj == NO_OBJ ? NULL : &s->objs[obj];
    if (o) {
        base.module = o->path[0] ? o->path : NULL;
        base.offset = addr - o->base;
    }
    struct mp_symcache *cache = o ? object_cache(s, o) : NULL;
    if (cache) {
        const struct mp_symcache_frame *cf;
        int k = mp_symcache_get(cache, base.offset, &cf);
        for (int i = 0; i < k; i++) {
            struct mp_frame f = base;
            f.function = cf[i].function;
            f.file = cf[i].file;
            f.line = cf[i].line;
            f.inlined = cf[i].inlined;
            if (push_frame(s, &f))
                return -1;
        }
        if (k > 0)
            return 0;
    }
    if (!o || object_open(o) != 0)
        return push_frame(s, &base);
    Dwarf_Addr bias = 0;
    Dwarf_Die *cudie = dwfl_module_addrdie(o->mod, addr, &bias);
    if (!cudie)
        cudie = span_lookup(o, addr, &bias);
    if (cudie) {
        struct cu_index *cu = cu_get(o, cudie);
        if (cu && expand(s, cu, addr - bias, &base))
            return -1;
    }
    if (s->nframes == first && push_frame(s, &base))
        return -1;
    struct mp_frame *outer = &s->frames[s->nframes - 1];
    /* The real (non-inlined) function: prefer the symbol table's best alias, as valgrind does
     * (glibc's DWARF says __GI___strdup where users know strdup), unless that name is a
     * compiler clone (foo.cold, foo.isra.0), where DWARF's plain name reads better. The dots of
     * a symbol version (realpath@@GLIBC_2.3, glibc's name for a function with an older
     * version beside it, as valgrind shows it) do not make a clone. */
    const char *sn = symtab_name(s, o, addr);
    if (sn && (!outer->function || !memchr(sn, '.', strcspn(sn, "@"))))
        outer->function = sn;
    if (cache) {
        struct mp_symcache_frame cf[MAX_INLINE_DEPTH + 1];
        size_t n = s->nframes - first;
        for (size_t i = 0; i < n && i <= MAX_INLINE_DEPTH; i++) {
            const struct mp_frame *f = &s->frames[first + i];
            cf[i] = (struct mp_symcache_frame){f->function, f->file, f->line, f->inlined};
        }
        if (n <= MAX_INLINE_DEPTH + 1)
            mp_symcache_put(cache, base.offset, cf, (int)n);
    }
    return 0;
}

static size_t pc_hash(uintptr_t addr, uint32_t obj)
{
    return hash64((uint64_t)addr * 31 + obj);
}

static int pc_grow(struct mp_symbolizer *s)
{
    size_t ncap = s->cappcs ? s->cappcs * 2 : 1024;
    struct pc_entry *n = calloc(ncap, sizeof *n);
    if (!n)
        return -1;
    for (size_t j = 0; j < s->cappcs; j++) {
        struct pc_entry *e = &s->pcs[j];
        if (!e->n)
            continue;
        size_t i = pc_hash(e->addr, e->obj) & (ncap - 1);
        while (n[i].n)
            i = (i + 1) & (ncap - 1);
        n[i] = *e;
    }
    free(s->pcs);
    s->pcs = n;
    s->cappcs = ncap;
    return 0;
}

/* The cache entry for (addr, obj), symbolizing on a miss. NULL only when out of memory. */
static const struct pc_entry *lookup(struct mp_symbolizer *s, uintptr_t addr, uint32_t obj)
{
    if ((s->npcs + 1) * 2 > s->cappcs && pc_grow(s))
        return NULL;
    size_t i = pc_hash(addr, obj) & (s->cappcs - 1);
    while (s->pcs[i].n) {
        if (s->pcs[i].addr == addr && s->pcs[i].obj == obj)
            return &s->pcs[i];
        i = (i + 1) & (s->cappcs - 1);
    }
    size_t first = s->nframes;
    if (symbolize_addr(s, obj, addr)) {
        s->nframes = first;
        return NULL;
    }
    s->pcs[i] = (struct pc_entry){addr, obj, (uint32_t)first, (uint32_t)(s->nframes - first)};
    s->npcs++;
    return &s->pcs[i];
}

void mp_symbolize_set_below_main(struct mp_symbolizer *s, int show) { s->show_below_main = show; }

void mp_symbolize_set_cache_dir(struct mp_symbolizer *s, const char *dir)
{
    s->cache_dir = dir && *dir ? dir : NULL;
}

/* Is pc (a return address) in the executable's entry code, _start? Its call of
 * __libc_start_main is the last instruction before a hlt, a few dozen bytes from the entry. */
static int in_entry_code(struct sym_object *o, uintptr_t pc)
{
    if (object_open(o))
        return 0;
    GElf_Addr bias = 0;
    GElf_Ehdr eh;
    Elf *elf = dwfl_module_getelf(o->mod, &bias);
    if (!elf || !gelf_getehdr(elf, &eh) || !eh.e_entry)
        return 0;
    uintptr_t entry = (uintptr_t)(eh.e_entry + bias);
    return pc - 1 >= entry && pc - 1 < entry + 64;
}

/* Where a main-thread stack ends when main has no name (a stripped executable): the outermost
 * frame is in the executable (_start), then comes a run of frames in libc (the start-up code
 * that calls main), and the frame above that run, back in the executable, is main. Returns the
 * index of that frame, or npcs - 1 (keep everything). Found from the modules alone, so that
 * libc's start-up frames are never symbolized: that would load libc's debug information, the
 * costliest part of a report (about 100 ms with libc6-dbg installed). The outermost frame must
 * be _start itself: a walk that already ended at main (the unwinder stops there) has the same
 * shape when main called into libc and libc called the program back (a qsort comparator, a
 * signal handler run by raise), and the callback is not main. */
static uint32_t below_main_cut(struct mp_symbolizer *s, const uintptr_t *pcs, uint32_t npcs,
                               uint32_t gen)
{
    if (s->show_below_main || npcs < 3 || !pcs[npcs - 1])
        return npcs - 1;
    const struct mod_entry *start = pick_entry(s, pcs[npcs - 1] - 1, gen);
    if (!start)
        return npcs - 1;
    uint32_t i = npcs - 1, libc = NO_OBJ;
    while (i > 0) {
        i--;
        const struct mod_entry *e = pcs[i] ? pick_entry(s, pcs[i] - 1, gen) : NULL;
        if (!e)
            return npcs - 1;
        if (e->obj == start->obj)
            return libc != NO_OBJ && in_entry_code(&s->objs[start->obj], pcs[npcs - 1]) ? i
                                                                                       : npcs - 1;
        if (libc == NO_OBJ) {
            const char *path = s->objs[e->obj].path, *base = strrchr(path, '/');
            if (strncmp(base ? base + 1 : path, "libc.so", 7))
                return npcs - 1;
            libc = e->obj;
        } else if (e->obj != libc) {
            return npcs - 1;
        }
    }
    return npcs - 1;
}

struct mp_frame *mp_symbolize_stack(struct mp_symbolizer *s, const uintptr_t *pcs, uint32_t npcs,
                                    uint32_t gen, uint32_t *n)
{
    *n = 0;
    if (!npcs)
        return NULL;
    uint32_t *firsts = malloc(2 * sizeof *firsts * npcs);
    if (!firsts)
        return NULL;
    uint32_t *counts = firsts + npcs;
    size_t total = 0;
    uint32_t last = below_main_cut(s, pcs, npcs, gen);
    for (uint32_t i = 0; i < npcs; i++) {
        if (i > last) {
            counts[i] = 0;
            continue;
        }
        counts[i] = 0;
        if (pcs[i] == 0)
            continue;
        uintptr_t addr = pcs[i] - 1;
        const struct mod_entry *e = pick_entry(s, addr, gen);
        const struct pc_entry *pe = lookup(s, addr, e ? e->obj : NO_OBJ);
        if (!pe)
            continue;
        firsts[i] = pe->first;
        counts[i] = pe->n;
        total += pe->n;
        /* Like valgrind (--show-below-main=no): the stack ends at main; libc's start-up frames
         * below it are neither shown nor symbolized (their debug info is the costly part). */
        if (!s->show_below_main && pe->n) {
            const char *fn = s->frames[pe->first + pe->n - 1].function;
            if (fn && !strcmp(fn, "main")) {
                for (uint32_t j = i + 1; j < npcs; j++)
                    counts[j] = 0;
                break;
            }
        }
    }
    struct mp_frame *out = total ? malloc(total * sizeof *out) : NULL;
    if (out) {
        size_t k = 0;
        for (uint32_t i = 0; i < npcs; i++) {
            memcpy(out + k, s->frames + firsts[i], counts[i] * sizeof *out);
            k += counts[i];
        }
        *n = (uint32_t)total;
    }
    free(firsts);
    return out;
}
