// A plugin reloaded in place: plugin.so (build "old") is dlopen'd, leaks a block, is dlclose'd;
// a new build is moved over the same path and dlopen'd again (ld.so puts it at the same
// address) and leaks too. The report reads function names from the library's path, which now
// holds the new build: the old build's frames were named after the new build's functions
// (new_inner...). As in valgrind, frames of an unloaded library whose file was replaced since
// have no names; the new build's frames keep theirs.
// SETUP: printf '#include <stdlib.h>\nvoid *volatile s;\n__attribute__((noinline)) static void *old_inner(size_t n) { void *p = malloc(n); s = 0; return p; }\nvoid *entry(size_t n) { void *p = old_inner(n); s = 0; return p; }\n' > old.c && gcc -shared -fPIC -g -O1 -o old.so old.c
// SETUP: printf '#include <stdlib.h>\n#include <string.h>\nvoid *volatile s;\n__attribute__((noinline)) static void *new_inner(size_t n) { char b[64]; memset(b, 1, sizeof b); s = b; void *p = malloc(n); s = 0; return p; }\n__attribute__((noinline)) static void *new_mid(size_t n) { void *p = new_inner(n); s = 0; return p; }\nvoid *entry(size_t n) { void *p = new_mid(n); s = 0; return p; }\n' > new.c && gcc -shared -fPIC -g -O1 -o new.so new.c
// JSON-CHECK: j["summary"]["definitely_lost"]["bytes"] == 100 + 200
// JSON-CHECK: [f.get("function") for f in [l for l in j["leaks"] if l["bytes"] == 200][0]["stack"]] == ["new_inner", "new_mid", "entry", "load_and_leak", "main"]
// JSON-CHECK: not any(str(f.get("function")).startswith("new_") for f in [l for l in j["leaks"] if l["bytes"] == 100][0]["stack"])
// JSON-CHECK: [l for l in j["leaks"] if l["bytes"] == 100][0]["stack"][-1].get("function") == "main"
#include <dlfcn.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

typedef void *(*entry_fn)(size_t);
void *volatile sink;

static int copy(const char *from, const char *to)
{
    char buf[65536];
    int in = open(from, O_RDONLY), out = open(to, O_WRONLY | O_CREAT | O_TRUNC, 0755);
    ssize_t n;
    if (in < 0 || out < 0)
        return -1;
    while ((n = read(in, buf, sizeof buf)) > 0)
        if (write(out, buf, (size_t)n) != n)
            return -1;
    close(in);
    return close(out);
}

static int load_and_leak(const char *path, size_t n)
{
    void *h = dlopen(path, RTLD_NOW);
    if (!h) {
        printf("%s\n", dlerror());
        return 1;
    }
    entry_fn f = (entry_fn)dlsym(h, "entry");
    sink = f(n);
    sink = 0;
    dlclose(h);
    return 0;
}

int main(void)
{
    char dir[PATH_MAX - 32], plugin[PATH_MAX];
    if (!getcwd(dir, sizeof dir))
        return 2;
    snprintf(plugin, sizeof plugin, "%s/plugin.so", dir);
    if (copy("old.so", "plugin.so") || load_and_leak(plugin, 100))
        return 3;
    /* the new build replaces the file as an install does: written aside, then renamed */
    if (copy("new.so", "plugin.so.tmp") || rename("plugin.so.tmp", "plugin.so") ||
        load_and_leak(plugin, 200))
        return 4;
    puts("done");
    return 0;
}
