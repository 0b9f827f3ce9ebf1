# Unit tests: one dt_unit_test() line per tests/unit/test_*.c
