# Fault points (common/dt_fault.h, docs/TESTING.md): the tests need a master built with them, and a
# normal build has none. So the tests build their own: dtask-master-faults, the master's sources
# compiled again with DTASK_FAULTS, next to the other test tools (not in bin/, which is what ships).
# One build directory then serves `make test` and `make asan` alike.
get_target_property(dt_fault_master_sources dtmaster SOURCES)
get_target_property(dt_fault_master_dir dtmaster SOURCE_DIR)
list(TRANSFORM dt_fault_master_sources PREPEND ${dt_fault_master_dir}/ REGEX "^[^/]")
set(dt_fault_sources ${dt_fault_master_dir}/main.c ${dt_fault_master_sources})
if(NOT DTASK_FAULTS) # else dtcommon has it already
  list(APPEND dt_fault_sources ${PROJECT_SOURCE_DIR}/common/dt_fault.c)
endif()
add_executable(dtask-master-faults ${dt_fault_sources})
# The dashboard page is generated in master/'s scope: say so here, and build it there first.
set_source_files_properties(${CMAKE_BINARY_DIR}/master/dt_www_index.c PROPERTIES GENERATED TRUE)
add_dependencies(dtask-master-faults dtmaster)
target_compile_definitions(dtask-master-faults PRIVATE DTASK_FAULTS)
target_include_directories(dtask-master-faults PRIVATE ${dt_fault_master_dir})
target_link_libraries(dtask-master-faults PRIVATE
  $<TARGET_PROPERTY:dtmaster,INTERFACE_LINK_LIBRARIES>)
set_target_properties(dtask-master-faults PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/tests)

# The fault points' own unit test: parsing DTASK_FAULT and counting reaches.
add_executable(test_fault ${CMAKE_CURRENT_SOURCE_DIR}/unit/test_fault.c ${PROJECT_SOURCE_DIR}/common/dt_fault.c)
target_compile_definitions(test_fault PRIVATE DTASK_FAULTS)
target_link_libraries(test_fault PRIVATE dtcommon)
set_target_properties(test_fault PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/tests)
add_test(NAME test_fault COMMAND test_fault)
set_tests_properties(test_fault PROPERTIES TIMEOUT 120)

# End-to-end: a crash at each point, with the second job submitted before the crash ("both") or
# after the restart ("lost"); a failed store write.
dt_script_test(e2e_fault_dispatch_lost integration/e2e_fault_crash.sh master-after-dispatch lost)
dt_script_test(e2e_fault_dispatch_both integration/e2e_fault_crash.sh master-after-dispatch both)
dt_script_test(e2e_fault_reply_lost integration/e2e_fault_crash.sh master-before-reply lost)
dt_script_test(e2e_fault_reply_both integration/e2e_fault_crash.sh master-before-reply both)
dt_script_test(e2e_fault_store_write integration/e2e_fault_store.sh)
# A CANCEL and a REQUEUE cut short between two steps go on after the restart.
dt_script_test(e2e_steps_restart integration/e2e_steps_restart.sh)
