# End-to-end tests: one dt_script_test() line per script
dt_script_test(httpd_selftest integration/httpd_selftest.sh)
dt_script_test(e2e_crawl integration/e2e_crawl.sh)
dt_script_test(e2e_retries integration/e2e_retries.sh)
dt_script_test(e2e_worker_loss integration/e2e_worker_loss.sh)
dt_script_test(e2e_master_restart integration/e2e_master_restart.sh)
dt_script_test(cli_errors integration/cli_errors.sh)
include(${CMAKE_CURRENT_SOURCE_DIR}/multihost/multihost.cmake)
