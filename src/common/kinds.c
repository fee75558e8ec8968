/* Parsing of leak-kind lists, shared by the option parser and the suppression parser.
 * Allocation-free. */
#include "common/kinds.h"

#include <stddef.h>

static int word_is(const char *w, size_t n, const char *lit)
{
    size_t i = 0;
    for (; i < n && lit[i]; i++) {
        char c = w[i];
        if (c >= 'A' && c <= 'Z')
            c = (char)(c + 32);
        if (c != lit[i])
            return 0;
    }
    return i == n && !lit[i];
}

int mp_leak_kinds_parse(const char *s, size_t n, unsigned *out, const char **bad, size_t *badn)
{
    unsigned m = 0;
    size_t i = 0;
    if (n == 0) {
        *bad = s;
        *badn = 0;
        return -1;
    }
    for (;;) {
        size_t j = i;
        while (j < n && s[j] != ',')
            j++;
        const char *w = s + i;
        size_t wn = j - i;
        while (wn && (*w == ' ' || *w == '\t')) {
            w++;
            wn--;
        }
        while (wn && (w[wn - 1] == ' ' || w[wn - 1] == '\t'))
            wn--;
        if (word_is(w, wn, "definite"))
            m |= 1u << MP_LEAK_DEFINITE;
        else if (word_is(w, wn, "indirect"))
            m |= 1u << MP_LEAK_INDIRECT;
        else if (word_is(w, wn, "possible"))
            m |= 1u << MP_LEAK_POSSIBLE;
        else if (word_is(w, wn, "reachable"))
            m |= 1u << MP_LEAK_REACHABLE;
        else if (word_is(w, wn, "all"))
            m |= 15;
        else if (!word_is(w, wn, "none")) {
            *bad = w;
            *badn = wn;
            return -1;
        }
        if (j >= n)
            break;
        i = j + 1;
    }
    *out = m;
    return 0;
}

int mp_heuristics_parse(const char *s, size_t n, unsigned *out)
{
    static const char *const all[] = {"all", "yes", "1", "true", "on"};
    static const char *const none[] = {"none", "no", "0", "false", "off"};
    for (unsigned i = 0; i < sizeof all / sizeof all[0]; i++) {
        if (word_is(s, n, all[i])) {
            *out = MP_HEUR_ALL;
            return 0;
        }
        if (word_is(s, n, none[i])) {
            *out = 0;
            return 0;
        }
    }
    unsigned m = 0;
    int words = 0;
    size_t i = 0;
    while (i < n) {
        size_t j = i;
        while (j < n && s[j] != ',')
            j++;
        if (j > i) {
            unsigned h = 0;
            while (h < MP_HEUR_N && !word_is(s + i, j - i, mp_heuristic_name(h)))
                h++;
            if (h == MP_HEUR_N)
                return -1; /* all and none too: valgrind takes them alone only */
            m |= 1u << h;
            words++;
        }
        i = j + 1;
    }
    if (!words)
        return -1;
    *out = m;
    return 0;
}
