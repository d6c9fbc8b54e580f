//===- FuzzTarget.h - The libFuzzer entry point ---------------*- C++ -*-===//
//
// Every fuzz target defines this; libFuzzer calls it with each input it
// makes up, Replay.cpp with saved ones. It must return 0 and never crash,
// leak or trip a sanitizer, whatever the bytes.
//
//===----------------------------------------------------------------------===//

#ifndef DLC_TEST_FUZZ_FUZZTARGET_H
#define DLC_TEST_FUZZ_FUZZTARGET_H

#include <cstddef>
#include <cstdint>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#endif // DLC_TEST_FUZZ_FUZZTARGET_H
