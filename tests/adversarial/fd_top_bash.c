// A bash script that opens its own file at fixed descriptor numbers (`exec 900>file`, as
// scripts do for flock, and 9 and 200) and writes to them from a subshell (a fork) and from the
// main shell: every line must land in the file (memplumber's rendezvous sat at 900: bash wrote
// to memplumber's socket, and memplumber closed the script's 900 in the forked subshell).
// FILES: lock.txt
// JSON: any
#include <stdio.h>
#include <unistd.h>

int main(void)
{
    const char *script =
        "exec 900>>lock.txt 9>>lock.txt 200>>lock.txt\n"
        "( for k in 900 9 200; do echo \"subshell $k\" >&$k; done ) || echo 'subshell write failed'\n"
        "for k in 900 9 200; do echo \"main $k\" >&$k || echo \"main $k failed\"; done\n"
        "cat lock.txt\n";
    fflush(stdout);
    execl("/bin/bash", "bash", "-c", script, (char *)NULL);
    perror("execl");
    return 127;
}
