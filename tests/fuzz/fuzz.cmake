# libFuzzer targets for the parsers of network input beyond the wire codec (proto/fuzz has that
# one): a crawled page's links (fuzz_links), robots.txt (fuzz_robots), the small text parsers
# (fuzz_fields: submitted URLs, per-job headers, Retry-After, X-Robots-Tag) and a capture read back
# by `dtask get` (fuzz_warc). scripts/fuzz runs them
# under a clang -DDTASK_FUZZ=ON build; every other build replays their seed corpus
# (tests/fuzz/corpus/NAME) and their saved crashes (tests/fuzz/regressions/NAME) as ctests.
set(DT_FUZZ_DIR ${CMAKE_CURRENT_SOURCE_DIR}/fuzz)
foreach(name links robots fields warc)
  if(name STREQUAL "robots")
    set(libs dtcommon)
  elseif(name STREQUAL "warc")
    set(libs dtcli)
  else()
    set(libs dtworker)
  endif()
  if(DTASK_FUZZ)
    add_executable(fuzz_${name} ${DT_FUZZ_DIR}/fuzz_${name}.c)
    target_compile_options(fuzz_${name} PRIVATE -fsanitize=fuzzer,address,undefined)
    target_link_options(fuzz_${name} PRIVATE -fsanitize=fuzzer,address,undefined)
    target_link_libraries(fuzz_${name} PRIVATE ${libs})
    set_target_properties(fuzz_${name} PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/fuzz)
  else()
    add_executable(fuzz_${name}_replay ${DT_FUZZ_DIR}/fuzz_${name}.c ${DT_FUZZ_DIR}/replay_main.c)
    target_link_libraries(fuzz_${name}_replay PRIVATE ${libs})
    set_target_properties(fuzz_${name}_replay PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/tests)
    file(GLOB inputs ${DT_FUZZ_DIR}/corpus/${name}/* ${DT_FUZZ_DIR}/regressions/${name}/*)
    add_test(NAME fuzz_replay_${name} COMMAND fuzz_${name}_replay ${inputs})
  endif()
endforeach()
