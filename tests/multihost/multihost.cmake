# The multihost test: master, three workers, a client and a web server, each on its own host (a
# network namespace with its own address). It needs root; without it the script exits 77, which
# ctest reports as skipped rather than passed.
dt_script_test(multihost multihost/run)
set_tests_properties(multihost PROPERTIES SKIP_RETURN_CODE 77 LABELS multihost)
