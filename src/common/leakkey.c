/* The matching key of loss records and heap errors across runs (leakkey.h). */
#include "common/leakkey.h"

#include "common/fmt.h"

#include <string.h>

static int has_prefix_dir(const char *path, const char *dir)
{
    size_t n = strlen(dir);
    return strncmp(path, dir, n) == 0 && (path[n] == '/' || path[n] == 0);
}

static int system_dir(const char *path)
{
    static const char *const dirs[] = {"/usr", "/lib", "/lib32", "/lib64", "/libx32",
                                       "/bin", "/sbin", "/snap"};
    for (size_t i = 0; i < sizeof dirs / sizeof dirs[0]; i++)
        if (has_prefix_dir(path, dirs[i]))
            return 1;
    return 0;
}

static const char *base_name(const char *path)
{
    const char *s = strrchr(path, '/');
    return s ? s + 1 : path;
}

static int runtime_library(const char *module)
{
    static const char *const names[] = {"libc.so", "libstdc++.so", "libc++", "libgcc_s",
                                        "libm.so", "libpthread", "libdl.so", "ld-linux",
                                        "ld64.so"};
    const char *b = base_name(module);
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (strncmp(b, names[i], strlen(names[i])) == 0)
            return 1;
    return 0;
}

int mp_key_frame_is_users(const struct mp_key_frame *f)
{
    int mod = f->module && f->module[0], file = f->file && f->file[0];
    if (!mod && !file)
        return 0;
    if (mod && (system_dir(f->module) || runtime_library(f->module)))
        return 0;
    if (file && f->file[0] == '/' && (has_prefix_dir(f->file, "/usr") ||
                                      has_prefix_dir(f->file, "/lib")))
        return 0;
    return 1;
}

size_t mp_key_first_users(const struct mp_key_frame *f, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (mp_key_frame_is_users(&f[i]))
            return i;
    return n;
}

static uint64_t fnv_byte(uint64_t h, unsigned char c)
{
    h ^= c;
    return h * 0x100000001b3ULL;
}

/* The name as the JSON report writes it: a byte that is not part of a UTF-8 sequence is hashed
 * as U+FFFD. The baseline and merge compute keys from the names in JSON reports, where such a
 * byte is U+FFFD: a key of the raw bytes never matched them (every record of a program built
 * in a directory named in Latin-1, say, was "new" against its own baseline). Names that are
 * UTF-8 hash as before. */
static uint64_t fnv(uint64_t h, const char *str)
{
    const unsigned char *s = (const unsigned char *)str;
    for (size_t len; s && *s; s += len) {
        len = *s < 0x80 ? 1 : mp_utf8_len(s, strnlen((const char *)s, 4));
        if (len) {
            for (size_t i = 0; i < len; i++)
                h = fnv_byte(h, s[i]);
        } else {
            h = fnv_byte(fnv_byte(fnv_byte(h, 0xef), 0xbf), 0xbd);
            len = 1;
        }
    }
    /* A separator byte that cannot occur in a name (0xff is never part of UTF-8): ("ab", "c")
     * and ("a", "bc") differ. */
    return fnv_byte(h, 0xff);
}

uint64_t mp_leak_key(const char *kind, const struct mp_key_frame *f, size_t n)
{
    uint64_t h = fnv(0xcbf29ce484222325ULL, "memplumber-key/1");
    h = fnv(h, kind);
    int own = mp_key_first_users(f, n) < n;
    for (size_t i = 0; i < n; i++) {
        if (own) {
            if (!mp_key_frame_is_users(&f[i]))
                continue;
            h = fnv(h, f[i].function ? f[i].function : "");
            h = fnv(h, f[i].file ? base_name(f[i].file) : "");
        } else {
            h = fnv(h, f[i].function ? f[i].function
                                     : f[i].module ? base_name(f[i].module) : "");
        }
    }
    return h;
}

void mp_leak_key_hex(uint64_t key, char buf[17])
{
    static const char hex[] = "0123456789abcdef";
    for (int i = 15; i >= 0; i--) {
        buf[i] = hex[key & 15];
        key >>= 4;
    }
    buf[16] = 0;
}
