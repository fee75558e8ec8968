// The descriptors a program gets are the lowest free ones, and /proc/self/task lists only its
// own threads: memplumber's descriptors sit at the top of the
// descriptor range, and it starts no thread of its own
// in a program that has not asked for one (snapshots, report_thread).
#define _GNU_SOURCE
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static int count_dir(const char *path)
{
    DIR *d = opendir(path);
    int n = 0;
    struct dirent *e;
    while (d && (e = readdir(d)))
        n += e->d_name[0] != '.';
    if (d)
        closedir(d);
    return n;
}

int main(void)
{
    int a = open("/dev/null", O_RDONLY);
    int b = open("/dev/null", O_RDONLY);
    printf("first open: %d, second: %d\n", a, b);
    printf("threads: %d\n", count_dir("/proc/self/task"));
    void *p = malloc(100);
    int c = dup(0);
    printf("dup: %d\n", c);
    free(p);
    return 0;
}
