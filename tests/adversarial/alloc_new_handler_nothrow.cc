// A new-handler (std::set_new_handler) behind the nothrow forms of operator new: under a soft
// RLIMIT_AS 32 MiB above the address space in use, new (std::nothrow) of 64 MiB fails, the
// handler allocates a little (kept in a global: still reachable) and lifts the limit, and the
// retry succeeds; the same with the
// aligned nothrow form (std::align_val_t), which must run the handler too (libstdc++'s does),
// and with a handler that throws (the nothrow form returns nullptr; nothing escapes). The
// handler is the program's code: what it allocates is in the report like any block of the
// program's, and the blocks the retries get are recorded at the caller of the nothrow new.
// JSON-CHECK: sum(l["bytes"] for l in j["leaks"] if l["stack"] and l["stack"][0].get("function", "").startswith("handler")) == 3 * 77
// JSON-CHECK: sorted(l["allocator"] for l in j["leaks"] if l["bytes"] == 64 << 20) == ["new[]", "new[](align_val_t)"]
// JSON-CHECK: all(l["stack"][0].get("function") == "main" for l in j["leaks"] if l["bytes"] == 64 << 20) and len([l for l in j["leaks"] if l["bytes"] == 64 << 20]) == 2
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <new>
#include <sys/resource.h>

#define BIG ((size_t)64 << 20)

static int calls;
static void *kept[16];
static int nkept;
static int throw_instead;
struct Oops {};

/* The address space in use now (VmSize), in bytes. */
static rlim_t in_use()
{
    unsigned long kib = 0;
    char line[256];
    FILE *f = fopen("/proc/self/status", "r");
    while (f && fgets(line, sizeof line, f))
        if (sscanf(line, "VmSize: %lu kB", &kib) == 1)
            break;
    if (f)
        fclose(f);
    return (rlim_t)kib << 10;
}

static void limit(int on)
{
    struct rlimit rl;
    getrlimit(RLIMIT_AS, &rl);
    rl.rlim_cur = on ? in_use() + (32 << 20) : rl.rlim_max;
    setrlimit(RLIMIT_AS, &rl);
}

static void handler()
{
    calls++;
    kept[nkept] = malloc(77);
    memset(kept[nkept++], 'h', 77);
    if (throw_instead)
        throw Oops();
    limit(0);
}

static char *volatile big1, *volatile big2;

int main()
{
    std::set_new_handler(handler);
    limit(1);
    big1 = new (std::nothrow) char[BIG];
    printf("nothrow new[]: %s, handler called %d\n", big1 ? "block" : "null", calls);
    limit(1);
    big2 = new (std::align_val_t(4096), std::nothrow) char[BIG];
    printf("aligned nothrow new[]: %s, handler called %d\n", big2 ? "block" : "null", calls);
    limit(1);
    throw_instead = 1;
    try {
        char *p = new (std::nothrow) char[BIG];
        printf("nothrow new[] with a throwing handler: %s, handler called %d\n", p ? "block" : "null", calls);
    } catch (...) {
        printf("an exception escaped a nothrow new\n");
    }
    limit(0);
    std::set_new_handler(nullptr);
    return 0;
}
