// C++ objects created and destroyed in deep call trees: each call of a recursive walk (6-12
// levels, branching chosen by a seed) builds a small object with a std::string and a
// std::vector, inserts a few entries into a std::map, and every object dies where its scope ends
// (destructors free deep in the tree). Build: g++ -O2 -g -fomit-frame-pointer.
// usage: cxxtree [ROUNDS]
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>
#include <string>
#include <vector>

static inline uint64_t rng(uint64_t &s)
{
    s ^= s << 13;
    s ^= s >> 7;
    s ^= s << 17;
    return s;
}

struct Node {
    std::string name;
    std::vector<int> vals;
    std::unique_ptr<Node> extra;
    Node(uint64_t r) : name("node-with-a-longer-name-" + std::to_string(r & 0xffff)), vals((r >> 20) % 12 + 1, 1) {}
};

static uint64_t sink;

__attribute__((noinline)) static void walk(uint64_t &s, int depth)
{
    uint64_t r = rng(s);
    Node n(r);
    if (r & 1)
        n.extra.reset(new Node(r >> 3));
    std::map<int, std::string> m;
    for (int i = 0; i < 3; i++)
        m.emplace((int)((r >> (i * 5)) & 31), n.name.substr(0, 20 + i));
    sink += n.name.size() + m.size() + n.vals.size();
    if (depth > 0) {
        int kids = 1 + (int)((r >> 40) % 2);
        for (int k = 0; k < kids && depth > 0; k++)
            walk(s, depth - 1 - (int)((r >> (44 + k)) & 1));
    }
}

int main(int argc, char **argv)
{
    long rounds = argc > 1 ? atol(argv[1]) : 3000;
    uint64_t s = 0x9E3779B97F4A7C15ull;
    for (long i = 0; i < rounds; i++)
        walk(s, 6 + (int)(rng(s) % 4));
    std::printf("cxxtree: %ld rounds %llu\n", rounds, (unsigned long long)(sink & 0xff));
    return 0;
}
