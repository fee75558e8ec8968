/* A daemon that drops root for nobody after start (tests/integration/live_setuid.sh): leaks 55
 * bytes, says it is ready, then serves (allocates) until its stop file appears. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    (void)argc;
    struct passwd *pw = getpwnam("nobody");
    if (!pw || setgid(pw->pw_gid) || setuid(pw->pw_uid)) {
        perror("setuid");
        return 9;
    }
    char *lost = malloc(55);
    memset(lost, 1, 55);
    lost = NULL;
    int fd = open(argv[1], O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0 || write(fd, "1\n", 2) != 2)
        return 8;
    close(fd);
    while (access(argv[2], F_OK)) {
        free(malloc(100));
        usleep(2000);
    }
    puts("done");
    return 0;
}
