// NSS and gconv modules that glibc dlopens by itself (getpwuid, getaddrinfo of a name in
// /etc/hosts, iconv_open) and frees in __libc_freeres, plus a program library loaded and
// unloaded with dlopen/dlclose and one kept open; then exit with JSON requested.
// JSON-CHECK: j["summary"]["definitely_lost"]["bytes"] == 24
#define _GNU_SOURCE
#include <dlfcn.h>
#include <iconv.h>
#include <netdb.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int main(void)
{
    struct passwd *pw = getpwuid(getuid());
    printf("user found: %d\n", pw != NULL);
    struct addrinfo *ai = NULL;
    int rc = getaddrinfo("localhost", NULL, NULL, &ai);
    printf("localhost resolved: %d\n", rc == 0);
    if (ai)
        freeaddrinfo(ai);
    iconv_t cd = iconv_open("UTF-16", "ISO-8859-15");
    printf("iconv: %d\n", cd != (iconv_t)-1);
    if (cd != (iconv_t)-1) {
        char in[] = "caf\xe9", out[32];
        char *ip = in, *op = out;
        size_t il = strlen(in), ol = sizeof out;
        iconv(cd, &ip, &il, &op, &ol);
        printf("converted to %zu bytes\n", sizeof out - ol);
        iconv_close(cd);
    }
    void *z = dlopen("libz.so.1", RTLD_NOW);
    if (z)
        dlclose(z);
    void *m = dlopen("libm.so.6", RTLD_NOW);
    printf("libm: %d\n", m != NULL);
    char *leak = malloc(24);
    memset(leak, 3, 24);
    leak = NULL;
    return 0;
}
