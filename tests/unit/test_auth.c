/* test_auth.c - CURVE keys and the ZAP handler: only listed keys get in, each in its own role. */
#include "dt_auth.h"
#include "dt_msg.h"
#include "dt_sock.h"
#include "dt_test.h"

#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

static char s_dir[64];

static void s_keygen (const char *sub, const char *name, const char *role)
{
    char dir[128], err[256];
    snprintf (dir, sizeof dir, "%s%s", s_dir, sub);
    if (dt_auth_keygen (dir, name, role, err, sizeof err) != 0) {
        fprintf (stderr, "keygen: %s\n", err);
        exit (1);
    }
}

static zcert_t *s_load (const char *file)
{
    char path[256], err[256];
    snprintf (path, sizeof path, "%s/%s", s_dir, file);
    return dt_auth_load_cert (path, 1, err, sizeof err);
}

static void test_keygen_writes_a_private_secret_and_never_overwrites (void)
{
    char path[256], err[256];
    snprintf (path, sizeof path, "%s/clients/c1.key_secret", s_dir);
    struct stat st;
    DT_CHECK_EQ (stat (path, &st), 0);
    DT_CHECK_EQ (st.st_mode & 077, 0);
    snprintf (path, sizeof path, "%s/clients", s_dir);
    DT_CHECK_EQ (dt_auth_keygen (path, "c1", "client", err, sizeof err), -1);
    DT_CHECK (strstr (err, "not overwriting"));
    DT_CHECK_EQ (dt_auth_keygen (path, "../evil", "client", err, sizeof err), -1);
    DT_CHECK_EQ (dt_auth_keygen (path, "", "client", err, sizeof err), -1);
}

static void test_a_public_key_file_is_not_a_key_pair (void)
{
    /* Alone in its directory: czmq reads NAME.key_secret instead when it exists. */
    char path[256], err[256];
    snprintf (path, sizeof path, "mkdir -p %s/pub && cp %s/master.key %s/pub/", s_dir, s_dir,
              s_dir);
    DT_CHECK_EQ (system (path), 0);
    snprintf (path, sizeof path, "%s/pub/master.key", s_dir);
    DT_CHECK (dt_auth_load_cert (path, 1, err, sizeof err) == NULL);
    DT_CHECK (strstr (err, "no secret"));
    zcert_t *pub = dt_auth_load_cert (path, 0, err, sizeof err);
    DT_CHECK (pub);
    zcert_destroy (&pub);
    snprintf (path, sizeof path, "%s/none.key", s_dir);
    DT_CHECK (dt_auth_load_cert (path, 0, err, sizeof err) == NULL);
    DT_CHECK (strstr (err, "No such file"));
}

static void test_a_directory_without_the_master_key_is_refused (void)
{
    char err[256];
    DT_CHECK (dt_auth_new ("/nonexistent-dtask-keys", err, sizeof err) == NULL);
    DT_CHECK (strstr (err, "not a directory"));
    char dir[128];
    snprintf (dir, sizeof dir, "%s/workers", s_dir);
    DT_CHECK (dt_auth_new (dir, err, sizeof err) == NULL);
    DT_CHECK (strstr (err, "master.key_secret"));
}

static void test_a_writable_key_file_deep_in_an_allow_list_is_refused (void)
{
    /* zcertstore reads the whole tree under workers/, so a group-writable
     * key file or directory in a subdirectory lets the group add a key.
     * (Only refusals here: they come before the ZAP handler is bound.) */
    char keys[80], cmd[1024], err[512];
    snprintf (keys, sizeof keys, "%s/deep", s_dir);
    snprintf (
        cmd, sizeof cmd,
        "mkdir -p %s/workers/site/a && chmod -R go-w %s && cp %s/master.key %s/master.key_secret "
        "%s/ && cp %s/workers/w1.key %s/workers/site/a/ && chmod 600 %s/master.key_secret && "
        "chmod 664 %s/workers/site/a/w1.key",
        keys, keys, s_dir, s_dir, keys, s_dir, keys, keys, keys);
    DT_CHECK_EQ (system (cmd), 0);
    dt_auth_t *auth = dt_auth_new (keys, err, sizeof err);
    DT_CHECK (auth == NULL);
    DT_CHECK (strstr (err, "site/a/w1.key has mode 0664"));
    snprintf (cmd, sizeof cmd, "chmod 644 %s/workers/site/a/w1.key && chmod 775 %s/workers/site/a",
              keys, keys);
    DT_CHECK_EQ (system (cmd), 0);
    auth = dt_auth_new (keys, err, sizeof err);
    DT_CHECK (auth == NULL);
    DT_CHECK (strstr (err, "allow-list directory"));
    DT_CHECK (strstr (err, "site/a has mode 0775"));
}
/* The key the master saw in the last s_try (Z85; "" when none). */
static char s_key_seen[41];

/* Connects a DEALER with `key` (NULL: plaintext) to `endpoint`, sends a
 * HEARTBEAT, and says which role the master saw, or "" when nothing came
 * within the wait (and which key, in s_key_seen). */
static void s_try (dt_auth_t *auth, zsock_t *router, const char *endpoint, const char *key,
                   const char *server_key, char *role, size_t role_size)
{
    zcert_t *cert = key ? s_load (key) : NULL;
    dt_sock_curve_t curve = {cert, server_key, NULL};
    dt_sock_set_curve (key ? &curve : NULL);
    char err[256];
    zsock_t *dealer = dt_sock_new_dealer (endpoint, err, sizeof err);
    dt_msg_t msg;
    dt_msg_init (&msg);
    msg.type = DT_MSG_HEARTBEAT;
    dt_msg_send (&msg, zsock_resolve (dealer), NULL);

    snprintf (role, role_size, "%s", "");
    s_key_seen[0] = '\0';
    zpoller_t *poller = zpoller_new (router, dt_auth_socket (auth), NULL);
    int64_t deadline = zclock_mono () + 1500;
    while (zclock_mono () < deadline) {
        void *which = zpoller_wait (poller, 100);
        if (which == dt_auth_socket (auth))
            dt_auth_handle (auth);
        else if (which == router) {
            dt_peer_t peer;
            if (dt_msg_recv (&msg, zsock_resolve (router), &peer, ZMQ_DONTWAIT) == 0) {
                snprintf (role, role_size, "%s", peer.role);
                snprintf (s_key_seen, sizeof s_key_seen, "%s", peer.key);
            }
            dt_msg_reset (&msg);
            break;
        }
    }
    zpoller_destroy (&poller);
    zsock_destroy (&dealer);
    zcert_destroy (&cert);
    dt_sock_set_curve (NULL);
}

static void test_only_listed_keys_get_in_each_in_its_role (void)
{
    char err[256];
    dt_auth_t *auth = dt_auth_new (s_dir, err, sizeof err);
    DT_CHECK (auth);
    dt_sock_curve_t server = {dt_auth_cert (auth), NULL, DT_AUTH_DOMAIN};
    dt_sock_set_curve (&server);
    zsock_t *router = dt_sock_new_router ("tcp://127.0.0.1:*", err, sizeof err);
    dt_sock_set_curve (NULL);
    DT_CHECK (router);
    const char *endpoint = zsock_endpoint (router);
    const char *master_key = zcert_public_txt (dt_auth_cert (auth));

    char role[16];
    s_try (auth, router, endpoint, "workers/w1.key_secret", master_key, role, sizeof role);
    DT_CHECK (strcmp (role, "worker") == 0);
    /* Each message also names the key it came over: one worker key is not another. */
    zcert_t *w1 = s_load ("workers/w1.key_secret");
    DT_CHECK (w1 && strcmp (s_key_seen, zcert_public_txt (w1)) == 0);
    zcert_destroy (&w1);
    s_try (auth, router, endpoint, "clients/c1.key_secret", master_key, role, sizeof role);
    DT_CHECK (strcmp (role, "client") == 0);
    DT_CHECK_EQ (dt_auth_denied (auth), 0);

    /* A key nobody listed, and a key listed but used against the wrong master key. */
    s_try (auth, router, endpoint, "stranger.key_secret", master_key, role, sizeof role);
    DT_CHECK (strcmp (role, "") == 0);
    DT_CHECK_EQ (dt_auth_denied (auth), 1);
    zcert_t *other = zcert_new ();
    s_try (auth, router, endpoint, "workers/w1.key_secret", zcert_public_txt (other), role,
           sizeof role);
    zcert_destroy (&other);
    DT_CHECK (strcmp (role, "") == 0);

    /* A plaintext peer never completes the handshake. */
    s_try (auth, router, endpoint, NULL, NULL, role, sizeof role);
    DT_CHECK (strcmp (role, "") == 0);
    DT_CHECK (strcmp (s_key_seen, "") == 0);

    /* A key added while the master runs is admitted. */
    s_keygen ("/workers", "w2", "worker");
    s_try (auth, router, endpoint, "workers/w2.key_secret", master_key, role, sizeof role);
    DT_CHECK (strcmp (role, "worker") == 0);

    zsock_destroy (&router);
    dt_auth_destroy (&auth);
}

int main (void)
{
    snprintf (s_dir, sizeof s_dir, "/tmp/dtask-auth-XXXXXX");
    if (!mkdtemp (s_dir))
        return 1;
    s_keygen ("", "master", "master");
    s_keygen ("/workers", "w1", "worker");
    s_keygen ("/clients", "c1", "client");
    s_keygen ("", "stranger", "worker");
    static dt_test_t tests[] = {
        {"keygen writes a private secret and never overwrites",
         test_keygen_writes_a_private_secret_and_never_overwrites},
        {"a public key file is not a key pair", test_a_public_key_file_is_not_a_key_pair},
        {"a directory without the master key is refused",
         test_a_directory_without_the_master_key_is_refused},
        {"only listed keys get in, each in its role",
         test_only_listed_keys_get_in_each_in_its_role},
        {"a writable key file deep in an allow-list is refused",
         test_a_writable_key_file_deep_in_an_allow_list_is_refused},
        {0},
    };
    int rc = dt_test_run (tests);
    char cmd[128];
    snprintf (cmd, sizeof cmd, "rm -rf %s", s_dir);
    if (system (cmd) != 0)
        rc = 1;
    zsys_shutdown ();
    return rc;
}
