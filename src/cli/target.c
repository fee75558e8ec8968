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

/* shown: how to name the file in a warning, quoted. */
static void inspect(const char *path, const char *shown, int depth)
{
    struct stat st;
    if (stat(path, &st))
        return;
    if (((st.st_mode & S_ISUID) && st.st_uid != getuid()) ||
        ((st.st_mode & S_ISGID) && st.st_gid != getgid())) {
        warn("%s is set%sid: the dynamic loader ignores LD_PRELOAD for it, so memplumber "
             "cannot observe it (running it anyway; no report will be written)",
             shown, (st.st_mode & S_ISUID) && st.st_uid != getuid() ? "u" : "g");
        return;
    }

    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return; /* execute-only: nothing to learn, let it run */
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
            inspect(s, msg, depth + 1);
        }
        return;
    }
    Elf64_Ehdr eh;
    if (got < (ssize_t)EI_NIDENT || memcmp(head, ELFMAG, SELFMAG)) {
        close(fd); /* not ELF: execvp hands it to /bin/sh, which is observed */
        return;
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
        return;
    }
#endif
    if (read_at(fd, &eh, sizeof eh, 0) || eh.e_phentsize != sizeof(Elf64_Phdr)) {
        close(fd);
        return;
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
    close(fd);
    if (!interp)
        warn("%s is statically linked: LD_PRELOAD has no effect on it, so memplumber "
             "cannot observe it (running it anyway; no report will be written)",
             shown);
}

void mp_target_warn_unobservable(const char *path, const char *shown)
{
    size_t n = strlen(shown) + 3;
    char *quoted = malloc(n);
    if (!quoted)
        mp_args_die("out of memory");
    snprintf(quoted, n, "'%s'", shown);
    inspect(path, quoted, 0);
    free(quoted);
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
