/* What the CLI checks about the program and the preload library before it forks: that the
 * program can be executed (found like execvp finds it), whether LD_PRELOAD can reach it
 * (static, setuid and foreign-architecture programs cannot be observed, sanitized ones must
 * not be), and where libmemplumber.so is. CLI only: stdio and malloc allowed. */
#ifndef MP_CLI_TARGET_H
#define MP_CLI_TARGET_H

/* Find prog as execvp would (PATH search when it has no '/'). Returns a malloc'ed path, or
 * NULL with *err = ENOENT, EACCES or EISDIR. */
char *mp_target_resolve(const char *prog, int *err);

/* Print a warning to stderr for each reason the program at path (as given by the user:
 * shown) cannot be observed: statically linked, setuid/setgid, not an ELF of this machine,
 * linked with a sanitizer runtime that replaces malloc (AddressSanitizer, ThreadSanitizer...:
 * in its DT_NEEDED entries, statically linked, or already in LD_PRELOAD). Follows a "#!" line
 * to its interpreter. Returns 1 when the program must run without libmemplumber.so (the
 * sanitizer case: with both, the program fails to start or crashes), else 0. */
int mp_target_warn_unobservable(const char *path, const char *shown);

/* The absolute path of libmemplumber.so: $MEMPLUMBER_LIB if set, else next to the CLI binary,
 * else <bin>/../lib. Exits 2 naming the paths tried when none exists. Malloc'ed. */
char *mp_target_find_library(void);

#endif
