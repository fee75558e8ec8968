/* Small containers for the report library (single-threaded, malloc-based): a growable array
 * helper, an open-addressing map from nonzero 64-bit keys to 64-bit values and a string table
 * (distinct strings numbered in order of first use). Header-only. */
#ifndef MP_REPORT_CONTAINERS_H
#define MP_REPORT_CONTAINERS_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* Open-addressing map from a nonzero 64-bit key to a 64-bit value. */
struct u64map {
    uint64_t *keys, *vals;
    size_t cap, n;
};

static inline size_t hash64(uint64_t k)
{
    k ^= k >> 33;
    k *= 0xff51afd7ed558ccdULL;
    k ^= k >> 33;
    k *= 0xc4ceb9fe1a85ec53ULL;
    k ^= k >> 33;
    return (size_t)k;
}

static inline int map_get(const struct u64map *m, uint64_t key, uint64_t *val)
{
    if (!m->cap)
        return 0;
    for (size_t i = hash64(key) & (m->cap - 1);; i = (i + 1) & (m->cap - 1)) {
        if (m->keys[i] == key) {
            *val = m->vals[i];
            return 1;
        }
        if (m->keys[i] == 0)
            return 0;
    }
}

static inline int map_put(struct u64map *m, uint64_t key, uint64_t val)
{
    if ((m->n + 1) * 2 > m->cap) {
        size_t ncap = m->cap ? m->cap * 2 : 64;
        uint64_t *nk = calloc(ncap, sizeof *nk), *nv = calloc(ncap, sizeof *nv);
        if (!nk || !nv) {
            free(nk);
            free(nv);
            return -1;
        }
        for (size_t j = 0; j < m->cap; j++) {
            if (!m->keys[j])
                continue;
            size_t i = hash64(m->keys[j]) & (ncap - 1);
            while (nk[i])
                i = (i + 1) & (ncap - 1);
            nk[i] = m->keys[j];
            nv[i] = m->vals[j];
        }
        free(m->keys);
        free(m->vals);
        m->keys = nk;
        m->vals = nv;
        m->cap = ncap;
    }
    size_t i = hash64(key) & (m->cap - 1);
    while (m->keys[i] && m->keys[i] != key)
        i = (i + 1) & (m->cap - 1);
    if (!m->keys[i])
        m->n++;
    m->keys[i] = key;
    m->vals[i] = val;
    return 0;
}

static inline void map_free(struct u64map *m)
{
    free(m->keys);
    free(m->vals);
    memset(m, 0, sizeof *m);
}

/* Grow a malloc'd array so that it holds at least need elements. */
static inline int grow(void **arr, size_t *cap, size_t need, size_t elem)
{
    if (need <= *cap)
        return 0;
    size_t ncap = *cap ? *cap : 16;
    while (ncap < need)
        ncap *= 2;
    void *p = realloc(*arr, ncap * elem);
    if (!p)
        return -1;
    *arr = p;
    *cap = ncap;
    return 0;
}

/* Distinct strings numbered from 0 in order of first use. The strings are not copied: they must
 * outlive the table. */
struct strtab {
    const char **s;         /* by index */
    size_t n, cap;
    uint32_t *slot;         /* open addressing: index + 1, 0 = empty */
    size_t nslot;
};

static inline uint64_t hash_str(const char *s)
{
    uint64_t h = 1469598103934665603ULL;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ULL;
    return h;
}

/* The index of s, added when new (*added = 1). -1 when out of memory. */
static inline long strtab_index(struct strtab *t, const char *s, int *added)
{
    *added = 0;
    if ((t->n + 1) * 2 > t->nslot) {
        size_t ns = t->nslot ? t->nslot * 2 : 1024;
        uint32_t *slot = calloc(ns, sizeof *slot);
        if (!slot)
            return -1;
        for (size_t i = 0; i < t->n; i++) {
            size_t j = hash_str(t->s[i]) & (ns - 1);
            while (slot[j])
                j = (j + 1) & (ns - 1);
            slot[j] = (uint32_t)i + 1;
        }
        free(t->slot);
        t->slot = slot;
        t->nslot = ns;
    }
    size_t j = hash_str(s) & (t->nslot - 1);
    for (; t->slot[j]; j = (j + 1) & (t->nslot - 1))
        if (!strcmp(t->s[t->slot[j] - 1], s))
            return (long)t->slot[j] - 1;
    if (grow((void **)&t->s, &t->cap, t->n + 1, sizeof *t->s))
        return -1;
    t->s[t->n] = s;
    t->slot[j] = (uint32_t)t->n + 1;
    *added = 1;
    return (long)t->n++;
}

static inline void strtab_free(struct strtab *t)
{
    free(t->s);
    free(t->slot);
    memset(t, 0, sizeof *t);
}

#endif
