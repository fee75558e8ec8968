/* Checks on the program and the preload library made before the CLI forks (see target.h). */
#include "cli/target.h"

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/args.h"

#if defined(__x86_64__)
#define HOST_MACHINE EM_X86_64
#elif defined(__aarch64__)
#define HOST_MACHINE EM_AARCH64
#elif defined(__i386__)
#define HOST_MACHINE EM_386
#endif

static void __attribute__((format(printf, 1, 2))) warn(const char *fmt, ...)
{
    va_list ap;
    fflush(stdout);
    fputs("memplumber: warning: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

/* ---- the program ---- */

/* 0 if path is a file exec could start, else the errno execve would give. */
static int runnable(const char *path)
{
    struct stat st;
    if (stat(path, &st))
        return errno == ENOTDIR ? ENOENT : errno;
    if (S_ISDIR(st.st_mode))
        return EISDIR;
    if (!S_ISREG(st.st_mode) || access(path, X_OK))
        return EACCES;
    return 0;
}

char *mp_target_resolve(const char *prog, int *err)
{
    if (!prog[0]) {
        *err = ENOENT;
        return NULL;
    }
    if (strchr(prog, '/')) {
        *err = runnable(prog);
        return *err ? NULL : strdup(prog);
    }
    /* execvp: each PATH entry in turn ("" is the current directory); when nothing runs, the
     * error is EACCES if some candidate existed but could not be executed, else ENOENT. */
    const char *path = getenv("PATH");
    if (!path)
        path = "/bin:/usr/bin";
    int saw_eacces = 0;
    for (const char *p = path;; p++) {
        const char *e = strchrnul(p, ':');
        size_t dl = (size_t)(e - p);
        size_t n = dl + strlen(prog) + 2;
        char *cand = malloc(n);
        if (!cand)
            mp_args_die("out of memory");
        if (dl)
            snprintf(cand, n, "%.*s/%s", (int)dl, p, prog);
        else
            snprintf(cand, n, "%s", prog);
        int r = runnable(cand);
        if (!r) {
            *err = 0;
            return cand;
        }
        if (r == EACCES || r == EISDIR)
            saw_eacces = 1;
        free(cand);
        if (!*e)
            break;
        p = e;
    }
    *err = saw_eacces ? EACCES : ENOENT;
    return NULL;
}

static int read_at(int fd, void *buf, size_t n, off_t off)
{
    return pread(fd, buf, n, off) == (ssize_t)n ? 0 : -1;
}

/* ---- sanitizer runtimes ----
 *
 * AddressSanitizer, ThreadSanitizer, MemorySanitizer, HWASan, LeakSanitizer and MemProf replace
 * malloc themselves. Two heap interposers cannot both own malloc: ASan refuses to start when it
 * is not first in the search order ("ASan runtime does not come first") and crashes when told
 * to go on, and the others lose track of the blocks. Such a program is run without the library. */

struct sanitizer {
    const char *tag;  /* the runtime's short name: libTAG.so, libclang_rt.TAG-ARCH.so, __TAG_init */
    const char *name; /* for the warning */
    const char *hint; /* what to use instead */
};

static const struct sanitizer sanitizers[] = {
    {"asan", "AddressSanitizer", "use its own leak checker (LeakSanitizer, on by default)"},
    {"lsan", "LeakSanitizer", "use its own leak report"},
    {"hwasan", "HWAddressSanitizer", "build it without the sanitizer to check it with memplumber"},
    {"tsan", "ThreadSanitizer", "build it without the sanitizer to check it with memplumber"},
    {"msan", "MemorySanitizer", "build it without the sanitizer to check it with memplumber"},
    {"memprof", "MemProfiler", "build it without the sanitizer to check it with memplumber"},
};
#define NSANITIZERS (sizeof sanitizers / sizeof sanitizers[0])

/* The sanitizer whose runtime library file this is (a path or a name: libasan.so.8,
 * /usr/lib/.../libtsan.so.2, libclang_rt.asan-x86_64.so), or NULL. */
static const struct sanitizer *sanitizer_library(const char *file, size_t len)
{
    const char *base = file;
    for (size_t i = 0; i < len; i++)
        if (file[i] == '/')
            base = file + i + 1;
    size_t blen = len - (size_t)(base - file);
    for (size_t k = 0; k < NSANITIZERS; k++) {
        const char *tag = sanitizers[k].tag;
        char want[64];
        snprintf(want, sizeof want, "lib%s.so", tag);
        if (blen >= strlen(want) && !memcmp(base, want, strlen(want)) &&
            (blen == strlen(want) || base[strlen(want)] == '.'))
            return &sanitizers[k];
        snprintf(want, sizeof want, "libclang_rt.%s", tag);
        if (blen > strlen(want) && !memcmp(base, want, strlen(want)) &&
            (base[strlen(want)] == '-' || base[strlen(want)] == '.'))
            return &sanitizers[k];
    }
    return NULL;
}

/* The sanitizer that a dynamic symbol of the program names: its __TAG_init (the instrumented
 * code calls it; a statically linked runtime defines it), or NULL. */
static const struct sanitizer *sanitizer_init_symbol(const char *sym)
{
    for (size_t k = 0; k < NSANITIZERS; k++) {
        char want[64];
        snprintf(want, sizeof want, "__%s_init", sanitizers[k].tag);
        if (!strcmp(sym, want))
            return &sanitizers[k];
    }
    return NULL;
}

/* A section's contents, malloc'ed, or NULL. */
static void *read_section(int fd, const Elf64_Shdr *sh)
{
    if (sh->sh_type == SHT_NOBITS || !sh->sh_size || sh->sh_size > ((size_t)64 << 20))
        return NULL;
    void *buf = malloc(sh->sh_size + 1);
    if (!buf)
        return NULL;
    if (read_at(fd, buf, sh->sh_size, (off_t)sh->sh_offset)) {
        free(buf);
        return NULL;
    }
    ((char *)buf)[sh->sh_size] = 0;
    return buf;
}

/* The sanitizer runtime the ELF program links: a DT_NEEDED entry naming one (gcc's
 * -fsanitize=address links libasan.so), or a statically linked runtime seen in the dynamic
 * symbol table (clang's default: __asan_init defined; gcc's -static-libasan: malloc defined
 * next to the runtime's __sanitizer_ hooks). Reads the section headers; NULL when there are
 * none or nothing matches. */
static const struct sanitizer *sanitizer_of_elf(int fd, const Elf64_Ehdr *eh)
{
    if (!eh->e_shoff || eh->e_shentsize != sizeof(Elf64_Shdr) || !eh->e_shnum ||
        eh->e_shnum > 4096)
        return NULL;
    Elf64_Shdr *sh = malloc(eh->e_shnum * sizeof *sh);
    if (!sh)
        return NULL;
    if (read_at(fd, sh, eh->e_shnum * sizeof *sh, (off_t)eh->e_shoff)) {
        free(sh);
        return NULL;
    }
    const struct sanitizer *found = NULL;
    int defines_malloc = 0;
    const struct sanitizer *hooks = NULL; /* __sanitizer_ or __TAG_ symbols next to malloc */
    for (unsigned i = 0; i < eh->e_shnum && !found; i++) {
        if ((sh[i].sh_type != SHT_DYNAMIC && sh[i].sh_type != SHT_DYNSYM) ||
            sh[i].sh_link >= eh->e_shnum)
            continue;
        char *str = read_section(fd, &sh[sh[i].sh_link]);
        void *data = read_section(fd, &sh[i]);
        size_t strsz = sh[sh[i].sh_link].sh_size;
        if (str && data && sh[i].sh_type == SHT_DYNAMIC) {
            const Elf64_Dyn *d = data;
            for (size_t j = 0; j < sh[i].sh_size / sizeof *d && d[j].d_tag != DT_NULL; j++)
                if (d[j].d_tag == DT_NEEDED && d[j].d_un.d_val < strsz &&
                    (found = sanitizer_library(str + d[j].d_un.d_val,
                                               strlen(str + d[j].d_un.d_val))))
                    break;
        } else if (str && data) {
            const Elf64_Sym *s = data;
            for (size_t j = 1; j < sh[i].sh_size / sizeof *s; j++) {
                if (s[j].st_name >= strsz)
                    continue;
                const char *name = str + s[j].st_name;
                if ((found = sanitizer_init_symbol(name)))
                    break;
                if (!strcmp(name, "malloc") && s[j].st_shndx != SHN_UNDEF)
                    defines_malloc = 1;
                if (!strncmp(name, "__sanitizer_", 12))
                    hooks = &sanitizers[0]; /* gcc -static-libasan; the usual one */
                for (size_t k = 0; k < NSANITIZERS && !hooks; k++) {
                    size_t tl = strlen(sanitizers[k].tag);
                    if (!strncmp(name, "__", 2) && !strncmp(name + 2, sanitizers[k].tag, tl) &&
                        name[2 + tl] == '_')
                        hooks = &sanitizers[k];
                }
            }
        }
        free(str);
        free(data);
    }
    free(sh);
    if (!found && defines_malloc && hooks)
        found = hooks;
    return found;
}

static void warn_sanitizer(const char *shown, const struct sanitizer *s, const char *how)
{
    warn("%s %s %s, which replaces malloc itself: memplumber cannot observe it (two heap "
         "interposers cannot both own malloc), running it without memplumber; %s",
         shown, how, s->name, s->hint);
}

/* shown: how to name the file in a warning, quoted. Returns 1 when the program must run
 * without the library. */
static int inspect(const char *path, const char *shown, int depth)
{
    struct stat st;
    if (stat(path, &st))
        return 0;
    if (((st.st_mode & S_ISUID) && st.st_uid != getuid()) ||
        ((st.st_mode & S_ISGID) && st.st_gid != getgid())) {
        warn("%s is set%sid: the dynamic loader ignores LD_PRELOAD for it, so memplumber "
             "cannot observe it (running it anyway; no report will be written)",
             shown, (st.st_mode & S_ISUID) && st.st_uid != getuid() ? "u" : "g");
        return 0;
    }

    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return 0; /* execute-only: nothing to learn, let it run */
    unsigned char head[256];
    ssize_t got = pread(fd, head, sizeof head - 1, 0);
    if (got >= 2 && head[0] == '#' && head[1] == '!') {
        /* A script: the kernel runs its interpreter, which is what LD_PRELOAD reaches. */
        head[got] = 0;
        char *s = (char *)head + 2;
        s += strspn(s, " \t");
        s[strcspn(s, " \t\n")] = 0;
        close(fd);
        if (*s && depth < 4) {
            char msg[PATH_MAX + 64];
            snprintf(msg, sizeof msg, "'%s' (the interpreter of %s)", s, shown);
            return inspect(s, msg, depth + 1);
        }
        return 0;
    }
    Elf64_Ehdr eh;
    if (got < (ssize_t)EI_NIDENT || memcmp(head, ELFMAG, SELFMAG)) {
        close(fd); /* not ELF: execvp hands it to /bin/sh, which is observed */
        return 0;
    }
#ifdef HOST_MACHINE
    Elf32_Half machine;
    memcpy(&machine, head + offsetof(Elf64_Ehdr, e_machine), sizeof machine);
    if (head[EI_CLASS] != (sizeof(void *) == 8 ? ELFCLASS64 : ELFCLASS32) ||
        machine != HOST_MACHINE) {
        warn("%s is built for another architecture than libmemplumber.so%s: the loader "
             "will not preload the library, so memplumber cannot observe it (running it anyway)",
             shown, head[EI_CLASS] == ELFCLASS32 ? " (32-bit)" : "");
        close(fd);
        return 0;
    }
#endif
    if (read_at(fd, &eh, sizeof eh, 0) || eh.e_phentsize != sizeof(Elf64_Phdr)) {
        close(fd);
        return 0;
    }
    int interp = 0;
    for (unsigned i = 0; i < eh.e_phnum; i++) {
        Elf64_Phdr ph;
        if (read_at(fd, &ph, sizeof ph, (off_t)(eh.e_phoff + (Elf64_Off)i * sizeof ph)))
            break;
        if (ph.p_type == PT_INTERP) {
            interp = 1;
            break;
        }
    }
    if (!interp) {
        close(fd);
        warn("%s is statically linked: LD_PRELOAD has no effect on it, so memplumber "
             "cannot observe it (running it anyway; no report will be written)",
             shown);
        return 0;
    }
    const struct sanitizer *san = sanitizer_of_elf(fd, &eh);
    close(fd);
    if (san) {
        warn_sanitizer(shown, san, "is built with");
        return 1;
    }
    return 0;
}

int mp_target_warn_unobservable(const char *path, const char *shown)
{
    /* A sanitizer runtime already in LD_PRELOAD comes first for every program. */
    const char *pre = getenv("LD_PRELOAD");
    for (const char *p = pre ? pre : ""; *p;) {
        size_t len = strcspn(p, ": \t\n");
        const struct sanitizer *s = len ? sanitizer_library(p, len) : NULL;
        if (s) {
            warn("LD_PRELOAD holds %.*s, the runtime of %s, which replaces malloc itself: "
                 "memplumber cannot observe '%s' (two heap interposers cannot both own "
                 "malloc), running it without memplumber; %s",
                 (int)len, p, s->name, shown, s->hint);
            return 1;
        }
        p += len;
        p += strspn(p, ": \t\n");
    }
    size_t n = strlen(shown) + 3;
    char *quoted = malloc(n);
    if (!quoted)
        mp_args_die("out of memory");
    snprintf(quoted, n, "'%s'", shown);
    int r = inspect(path, quoted, 0);
    free(quoted);
    return r;
}

/* ---- the library ---- */

static int usable_library(const char *path)
{
    struct stat st;
    return !stat(path, &st) && S_ISREG(st.st_mode) && !access(path, R_OK);
}

static char *checked_library(const char *path)
{
    char *real = realpath(path, NULL);
    if (!real)
        mp_args_die("cannot resolve the library path '%s': %s", path, strerror(errno));
    if (strpbrk(real, ": \t\n"))
        mp_args_die("the library path '%s' contains ':' or a space, which separate LD_PRELOAD "
                    "entries; install libmemplumber.so elsewhere or set MEMPLUMBER_LIB",
                    real);
    return real;
}

char *mp_target_find_library(void)
{
    const char *env = getenv("MEMPLUMBER_LIB");
    if (env && env[0]) {
        struct stat st;
        if (stat(env, &st))
            mp_args_die("MEMPLUMBER_LIB is '%s': %s", env, strerror(errno));
        if (!S_ISREG(st.st_mode) || access(env, R_OK))
            mp_args_die("MEMPLUMBER_LIB is '%s', which is not a readable file", env);
        return checked_library(env);
    }
    char self[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    if (n <= 0)
        mp_args_die("cannot find libmemplumber.so: /proc/self/exe is unreadable (%s); set "
                    "MEMPLUMBER_LIB to the library's path",
                    n < 0 ? strerror(errno) : "empty");
    self[n] = 0;
    char *slash = strrchr(self, '/');
    if (slash)
        *slash = 0;
    char build[PATH_MAX + 32], installed[PATH_MAX + 32];
    snprintf(build, sizeof build, "%s/libmemplumber.so", self);
    snprintf(installed, sizeof installed, "%s/../lib/libmemplumber.so", self);
    if (usable_library(build))
        return checked_library(build);
    if (usable_library(installed))
        return checked_library(installed);
    mp_args_die("cannot find libmemplumber.so; tried %s and %s (set MEMPLUMBER_LIB to its path)",
                build, installed);
}
