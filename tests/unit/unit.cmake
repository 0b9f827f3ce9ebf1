# Unit tests: one dt_unit_test() line per tests/unit/test_*.c
dt_unit_test(test_cli_urls dtcli)
dt_unit_test(test_cli_jsonl dtcli)
dt_unit_test(test_cli_rpc dtcli)
