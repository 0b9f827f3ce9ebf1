# End-to-end tests: one dt_script_test() line per script
