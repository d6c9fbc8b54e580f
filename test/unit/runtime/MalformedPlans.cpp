//===- MalformedPlans.cpp - Damaged plans are rejected, never crash -------===//
//
// Loads every truncation and a byte flip at every position (and random byte
// values at random positions) of real plans. Each must either be rejected
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
    std::fprintf(stderr, "usage: runtime-malformed-plans PLAN.dlp...\n");
    return 2;
  }
  bool ok = true;
  for (int i = 1; i < argc; ++i) {
    Expected<std::vector<uint8_t>> original = readFile(argv[i]);
    if (!original) {
      std::fprintf(stderr, "%s\n", original.status().message().c_str());
      return 1;
    }
    // Running is cheap only for the small model; larger ones load only.
    bool run = original->size() < 4096;
    Tally tally;
    if (!Plan::fromBytes(*original, argv[i])) {
      std::fprintf(stderr, "%s: the unmodified plan does not load\n", argv[i]);
      return 1;
    }
    for (size_t length = 0; length < original->size(); ++length)
      ok &= tryPlan(std::vector<uint8_t>(original->begin(),
                                         original->begin() + length),
                    false, tally);
    unsigned truncationsLoaded = tally.loaded;
    for (size_t position = 0; position < original->size(); ++position) {
      std::vector<uint8_t> mutant = *original;
      mutant[position] ^= 0xff;
      ok &= tryPlan(std::move(mutant), run, tally);
    }
    std::mt19937 rng(1234);
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
