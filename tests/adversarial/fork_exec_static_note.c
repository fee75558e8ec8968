// With --trace-children=yes (follow_exec=yes) every process is expected to report. A forked
// child execs a statically linked program (built by SETUP), which LD_PRELOAD cannot reach: it
// runs unobserved, with its own output and exit status (4) as natively, and memplumber says so
// on stderr instead of leaving its report silently missing.
// SETUP: printf '#include <stdio.h>\nint main(void){puts("static ran");return 4;}\n' > s.c && gcc -static -o static_prog s.c
// OPTIONS: follow_exec=yes
// STDERR-HAS: ./static_prog is statically linked
// JSON-CHECK: j["summary"]["definitely_lost"]["bytes"] == 0
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

int main(void)
{
    fflush(stdout);
    pid_t p = fork();
    if (p == 0) {
        execl("./static_prog", "static_prog", (char *)NULL);
        _exit(127);
    }
    int w;
    waitpid(p, &w, 0);
    printf("child status %d\n", WIFEXITED(w) ? WEXITSTATUS(w) : -1);
    return 0;
}
