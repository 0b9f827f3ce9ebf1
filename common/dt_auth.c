/* dt_auth.c - CURVE keys and the master's ZAP handler (RFC 27). */
#include "dt_auth.h"
#include "dt_log.h"
#include "dt_sock.h"

#include <dirent.h>
#include <errno.h>
#include <string.h>
#include <sys/stat.h>

#define S_ZAP_ENDPOINT    "inproc://zeromq.zap.01"
#define S_CURVE_KEY_BYTES 32

struct dt_auth_t {
    zsock_t *zap;          /* REP bound on the ZAP endpoint */
    zcert_t *cert;         /* the master's key pair */
    zcertstore_t *workers; /* public keys admitted as workers */
    zcertstore_t *clients; /* public keys admitted as clients */
    uint64_t denied;       /* handshakes refused */
};

static int s_is_dir (const char *path)
{
    struct stat st;
    return stat (path, &st) == 0 && S_ISDIR (st.st_mode);
}

/* As ssh does: a secret key that group or others can read is refused,
 * with the mode and the fix. A missing file passes (the caller says so). */
static int s_check_secret_mode (const char *path, char *err, size_t err_size)
{
    struct stat st;
    if (stat (path, &st) != 0 || (st.st_mode & 077) == 0)
        return 0;
    snprintf (err, err_size,
              "key file %s has mode 0%03o: a secret key must be readable by its owner only; run "
              "chmod 600 %s",
              path, (unsigned) (st.st_mode & 0777), path);
    return -1;
}

/* A key directory or allow-list that group or others can write to would
 * let them add a key of their own: refused, with the mode and the fix. A
 * missing path passes (an empty allow-list). */
static int s_check_not_writable (const char *what, const char *path, char *err, size_t err_size)
{
    struct stat st;
    if (stat (path, &st) != 0 || (st.st_mode & 022) == 0)
        return 0;
    snprintf (err, err_size,
              "%s %s has mode 0%03o: group or others can write to it and add keys; run chmod "
              "go-w %s",
              what, path, (unsigned) (st.st_mode & 0777), path);
    return -1;
}

/* Subdirectories of an allow-list checked: zcertstore reads every file of
 * the whole tree, and no real allow-list is nested this deep, so a deeper
 * one (or a symlink loop) is refused rather than walked without end. */
#define S_ALLOW_LIST_DEPTH_MAX 8

/* An allow-list directory and every file in it and in its subdirectories,
 * as zcertstore reads them (zdir_flatten walks the whole tree; dot files
 * are skipped there too): a group-writable key file two levels down
 * admits a key as surely as one at the top. */
static int s_check_allow_list (const char *dir, int depth, char *err, size_t err_size)
{
    if (s_check_not_writable ("allow-list directory", dir, err, err_size) != 0)
        return -1;
    DIR *d = opendir (dir);
    if (!d)
        return 0;
    int rc = 0;
    struct dirent *e;
    while (rc == 0 && (e = readdir (d))) {
        if (e->d_name[0] == '.')
            continue;
        char path[4096];
        int n = snprintf (path, sizeof path, "%s/%s", dir, e->d_name);
        if (n < 0 || (size_t) n >= sizeof path) {
            snprintf (err, err_size, "allow-list path too long under %s", dir);
            rc = -1;
        } else if (!s_is_dir (path))
            rc = s_check_not_writable ("allow-list key file", path, err, err_size);
        else if (depth >= S_ALLOW_LIST_DEPTH_MAX) {
            snprintf (err, err_size, "allow-list directory %s is nested over %d levels deep", path,
                      S_ALLOW_LIST_DEPTH_MAX);
            rc = -1;
        } else
            rc = s_check_allow_list (path, depth + 1, err, err_size);
    }
    closedir (d);
    return rc;
}

zcert_t *dt_auth_load_cert (const char *path, int need_secret, char *err, size_t err_size)
{
    if (!zsys_file_exists (path)) {
        snprintf (err, err_size, "key file %s: %s", path, strerror (ENOENT));
        return NULL;
    }
    zcert_t *cert = zcert_load (path);
    if (!cert) {
        snprintf (err, err_size, "key file %s: not a CURVE certificate", path);
        return NULL;
    }
    /* A public-only certificate has an all-zero secret. */
    static const char zero[41] = "0000000000000000000000000000000000000000";
    if (need_secret && strcmp (zcert_secret_txt (cert), zero) == 0) {
        snprintf (err, err_size, "key file %s holds no secret key (use NAME.key_secret)", path);
        zcert_destroy (&cert);
        return NULL;
    }
    /* zcert_load reads PATH_secret in preference to PATH: the secret came
     * from that file when it exists. */
    char secret_path[4200];
    snprintf (secret_path, sizeof secret_path, "%s_secret", path);
    if (need_secret &&
        s_check_secret_mode (zsys_file_exists (secret_path) ? secret_path : path, err, err_size)) {
        zcert_destroy (&cert);
        return NULL;
    }
    return cert;
}

dt_auth_t *dt_auth_new (const char *dir, char *err, size_t err_size)
{
    if (!zsys_has_curve ()) {
        snprintf (err, err_size, "this libzmq was built without CURVE support");
        return NULL;
    }
    if (!s_is_dir (dir)) {
        snprintf (err, err_size, "key directory %s: not a directory", dir);
        return NULL;
    }
    dt_auth_t *self = calloc (1, sizeof *self);
    if (!self) {
        snprintf (err, err_size, "out of memory");
        return NULL;
    }
    char path[4096];
    if (s_check_not_writable ("key directory", dir, err, err_size) != 0)
        goto fail;
    snprintf (path, sizeof path, "%s/master.key_secret", dir);
    self->cert = dt_auth_load_cert (path, 1, err, err_size);
    if (!self->cert)
        goto fail;
    snprintf (path, sizeof path, "%s/workers", dir);
    if (s_check_allow_list (path, 0, err, err_size) != 0)
        goto fail;
    self->workers = zcertstore_new (path);
    snprintf (path, sizeof path, "%s/clients", dir);
    if (s_check_allow_list (path, 0, err, err_size) != 0)
        goto fail;
    self->clients = zcertstore_new (path);
    if (!self->workers || !self->clients) {
        snprintf (err, err_size, "cannot read the allow-lists in %s", dir);
        goto fail;
    }
    self->zap = zsock_new (ZMQ_REP);
    if (!self->zap || zsock_bind (self->zap, S_ZAP_ENDPOINT) != 0) {
        snprintf (err, err_size, "cannot bind the ZAP handler: %s", zmq_strerror (zmq_errno ()));
        goto fail;
    }
    return self;
fail:
    dt_auth_destroy (&self);
    return NULL;
}

void dt_auth_destroy (dt_auth_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    dt_auth_t *self = *self_p;
    zsock_destroy (&self->zap);
    zcertstore_destroy (&self->workers);
    zcertstore_destroy (&self->clients);
    zcert_destroy (&self->cert);
    free (self);
    *self_p = NULL;
}

zcert_t *dt_auth_cert (dt_auth_t *self)
{
    return self->cert;
}

zsock_t *dt_auth_socket (dt_auth_t *self)
{
    return self->zap;
}

uint64_t dt_auth_denied (const dt_auth_t *self)
{
    return self->denied;
}

/* The role a CURVE public key is admitted in, or NULL. */
static const char *s_role (dt_auth_t *self, const uint8_t *key)
{
    char text[41];
    zmq_z85_encode (text, key, S_CURVE_KEY_BYTES);
    if (zcertstore_lookup (self->workers, text))
        return DT_AUTH_ROLE_WORKER;
    if (zcertstore_lookup (self->clients, text))
        return DT_AUTH_ROLE_CLIENT;
    return NULL;
}

/* One request: [version, request id, domain, address, identity, mechanism,
 * credentials...]; the reply: [version, request id, status, text, user id,
 * metadata]. Anything but a listed CURVE key is refused. */
static int s_answer (dt_auth_t *self, zmsg_t *request)
{
    char *version = zmsg_popstr (request);
    char *request_id = zmsg_popstr (request);
    char *domain = zmsg_popstr (request);
    char *address = zmsg_popstr (request);
    char *identity = zmsg_popstr (request);
    char *mechanism = zmsg_popstr (request);
    zframe_t *key = zmsg_pop (request);

    const char *role = NULL;
    const char *why = "malformed ZAP request";
    if (version && strcmp (version, "1.0") == 0 && mechanism) {
        if (strcmp (mechanism, "CURVE") != 0)
            why = "CURVE required";
        else if (!key || zframe_size (key) != S_CURVE_KEY_BYTES)
            why = "bad CURVE key";
        else if (!(role = s_role (self, zframe_data (key))))
            why = "key not in the allow-list";
    }
    if (!role) {
        char text[41] = "-";
        if (key && zframe_size (key) == S_CURVE_KEY_BYTES)
            zmq_z85_encode (text, zframe_data (key), S_CURVE_KEY_BYTES);
        char where[64];
        dt_log_escape (where, sizeof where, address ? address : "?",
                       address ? strnlen (address, 46) : 1, 46);
        dt_log_peer_warn ("AUTH-DENIED", "%s from %s (key %s)", why, where, text);
        self->denied++;
    }
    zmsg_t *reply = zmsg_new ();
    zmsg_addstr (reply, "1.0");
    zmsg_addstr (reply, request_id ? request_id : "");
    zmsg_addstr (reply, role ? "200" : "400");
    zmsg_addstr (reply, role ? "OK" : why);
    zmsg_addstr (reply, role ? role : "");
    /* ZAP metadata: the key itself, as property "Key" of every message of
     * the connection, so the master can tell one worker key from another
     * (a result is recorded only from the key its lease was given to).
     * ZMTP property: name length (1 byte), name, value length (4 bytes,
     * big endian), value. */
    uint8_t meta[1 + 3 + 4 + 40];
    size_t meta_len = 0;
    if (role) {
        char text[41];
        zmq_z85_encode (text, zframe_data (key), S_CURVE_KEY_BYTES);
        meta[0] = 3;
        memcpy (meta + 1, "Key", 3);
        meta[4] = meta[5] = meta[6] = 0;
        meta[7] = 40;
        memcpy (meta + 8, text, 40);
        meta_len = sizeof meta;
    }
    zmsg_addmem (reply, meta_len ? meta : NULL, meta_len);
    int rc = zmsg_send (&reply, self->zap);

    zframe_destroy (&key);
    zstr_free (&version);
    zstr_free (&request_id);
    zstr_free (&domain);
    zstr_free (&address);
    zstr_free (&identity);
    zstr_free (&mechanism);
    return rc;
}

int dt_auth_handle (dt_auth_t *self)
{
    void *zap = zsock_resolve (self->zap);
    for (int n = 0; n < DT_AUTH_ZAP_PER_TURN && (zsock_events (self->zap) & ZMQ_POLLIN); n++) {
        zmsg_t *request = zmsg_recv (zap);
        if (!request)
            return -1;
        int rc = s_answer (self, request);
        zmsg_destroy (&request);
        if (rc != 0)
            return -1;
    }
    return 0;
}

int dt_auth_keygen (const char *dir, const char *name, const char *role, char *err, size_t err_size)
{
    if (!zsys_has_curve ()) {
        snprintf (err, err_size, "this libzmq was built without CURVE support");
        return -1;
    }
    if (!*name || strchr (name, '/') || name[0] == '.') {
        snprintf (err, err_size, "bad key name '%s': use letters, digits, '-' and '_'", name);
        return -1;
    }
    char path[4096], secret[4200];
    snprintf (path, sizeof path, "%s/%s.key", dir, name);
    snprintf (secret, sizeof secret, "%s_secret", path);
    if (zsys_file_exists (path) || zsys_file_exists (secret)) {
        snprintf (err, err_size, "%s exists: not overwriting a key", path);
        return -1;
    }
    /* Directories made here are the owner's only: a master refuses a key
     * directory or allow-list others can write to (under umask 002 czmq's
     * 0775 would be group-writable). */
    mode_t dir_umask = umask (077);
    int made = zsys_dir_create ("%s", dir);
    umask (dir_umask);
    if (made != 0) {
        snprintf (err, err_size, "cannot create %s: %s", dir, strerror (errno));
        return -1;
    }
    zcert_t *cert = zcert_new ();
    if (!cert) {
        snprintf (err, err_size, "cannot make a key pair");
        return -1;
    }
    zcert_set_meta (cert, "name", "%s", name);
    zcert_set_meta (cert, "role", "%s", role);
    /* The secret file must never be readable by others, not even briefly. */
    mode_t old = umask (077);
    int rc = zcert_save_secret (cert, secret);
    umask (old);
    if (rc == 0)
        rc = zcert_save_public (cert, path);
    /* 0644 whatever the umask: copied into an allow-list, a group-writable
     * public key would be refused by the master. */
    if (rc == 0)
        rc = chmod (path, 0644);
    zcert_destroy (&cert);
    if (rc != 0) {
        snprintf (err, err_size, "cannot write %s: %s", path, strerror (errno));
        return -1;
    }
    return 0;
}

/* A process has one identity, kept for the life of its sockets. */
static zcert_t *s_own;
static zcert_t *s_master;

int dt_auth_client_init (const char *key_path, const char *master_key_path, char *err,
                         size_t err_size)
{
    int has_key = key_path && *key_path;
    int has_master = master_key_path && *master_key_path;
    if (!has_key && !has_master)
        return 0;
    if (!has_key || !has_master) {
        snprintf (err, err_size,
                  "CURVE needs both --key (our NAME.key_secret) and --master-key "
                  "(the master's master.key)");
        return -1;
    }
    if (!zsys_has_curve ()) {
        snprintf (err, err_size, "this libzmq was built without CURVE support");
        return -1;
    }
    dt_auth_client_end ();
    s_own = dt_auth_load_cert (key_path, 1, err, err_size);
    if (s_own)
        s_master = dt_auth_load_cert (master_key_path, 0, err, err_size);
    if (!s_master) {
        dt_auth_client_end ();
        return -1;
    }
    dt_sock_curve_t curve = {s_own, zcert_public_txt (s_master), NULL};
    dt_sock_set_curve (&curve);
    return 0;
}

void dt_auth_client_end (void)
{
    dt_sock_set_curve (NULL);
    zcert_destroy (&s_own);
    zcert_destroy (&s_master);
}
