//===- MalformedPlans.cpp - Damaged plans are rejected, never crash -------===//
//
// Loads truncations and byte flips of real plans (every one for small plans,
// the first 16 KiB and a random sample beyond for large ones) and random
// byte values at random positions. Each must either be rejected
// with a message or load into a plan that can be described and run; a crash
// or a sanitizer report fails the test.
//
// usage: runtime-malformed-plans PLAN.dlp...
//
//===----------------------------------------------------------------------===//

#include "dlc/Npy.h"
#include "dlc/Plan.h"
#include "dlc/Session.h"

#include <cstdio>
#include <random>

using namespace dlc::rt;

namespace {

struct Tally {
  unsigned rejected = 0, loaded = 0, ran = 0;
};

bool tryPlan(std::vector<uint8_t> bytes, bool run, Tally &tally) {
  auto plan = Plan::fromBytes(std::move(bytes), "mutant");
  if (!plan) {
    if (plan.status().message().find("not a valid plan") == std::string::npos) {
      std::fprintf(stderr, "unexpected message: %s\n",
                   plan.status().message().c_str());
      return false;
    }
    ++tally.rejected;
    return true;
  }
  ++tally.loaded;
  (void)(*plan)->describe();
  (void)(*plan)->report();
  if (!run)
    return true;
  // Inputs stay zero: the run exercises the steps, not the numbers.
  auto session = Session::create(*plan, DeviceKind::Cpu);
  if (session)
    for (const std::string &program : (*plan)->programNames())
      if ((*session)->run(program))
        ++tally.ran;
  return true;
}

} // namespace

int main(int argc, char **argv) {
  if (argc < 2) {
    std::fprintf(stderr,
                 "usage: runtime-malformed-plans [--run] PLAN.dlp...\n"
                 "  --run: also run the loaded mutants of the next plan\n");
    return 2;
  }
  bool ok = true;
  for (int i = 1; i < argc; ++i) {
    // Running is cheap only for small models; the others load only.
    bool run = std::string(argv[i]) == "--run" && i + 1 < argc;
    if (run)
      ++i;
    Expected<std::vector<uint8_t>> original = readFile(argv[i]);
    if (!original) {
      std::fprintf(stderr, "%s\n", original.status().message().c_str());
      return 1;
    }
    Tally tally;
    if (!Plan::fromBytes(*original, argv[i])) {
      std::fprintf(stderr, "%s: the unmodified plan does not load\n", argv[i]);
      return 1;
    }

    // Small plans: every truncation and every flipped byte. Large ones: the
    // first 4 KiB exhaustively (the tables' headers), then a sample.
    std::mt19937 rng(1234);
    const size_t size = original->size();
    auto positions = [&](size_t exhaustive) {
      std::vector<size_t> list;
      for (size_t i = 0; i < std::min(size, exhaustive); ++i)
        list.push_back(i);
      for (size_t i = exhaustive; i < size && list.size() < exhaustive + 4000;
           ++i)
        list.push_back(exhaustive + rng() % (size - exhaustive));
      return list;
    };
    for (size_t length : positions(16384))
      ok &= tryPlan(std::vector<uint8_t>(original->begin(),
                                         original->begin() + length),
                    false, tally);
    unsigned truncationsLoaded = tally.loaded;
    for (size_t position : positions(16384)) {
      std::vector<uint8_t> mutant = *original;
      mutant[position] ^= 0xff;
      ok &= tryPlan(std::move(mutant), run, tally);
    }
    for (int trial = 0; trial < 3000; ++trial) {
      std::vector<uint8_t> mutant = *original;
      for (int k = 0; k < 1 + trial % 4; ++k)
        mutant[rng() % mutant.size()] = uint8_t(rng());
      ok &= tryPlan(std::move(mutant), run, tally);
    }
    std::printf("%s: %zu bytes; %u mutants rejected, %u loaded (%u runs "
                "completed); truncations loaded: %u\n",
                argv[i], original->size(), tally.rejected, tally.loaded,
                tally.ran, truncationsLoaded);
    if (truncationsLoaded != 0) {
      std::fprintf(stderr, "a truncated plan loaded\n");
      ok = false;
    }
  }
  return ok ? 0 : 1;
}
