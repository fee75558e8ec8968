// C++ containers as most C++ code uses them, from shallow call sites (main and the standard
// library): a std::map<int, std::string> of about 10,000 live entries where each step looks a key
// up and inserts or erases it, a std::unordered_map<uint64_t, std::vector<int>> whose vectors grow
// by push_back and are dropped at 21 elements, and a std::string temporary built by appends.
// Live blocks stay around 40,000 (a working set larger than a core's L2). Build: g++ -O2 -g
// -fomit-frame-pointer.
// usage: cxxcont [STEPS]
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <string>
#include <unordered_map>
#include <vector>

static inline uint64_t rng(uint64_t &s)
{
    s ^= s << 13;
    s ^= s >> 7;
    s ^= s << 17;
    return s;
}

int main(int argc, char **argv)
{
    long steps = argc > 1 ? atol(argv[1]) : 1000000;
    uint64_t s = 88172645463325252ull;
    std::map<int, std::string> names;
    std::unordered_map<uint64_t, std::vector<int>> lists;
    size_t sum = 0;
    for (long i = 0; i < steps; i++) {
        int k = (int)(rng(s) % 20000);
        auto it = names.find(k);
        if (it == names.end()) {
            names.emplace(k, std::string("value-string-number-") + std::to_string(i));
        } else {
            sum += it->second.size();
            names.erase(it);
        }
        uint64_t key = rng(s) % 5000;
        std::vector<int> &v = lists[key];
        v.push_back((int)i);
        if (v.size() > 20)
            lists.erase(key);
        std::string t = "x";
        for (int j = 0; j < (int)(i % 8); j++)
            t += "abcdefghijklmnop";
        sum += t.size();
    }
    std::printf("cxxcont: %ld steps %zu %zu %zu\n", steps, sum & 0xffff, names.size(), lists.size());
    return 0;
}
