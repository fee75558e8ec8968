// Closes every descriptor (a loop up to the limit, stdin/stdout/stderr included), opens its data
// file and makes every descriptor number up to 1100 a copy of it. memplumber's copy of stderr and
// fd 2 are now the data file: the report must not be written into it.
// FILES: data.txt
// JSON-CHECK: j["summary"]["definitely_lost"]["bytes"] == 48
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

int main(void)
{
    struct rlimit rl;
    getrlimit(RLIMIT_NOFILE, &rl);
    long max = rl.rlim_cur > 1100 ? 1100 : (long)rl.rlim_cur;
    for (long fd = 0; fd < max; fd++)
        close((int)fd);
    int d = open("data.txt", O_WRONLY | O_CREAT | O_TRUNC, 0644);
    for (long fd = 1; fd < max; fd++)
        dup2(d, (int)fd);
    const char msg[] = "the program's data\n";
    write(d, msg, strlen(msg));
    char *leak = malloc(48);
    leak = NULL;
    return 0;
}
