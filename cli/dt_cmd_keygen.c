/* dt_cmd_keygen.c - `dtask keygen NAME`: a CURVE key pair for a master, worker or client. */
#include "dt_auth.h"
#include "dt_cli.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

static const char s_usage[] =
    "usage: dtask keygen [--role master|worker|client] [--dir DIR] NAME\n"
    "\n"
    "Writes a CURVE key pair in czmq's certificate format: DIR/NAME.key (public,\n"
    "give it to the master's allow-list or to peers) and DIR/NAME.key_secret (keep\n"
    "it on the host that uses it; mode 0600). Never overwrites a key.\n"
    "\n"
    "  -r, --role ROLE  master, worker or client (default client), recorded in the key\n"
    "  -d, --dir DIR    where to write (default: the current directory)\n"
    "  -h, --help       this help\n"
    "\n"
    "A master's key directory (dtask-master --keys DIR) holds master.key_secret,\n"
    "workers/NAME.key for each worker and clients/NAME.key for each client.\n";

int dt_cmd_keygen (const dt_cli_opts_t *opts, int argc, char **argv)
{
    static const struct option longopts[] = {
        {"role", required_argument, NULL, 'r'},
        {"dir", required_argument, NULL, 'd'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *role = "client", *dir = ".";
    int c;
    optind = 0;
    opterr = 0;
    while ((c = getopt_long (argc, argv, ":r:d:h", longopts, NULL)) != -1) {
        switch (c) {
        case 'r':
            role = optarg;
            break;
        case 'd':
            dir = optarg;
            break;
        case 'h':
            fputs (s_usage, stdout);
            return DT_CLI_EXIT_OK;
        default:
            return dt_cli_bad_option (c, argv, s_usage);
        }
    }
    if (strcmp (role, "master") != 0 && strcmp (role, "worker") != 0 &&
        strcmp (role, "client") != 0)
        return dt_cli_usage_error (s_usage, "keygen: --role must be master, worker or client");
    if (optind != argc - 1)
        return dt_cli_usage_error (s_usage, "keygen: give exactly one NAME");
    const char *name = argv[optind];
    char err[512];
    if (dt_auth_keygen (dir, name, role, err, sizeof err) != 0) {
        fprintf (stderr, "dtask: keygen: %s\n", err);
        return DT_CLI_EXIT_FAIL;
    }
    if (!opts->quiet)
        printf ("wrote %s/%s.key and %s/%s.key_secret (%s)\n", dir, name, dir, name, role);
    return dt_cli_flush_stdout () == 0 ? DT_CLI_EXIT_OK : DT_CLI_EXIT_FAIL;
}
