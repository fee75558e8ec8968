/* A server-like program for trying memplumber's long-running workflows and for the growth
 * picture in docs/MANUAL.md: it "serves" requests for about 6 seconds. Each request leaks its
 * 64-byte reply buffer (definitely lost) and adds a 256-byte entry to a session cache that is
 * never trimmed (still reachable, and growing: the top growth suspect).
 *   gcc -O2 -g examples/server.c -o build/examples/server
 *   build/memplumber --snapshot-interval=1 --html=server.html -- build/examples/server
 * or, while it runs: build/memplumber report PID --new */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define NOINLINE __attribute__((noinline))

struct session {
    struct session *next;
    char data[248];
};

static struct session *sessions;    /* the cache: every session ever seen */

NOINLINE static void remember_session(unsigned long id)
{
    struct session *s = malloc(sizeof *s);
    snprintf(s->data, sizeof s->data, "session %lu", id);
    s->next = sessions;
    sessions = s;
}

NOINLINE static size_t handle_request(unsigned long id)
{
    char *reply = malloc(64);
    size_t n = (size_t)snprintf(reply, 64, "reply to request %lu", id);
    remember_session(id);
    return n;   /* forgets to free reply */
}

int main(void)
{
    size_t sent = 0;
    for (unsigned long tick = 0; tick < 60; tick++) {
        for (unsigned long i = 0; i < 25 + tick; i++)
            sent += handle_request(tick * 1000 + i);
        usleep(100000);
    }
    printf("served %zu bytes\n", sent);
    return 0;
}
