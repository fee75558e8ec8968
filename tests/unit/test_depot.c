// SOURCES: src/preload/record/depot.c src/common/arena.c src/common/lock.c
// CFLAGS: -O1 -pthread
/* The stack depot (src/preload/record/depot.h) as its users rely on it: equal frames give one id and
 * different frames different ids (order, length, prefixes, the empty stack, one return address
 * at different depths, pairs built to collide in the current first hash); mp_depot_get hands
 * back exactly the frames, count and generation that were put, from the depot's own copy; ids
 * are dense (1..mp_depot_count()-1, each new stack the next one); 200,000 random stacks (the
 * index grows several times) keep their ids and frames; 4 threads putting overlapping sets while
 * the index grows agree on every id and read back right frames at once; a put in the CRITICAL
 * state (a signal handler that interrupted an insert, modelled exactly and by a timer signal)
 * finds an existing stack, returns 0 for a new one and does not deadlock; a put restores the
 * thread state. A watchdog turns a hang into a failure naming the phase. */
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "preload/record/depot.h"
#include "preload/runtime/guard.h"

/* Stand-ins. mp_tls is defined in src/preload/runtime/runtime.c and the self-text range in
 * src/preload/record/modules.c; linking either drags in the hooks, the options, the scan and the report
 * entry, i.e. the whole preload library. The depot needs only these symbols. The self-text range
 * [0, 0) is empty: the depot filters no frame, so every record must equal what was put. */
__thread struct mp_tls mp_tls __attribute__((tls_model("initial-exec")));
uintptr_t mp_self_text_lo, mp_self_text_hi;
/* No library was unloaded and loaded again: a stack captured at a later generation keeps its
 * record (the depot moves it to that generation). */
int mp_modules_reloaded_since(const uintptr_t *pcs, uint32_t n, uint32_t gen)
{
    (void)pcs;
    (void)n;
    (void)gen;
    return 0;
}

#if defined(__SANITIZE_ADDRESS__)
#define ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define ASAN 1
#endif
#endif
#ifndef ASAN
#define ASAN 0
#endif

#define NRANDOM 200000 /* random stacks: the index (4096 slots, doubled at half full) grows 7x */
#define NPOOL 60000    /* stacks shared by the threads: the index grows during the race */
#define NTHREADS 4

/* ---- watchdog: a deadlock becomes a failure naming the phase ---- */

static const char *volatile phase = "start";

static void on_alarm(int sig)
{
    (void)sig;
    static const char m[] = "FAIL: timed out (deadlock?) in phase: ";
    const char *p = phase;
    ssize_t r = write(1, m, sizeof m - 1);
    r = write(1, p, strlen(p));
    r = write(1, "\n", 1);
    (void)r;
    _exit(1);
}

/* ---- helpers ---- */

static uint64_t rnd_state = 0x2545F4914F6CDD1Dull;

static uint64_t rnd_r(uint64_t *s)
{
    uint64_t x = *s;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    *s = x;
    return x * 0x2545F4914F6CDD1Dull;
}

static uint64_t rnd(void) { return rnd_r(&rnd_state); }

/* Describe a stack for a failure message. */
static const char *show(const uintptr_t *pcs, uint32_t n, char *buf, size_t len)
{
    size_t at = (size_t)snprintf(buf, len, "[");
    for (uint32_t i = 0; i < n && at < len; i++)
        at += (size_t)snprintf(buf + at, len - at, "%s%#lx", i ? " " : "", (unsigned long)pcs[i]);
    if (at < len)
        snprintf(buf + at, len - at, "] (%u frames)", n);
    return buf;
}

/* Is the record of id exactly (pcs, n, gen)? On a difference, describes it in why. */
static int record_is(mp_stack_id id, const uintptr_t *pcs, uint32_t n, uint32_t gen, char *why,
                     size_t len)
{
    uint32_t gn = 0xdeadbeef, gg = 0xdeadbeef;
    const uintptr_t *got = mp_depot_get(id, &gn, &gg);
    if (!got) {
        snprintf(why, len, "mp_depot_get(%u) returned NULL", id);
        return 0;
    }
    if (gn != n) {
        snprintf(why, len, "mp_depot_get(%u): expected %u frames, actual %u", id, n, gn);
        return 0;
    }
    for (uint32_t i = 0; i < n; i++) {
        if (got[i] != pcs[i]) {
            snprintf(why, len, "mp_depot_get(%u): frame %u: expected %#lx, actual %#lx", id, i,
                     (unsigned long)pcs[i], (unsigned long)got[i]);
            return 0;
        }
    }
    if (gg != gen) {
        snprintf(why, len, "mp_depot_get(%u): expected gen %u, actual %u", id, gen, gg);
        return 0;
    }
    return 1;
}

/* ---- 1. hand-made stacks ---- */

#define A 0x401136ul
#define B 0x4011a2ul
#define C 0x7ffff7829d90ul
#define D 0x7ffff7829e40ul
#define E 0x555555555189ul
/* Pairs that collide in the current first hash (frame i enters as pc ^ seed_i, seed_0 ^ seed_1 =
 * DL): [P Q] and [Q^DL P^DL] have the same terms, so only the second hash tells them apart.
 * Harmless if the hash changes: then they are just more distinct stacks. */
#define S0 0x243f6a8885a308d3ull
#define DL (S0 ^ (S0 + 0xa4093822299f31d1ull))
#define X 0x7ffff7a05678ul
#define Z ((uintptr_t)(X ^ DL))

struct variant {
    const char *what;
    uint32_t n;
    uintptr_t pcs[8];
};

static const struct variant variants[] = {
    {"[A B C D]", 4, {A, B, C, D}},
    {"[D C B A] (reversed)", 4, {D, C, B, A}},
    {"[B A C D] (first two swapped)", 4, {B, A, C, D}},
    {"[A B D C] (last two swapped)", 4, {A, B, D, C}},
    {"[A C B D] (middle swapped)", 4, {A, C, B, D}},
    {"[A B C] (prefix)", 3, {A, B, C}},
    {"[A B] (shorter prefix)", 2, {A, B}},
    {"[A] (one frame)", 1, {A}},
    {"[] (empty)", 0, {0}},
    {"[A B C D E] (extension)", 5, {A, B, C, D, E}},
    {"[B C D] (suffix)", 3, {B, C, D}},
    {"[A B C D+1] (last frame off by one)", 4, {A, B, C, D + 1}},
    {"[A+1 B C D] (first frame off by one)", 4, {A + 1, B, C, D}},
    {"[A B C D|1<<63] (top bit of the last frame)", 4, {A, B, C, D | (1ul << 63)}},
    {"[A A] (same address, length 2)", 2, {A, A}},
    {"[A A A] (same address, length 3)", 3, {A, A, A}},
    {"[A B B] (B at depths 1, 2)", 3, {A, B, B}},
    {"[A A B] (A at depths 0, 1)", 3, {A, A, B}},
    {"[B A B]", 3, {B, A, B}},
    {"[E A] (A at depth 1)", 2, {E, A}},
    {"[A E] (A at depth 0)", 2, {A, E}},
    {"[X X]", 2, {X, X}},
    {"[X^DL X^DL] (first hash equal to [X X])", 2, {Z, Z}},
    {"[X A]", 2, {X, A}},
    {"[A^DL X^DL] (first hash equal to [X A])", 2, {A ^ DL, Z}},
    {"[X X B] (longer)", 3, {X, X, B}},
    {"[X^DL X^DL B] (longer, first hash equal to [X X B])", 3, {Z, Z, B}},
};
#define NVAR (sizeof variants / sizeof variants[0])

static void test_handmade(void)
{
    phase = "hand-made stacks";
    char why[256];
    mp_stack_id ids[NVAR];
    uint32_t count0 = mp_depot_count();
    CHECK(count0 == 1, "expected mp_depot_count() 1 on an empty depot, actual %u", count0);
    CHECK(mp_depot_get(0, &(uint32_t){0}, NULL) == NULL, "mp_depot_get(0) is not NULL");
    CHECK(mp_depot_get(1, &(uint32_t){0}, NULL) == NULL, "mp_depot_get(1) on an empty depot is not NULL");

    for (unsigned i = 0; i < NVAR; i++) {
        const struct variant *v = &variants[i];
        uint32_t before = mp_depot_count();
        ids[i] = mp_depot_put(v->pcs, v->n, 100 + i);
        CHECK(ids[i] != 0, "%s: put returned 0", v->what);
        CHECK(ids[i] == before, "%s: a new stack got id %u, expected the next id %u", v->what,
              ids[i], before);
        CHECK(mp_depot_count() == before + 1, "%s: count went from %u to %u, expected +1",
              v->what, before, mp_depot_count());
        CHECK(mp_tls.state == MP_IN_PROGRAM, "%s: put left the thread state %d, expected %d",
              v->what, mp_tls.state, MP_IN_PROGRAM);
    }
    for (unsigned i = 0; i < NVAR; i++)
        for (unsigned j = i + 1; j < NVAR; j++)
            CHECK(ids[i] != ids[j], "%s and %s: both got id %u", variants[i].what,
                  variants[j].what, ids[i]);
    /* Again, in reverse order, from copies: the same ids, and no new ones. */
    uint32_t count1 = mp_depot_count();
    for (unsigned i = NVAR; i-- > 0;) {
        uintptr_t copy[8];
        memcpy(copy, variants[i].pcs, sizeof copy);
        mp_stack_id again = mp_depot_put(copy, variants[i].n, 999);
        CHECK(again == ids[i], "%s: second put gave id %u, first %u", variants[i].what, again,
              ids[i]);
    }
    CHECK(mp_depot_count() == count1, "putting known stacks changed the count from %u to %u",
          count1, mp_depot_count());
    for (unsigned i = 0; i < NVAR; i++)
        CHECK(record_is(ids[i], variants[i].pcs, variants[i].n, 100 + i, why, sizeof why),
              "%s: %s", variants[i].what, why);
    for (uint32_t bad = count1; bad < count1 + 3; bad++)
        CHECK(mp_depot_get(bad, &(uint32_t){0}, NULL) == NULL,
              "mp_depot_get(%u) (not handed out, count %u) is not NULL", bad, count1);
    CHECK(mp_depot_get(UINT32_MAX, &(uint32_t){0}, NULL) == NULL,
          "mp_depot_get(UINT32_MAX) is not NULL");

    /* The depot keeps its own copy: the caller's buffer is reused at once. */
    uintptr_t buf[6] = {E, D, C, B, A, E};
    const uintptr_t orig[6] = {E, D, C, B, A, E};
    mp_stack_id id = mp_depot_put(buf, 6, 7);
    for (int i = 0; i < 6; i++)
        buf[i] = 0x1111 * (i + 1);
    CHECK(record_is(id, orig, 6, 7, why, sizeof why), "after the caller reused its buffer: %s", why);
    CHECK(mp_depot_put(orig, 6, 7) == id, "stack put from a reused buffer: id changed");
    CHECK(mp_depot_put(buf, 6, 7) != id, "the buffer's new content got the old stack's id %u", id);

    /* The deepest stack the hooks capture (256 frames), and the same minus its last frame. */
    static uintptr_t deep[256];
    for (int i = 0; i < 256; i++)
        deep[i] = 0x401000 + 0x40 * (uintptr_t)(i % 7) + (uintptr_t)i / 7;
    mp_stack_id d256 = mp_depot_put(deep, 256, 3), d255 = mp_depot_put(deep, 255, 3);
    CHECK(d256 && d255 && d256 != d255, "256 frames: id %u, its 255-frame prefix: id %u", d256, d255);
    CHECK(record_is(d256, deep, 256, 3, why, sizeof why), "256 frames: %s", why);
    CHECK(record_is(d255, deep, 255, 3, why, sizeof why), "255 frames: %s", why);
    CHECK(mp_depot_put(deep, 256, 3) == d256, "256 frames: second put gave another id");

    /* State is restored whatever it was (the hooks call in with MP_IN_TOOL too). */
    mp_tls.state = MP_IN_TOOL;
    uintptr_t t[2] = {A, 0x4242};
    mp_stack_id tid = mp_depot_put(t, 2, 0);
    CHECK(tid != 0, "put in state MP_IN_TOOL returned 0");
    CHECK(mp_tls.state == MP_IN_TOOL, "put left the thread state %d, expected MP_IN_TOOL (%d)",
          mp_tls.state, MP_IN_TOOL);
    mp_tls.state = MP_IN_PROGRAM;
}

/* ---- 2. CRITICAL: a signal handler that interrupted an insert ---- */

static void test_critical_exact(void)
{
    phase = "CRITICAL put with the depot lock held (a handler that interrupted an insert)";
    char why[256];
    uintptr_t known[3] = {A, B, 0xc0ffee};
    uintptr_t fresh[3] = {A, B, 0xc0ffef};
    mp_stack_id kid = mp_depot_put(known, 3, 5);
    uint32_t count = mp_depot_count();

    /* What the interrupted insert holds: the depot lock, and the CRITICAL state. */
    mp_depot_lock();
    mp_tls.state = MP_IN_CRITICAL;
    mp_stack_id k = mp_depot_put(known, 3, 6);
    mp_stack_id f = mp_depot_put(fresh, 3, 6);
    int st = mp_tls.state;
    mp_tls.state = MP_IN_PROGRAM;
    mp_depot_unlock();

    CHECK(k == kid, "CRITICAL put of a known stack: expected its id %u, actual %u", kid, k);
    CHECK(f == 0, "CRITICAL put of a new stack: expected 0, actual %u", f);
    CHECK(st == MP_IN_CRITICAL, "CRITICAL put changed the thread state to %d", st);
    CHECK(mp_depot_count() == count, "CRITICAL put changed the count from %u to %u", count,
          mp_depot_count());

    phase = "put after a CRITICAL put";
    f = mp_depot_put(fresh, 3, 8);
    CHECK(f == count, "the stack refused in CRITICAL, put again: expected id %u, actual %u",
          count, f);
    CHECK(f && record_is(f, fresh, 3, 8, why, sizeof why), "the stack refused in CRITICAL: %s",
          f ? why : "id 0");
}

/* The same from a real signal: a timer interrupts a thread that inserts new stacks; the handler
 * puts a known stack and a new one. Whatever state it interrupted, the known stack gets its id;
 * a new stack gets 0 if the handler interrupted a CRITICAL section, a new id otherwise. */
static volatile sig_atomic_t sig_hits, sig_hits_critical, sig_bad_known, sig_bad_new, sig_bad_state;
static mp_stack_id sig_known_id;
static const uintptr_t sig_known[4] = {E, A, B, C};
static uintptr_t sig_next = 1;

static void on_prof(int sig)
{
    (void)sig;
    int st = mp_tls.state;
    sig_hits++;
    if (st == MP_IN_CRITICAL)
        sig_hits_critical++;
    if (mp_depot_put(sig_known, 4, 0) != sig_known_id)
        sig_bad_known++;
    uintptr_t fresh[2] = {0x5a5a0000000ul + sig_next++, E};
    mp_stack_id id = mp_depot_put(fresh, 2, 0);
    if ((st == MP_IN_CRITICAL) != (id == 0))
        sig_bad_new++;
    if (mp_tls.state != st)
        sig_bad_state++;
}

static void test_critical_signal(void)
{
    phase = "puts from a timer signal handler";
    sig_known_id = mp_depot_put(sig_known, 4, 0);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_prof;
    sigaction(SIGPROF, &sa, NULL);
    struct itimerval it = {{0, 100}, {0, 100}};
    setitimer(ITIMER_PROF, &it, NULL);
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    uint64_t i = 0;
    double secs = 0;
    /* until the handler hit 50 CRITICAL sections, or 3 s */
    while (sig_hits_critical < 50 && secs < 3.0) {
        for (int k = 0; k < 1000; k++, i++) {
            uintptr_t s[3] = {0x6b6b0000000ul + i, A, B};
            mp_depot_put(s, 3, 0);
        }
        clock_gettime(CLOCK_MONOTONIC, &t1);
        secs = (double)(t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;
    }
    struct itimerval off = {{0, 0}, {0, 0}};
    setitimer(ITIMER_PROF, &off, NULL);
    signal(SIGPROF, SIG_IGN);
    printf("  signal handler: %d puts, %d of them in a CRITICAL section, %lu inserts in %.1f s\n",
           (int)sig_hits, (int)sig_hits_critical, (unsigned long)i, secs);
    CHECK(sig_bad_known == 0, "%d of %d handler puts of a known stack did not give its id %u",
          (int)sig_bad_known, (int)sig_hits, sig_known_id);
    CHECK(sig_bad_new == 0,
          "%d of %d handler puts of a new stack: 0 outside a CRITICAL section or an id inside one",
          (int)sig_bad_new, (int)sig_hits);
    CHECK(sig_bad_state == 0, "%d handler puts changed the thread state", (int)sig_bad_state);
    CHECK(mp_tls.state == MP_IN_PROGRAM, "thread state %d after the inserts", mp_tls.state);
}

/* ---- stacks in bulk: storage and an independent index (full frame comparison) ---- */

struct stacks {
    uintptr_t *pcs;   /* all frames */
    size_t *off;      /* stack i: pcs[off[i] .. off[i] + len[i]) */
    uint32_t *len;
    uint32_t n;
};

static const uintptr_t *frames_of(const struct stacks *s, uint32_t i) { return s->pcs + s->off[i]; }

/* Call sites: two "objects" like a PIE and libc. Few enough that stacks share frames. */
static uintptr_t sites[3000];

static void init_sites(void)
{
    for (unsigned i = 0; i < 3000; i++)
        sites[i] = (i & 1 ? 0x7ffff7800000ul + rnd() % 0x1c0000 : 0x555555554000ul + rnd() % 0x40000);
}

/* n random stacks of 1..40 frames. Some are built from earlier ones: exact copies (must get the
 * same id), a frame dropped at the end or added (prefixes), two frames swapped, one frame
 * replaced, or a frame repeated at another depth. unique: stack i's innermost frame is a unique
 * marker, so all are distinct. */
static void make_stacks(struct stacks *s, uint32_t n, int unique, uint64_t base)
{
    s->n = n;
    s->off = malloc(sizeof *s->off * n);
    s->len = malloc(sizeof *s->len * n);
    s->pcs = malloc(sizeof *s->pcs * (size_t)n * 41);
    size_t at = 0;
    for (uint32_t i = 0; i < n; i++) {
        uintptr_t *p = s->pcs + at;
        uint32_t len;
        unsigned how = (unsigned)(rnd() % 20);
        if (i >= 10 && how < 7) {
            uint32_t j = (uint32_t)(rnd() % i);
            const uintptr_t *q = frames_of(s, j);
            len = s->len[j];
            memcpy(p, q, len * sizeof *p);
            if (how == 1 && len > 1)
                len--;
            else if (how == 2 && len < 40)
                p[len++] = sites[rnd() % 3000];
            else if (how == 3 && len > 1) {
                uint32_t a = (uint32_t)(rnd() % len), b = (uint32_t)(rnd() % len);
                uintptr_t t = p[a];
                p[a] = p[b];
                p[b] = t;
            } else if (how == 4)
                p[rnd() % len] = sites[rnd() % 3000];
            else if (how == 5 && len > 1)
                p[rnd() % len] = p[rnd() % len];
            else if (how == 6 && len < 40) {
                memmove(p + 1, p, len * sizeof *p); /* the same frames one level deeper */
                p[0] = p[1];
                len++;
            }
        } else {
            len = 1 + (uint32_t)(rnd() % 40);
            /* outer frames from a small set (main, __libc_start_main), inner ones from all */
            for (uint32_t k = 0; k < len; k++)
                p[k] = sites[len - k <= 3 ? (len - k) * 2 : rnd() % 3000];
        }
        if (unique)
            p[0] = (uintptr_t)(base + i) << 4;
        s->off[i] = at;
        s->len[i] = len;
        at += len;
    }
}

static void free_stacks(struct stacks *s)
{
    free(s->pcs);
    free(s->off);
    free(s->len);
}

static uint64_t my_hash(const uintptr_t *p, uint32_t n)
{
    uint64_t h = 1469598103934665603ull ^ n;
    for (uint32_t i = 0; i < n; i++)
        h = (h ^ p[i]) * 1099511628211ull, h ^= h >> 29;
    return h;
}

/* canon[i] = the first j with the same frames as stack i (full comparison). Returns the number
 * of distinct stacks. */
static uint32_t canonicalise(const struct stacks *s, uint32_t *canon)
{
    uint32_t cap = 1;
    while (cap < s->n * 2)
        cap <<= 1;
    uint32_t *tab = malloc(sizeof *tab * cap);
    memset(tab, 0xff, sizeof *tab * cap);
    uint32_t distinct = 0;
    for (uint32_t i = 0; i < s->n; i++) {
        const uintptr_t *p = frames_of(s, i);
        uint32_t h = (uint32_t)my_hash(p, s->len[i]) & (cap - 1);
        for (;; h = (h + 1) & (cap - 1)) {
            uint32_t j = tab[h];
            if (j == UINT32_MAX) {
                tab[h] = i;
                canon[i] = i;
                distinct++;
                break;
            }
            if (s->len[j] == s->len[i] && !memcmp(frames_of(s, j), p, s->len[i] * sizeof *p)) {
                canon[i] = j;
                break;
            }
        }
    }
    free(tab);
    return distinct;
}

/* ---- 3. many random stacks: the index grows ---- */

static void test_many(void)
{
    phase = "many random stacks: generating";
    char why[256], buf[1024];
    struct stacks s;
    make_stacks(&s, NRANDOM, 0, 0);
    uint32_t *canon = malloc(sizeof *canon * s.n);
    uint32_t distinct = canonicalise(&s, canon);
    mp_stack_id *ids = malloc(sizeof *ids * s.n);
    uint32_t count0 = mp_depot_count();
    uint32_t *owner = malloc(sizeof *owner * (count0 + s.n + 1)); /* id -> stack */
    memset(owner, 0xff, sizeof *owner * (count0 + s.n + 1));

    phase = "many random stacks: inserting";
    unsigned nzero = 0, nwrong_dup = 0, nnot_next = 0, nshared = 0;
    for (uint32_t i = 0; i < s.n; i++) {
        uint32_t before = mp_depot_count();
        mp_stack_id id = mp_depot_put(frames_of(&s, i), s.len[i], i & 0xffff);
        ids[i] = id;
        if (!id) {
            if (nzero++ < 5)
                printf("  stack %u: put returned 0\n", i);
            continue;
        }
        if (canon[i] != i) {
            if (id != ids[canon[i]] && nwrong_dup++ < 5)
                printf("  stack %u equals stack %u: ids %u and %u\n", i, canon[i], id,
                       ids[canon[i]]);
            continue;
        }
        if (id != before && nnot_next++ < 5)
            printf("  new stack %u got id %u, expected the next id %u\n", i, id, before);
        if (id < count0 + s.n + 1) {
            if (owner[id] != UINT32_MAX) {
                if (nshared++ < 5)
                    printf("  stacks %u %s and %u %s share id %u\n", i,
                           show(frames_of(&s, i), s.len[i], buf, 512), owner[id],
                           show(frames_of(&s, owner[id]), s.len[owner[id]], buf + 512, 512),
                           id);
            } else {
                owner[id] = i;
            }
        }
    }
    CHECK(nzero == 0, "%u of %u puts returned 0", nzero, s.n);
    CHECK(nwrong_dup == 0, "%u repeated stacks got an id other than their first put's", nwrong_dup);
    CHECK(nnot_next == 0, "%u new stacks did not get the next id", nnot_next);
    CHECK(nshared == 0, "%u distinct stacks got an id already handed out", nshared);
    CHECK(mp_depot_count() == count0 + distinct,
          "%u distinct stacks (of %u) moved the count from %u to %u, expected %u", distinct, s.n,
          count0, mp_depot_count(), count0 + distinct);
    printf("  %u random stacks, %u distinct; ids %u..%u\n", s.n, distinct, count0,
           mp_depot_count() - 1);

    phase = "many random stacks: checking after growth";
    unsigned nmoved = 0, nrec = 0;
    for (uint32_t i = 0; i < s.n; i++) {
        mp_stack_id again = mp_depot_put(frames_of(&s, i), s.len[i], 12345);
        if (again != ids[i] && nmoved++ < 5)
            printf("  stack %u: id %u after growth, %u before\n", i, again, ids[i]);
        uint32_t c = canon[i];
        if (!record_is(ids[i], frames_of(&s, c), s.len[c], c & 0xffff, why, sizeof why) &&
            nrec++ < 5)
            printf("  stack %u: %s\n", i, why);
    }
    CHECK(nmoved == 0, "%u of %u stacks got another id when put again after growth", nmoved, s.n);
    CHECK(nrec == 0, "%u of %u records differ from what was put", nrec, s.n);
    CHECK(mp_depot_count() == count0 + distinct, "putting known stacks changed the count");

    /* Dense: every id below the count names a record (the earlier tests' stacks included). */
    unsigned nmissing = 0;
    for (uint32_t id = 1; id < mp_depot_count(); id++) {
        uint32_t n;
        if (!mp_depot_get(id, &n, NULL) && nmissing++ < 5)
            printf("  id %u (count %u): no record\n", id, mp_depot_count());
    }
    CHECK(nmissing == 0, "%u ids below the count have no record", nmissing);
    free(owner);
    free(ids);
    free(canon);
    free_stacks(&s);
}

/* ---- 4. threads putting overlapping sets ---- */

static struct stacks pool;
static mp_stack_id tids[NTHREADS][NPOOL];
static pthread_barrier_t start_line;
static unsigned t_zero[NTHREADS], t_rec[NTHREADS], t_state[NTHREADS];

/* Thread t puts every stack i with i % NTHREADS != t (each stack by 3 threads), twice: first all
 * threads in the same order (they race to insert the same new stacks), then each from its own
 * offset and direction. It reads each record back at once, while the others insert. */
static void *putter(void *arg)
{
    int t = (int)(intptr_t)arg;
    char why[256];
    uint64_t rs = 0x1234567 + (uint64_t)t * 0x9E3779B97F4A7C15ull;
    pthread_barrier_wait(&start_line);
    for (int round = 0; round < 2; round++) {
        uint32_t start = round ? (uint32_t)(rnd_r(&rs) % NPOOL) : 0;
        uint32_t step = round && (t & 1) ? NPOOL - 1 : 1;
        for (uint32_t k = 0; k < NPOOL; k++) {
            uint32_t i = (uint32_t)((start + (uint64_t)k * step) % NPOOL);
            if (i % NTHREADS == (uint32_t)t)
                continue;
            mp_stack_id id = mp_depot_put(frames_of(&pool, i), pool.len[i], i);
            if (round == 0)
                tids[t][i] = id;
            else if (id != tids[t][i])
                tids[t][i] = 0; /* reported as a disagreement below */
            if (!id) {
                if (t_zero[t]++ < 3)
                    printf("  thread %d: stack %u: put returned 0\n", t, i);
                continue;
            }
            if (!record_is(id, frames_of(&pool, i), pool.len[i], i, why, sizeof why) &&
                t_rec[t]++ < 3)
                printf("  thread %d: stack %u: read back at once: %s\n", t, i, why);
            if (mp_tls.state != MP_IN_PROGRAM)
                t_state[t]++;
        }
    }
    return NULL;
}

static void test_threads(void)
{
    phase = "threads: generating";
    char why[256];
    make_stacks(&pool, NPOOL, 1, 1);
    uint32_t count0 = mp_depot_count();
    phase = "threads: racing";
    pthread_barrier_init(&start_line, NULL, NTHREADS);
    pthread_t th[NTHREADS];
    for (int t = 0; t < NTHREADS; t++)
        pthread_create(&th[t], NULL, putter, (void *)(intptr_t)t);
    for (int t = 0; t < NTHREADS; t++)
        pthread_join(th[t], NULL);
    pthread_barrier_destroy(&start_line);

    phase = "threads: checking";
    unsigned zero = 0, rec = 0, st = 0;
    for (int t = 0; t < NTHREADS; t++)
        zero += t_zero[t], rec += t_rec[t], st += t_state[t];
    CHECK(zero == 0, "%u puts returned 0 in the threads", zero);
    CHECK(rec == 0, "%u records read back right after the put differed", rec);
    CHECK(st == 0, "%u puts left the thread state other than MP_IN_PROGRAM", st);

    unsigned disagree = 0, outside = 0, nrec = 0, shared = 0;
    uint32_t *owner = calloc(NPOOL, sizeof *owner);
    for (uint32_t i = 0; i < NPOOL; i++) {
        mp_stack_id id = 0;
        for (int t = 0; t < NTHREADS; t++) {
            if (i % NTHREADS == (uint32_t)t)
                continue;
            if (!id)
                id = tids[t][i];
            if (tids[t][i] != id && disagree++ < 5)
                printf("  stack %u: thread %d has id %u, another thread %u (0: changed between "
                       "rounds)\n", i, t, tids[t][i], id);
        }
        if (id < count0 || id >= count0 + NPOOL) {
            if (outside++ < 5)
                printf("  stack %u: id %u outside the new ids %u..%u\n", i, id, count0,
                       count0 + NPOOL - 1);
            continue;
        }
        if (owner[id - count0] && shared++ < 5)
            printf("  stacks %u and %u share id %u\n", i, owner[id - count0] - 1, id);
        owner[id - count0] = i + 1;
        if (!record_is(id, frames_of(&pool, i), pool.len[i], i, why, sizeof why) && nrec++ < 5)
            printf("  stack %u: %s\n", i, why);
    }
    CHECK(disagree == 0, "%u times the threads disagreed on a stack's id", disagree);
    CHECK(outside == 0, "%u stacks got an id outside %u..%u", outside, count0, count0 + NPOOL - 1);
    CHECK(shared == 0, "%u distinct stacks shared an id", shared);
    CHECK(nrec == 0, "%u records differ after the threads joined", nrec);
    CHECK(mp_depot_count() == count0 + NPOOL,
          "%u distinct stacks moved the count from %u to %u, expected %u", NPOOL, count0,
          mp_depot_count(), count0 + NPOOL);
    free(owner);
    free_stacks(&pool);
}

int main(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    signal(SIGALRM, on_alarm);
    alarm(ASAN ? 120 : 60);
    init_sites();
    test_handmade();
    test_critical_exact();
    test_critical_signal();
    test_threads();
    test_many();
    phase = "end";
    return CHECK_DONE();
}
