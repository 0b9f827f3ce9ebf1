# Every input in the fuzz corpus and every crash the fuzzer ever found is decoded on each run.
file(GLOB DT_FUZZ_INPUTS ${CMAKE_SOURCE_DIR}/proto/fuzz/corpus/msg/* ${CMAKE_SOURCE_DIR}/proto/fuzz/regressions/*)
add_test(NAME fuzz_replay COMMAND test_proto --replay ${DT_FUZZ_INPUTS})
