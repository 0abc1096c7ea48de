/* The staff commands (see cli.h). */
#include "cli.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "sabaq/clock.h"
#include "sabaq/error.h"
#include "auth.h"
#include "schema.h"
#include "staff.h"
#include "store.h"

static void usage(FILE *out)
{
    fprintf(out, "Usage: sabaq staff add --name NAME --role teacher|assistant [options]\n"
                 "       sabaq staff list [options]\n"
                 "       sabaq staff revoke ID [options]\n"
                 "       sabaq staff link ID [options]     a new sign-in link\n"
                 "Options are the server's (--data-dir, --config, --port, --bind, --tls-cert,\n"
                 "--public-ip): they pick the data directory and the address links point to.\n");
}

void cli_origin(const struct config *c, char *out, size_t cap)
{
    char announce[CONFIG_MAX_PUBLIC_IPS][INET6_ADDRSTRLEN];
    size_t n = config_announce(c, announce, CONFIG_MAX_PUBLIC_IPS);
    const char *host = config_binds_all(c) && n ? announce[0] : c->bind;
    snprintf(out, cap, strchr(host, ':') ? "%s://[%s]:%u" : "%s://%s:%u",
             c->tls_cert[0] ? "https" : "http", host, (unsigned)c->port);
}

static void print_link(const unsigned char *secret, const struct config *c, int64_t id,
                       int64_t now_ms)
{
    char origin[INET6_ADDRSTRLEN + 32];
    cli_origin(c, origin, sizeof(origin));
    char *t = staff_signin_token(secret, id, now_ms);
    printf("%s/signin?t=%s\n", origin, t ? t : "(out of memory)");
    free(t);
}

int cli_first_teacher(struct store *st, const unsigned char *secret, const struct config *c,
                      int64_t now_ms)
{
    int64_t n = staff_count(st);
    if (n != 0)
        return n < 0 ? -1 : 0;
    struct staff m;
    char err[256];
    if (staff_add(st, "Teacher", "teacher", now_ms, &m, err, sizeof(err)) < 0) {
        fprintf(stderr, "sabaq: cannot make the first teacher: %s\n", err);
        return -1;
    }
    printf("First teacher created: sign in at ");
    print_link(secret, c, m.id, now_ms);
    return 0;
}

/* Pulls the staff words and flags out of argv; the rest (argv[0] first) go to
 * config_parse. */
struct staff_args {
    const char *verb, *name, *role, *id;
    char **rest;
    int n_rest;
};

static int split_args(int argc, char **argv, struct staff_args *a)
{
    memset(a, 0, sizeof(*a));
    a->rest = calloc((size_t)argc + 1, sizeof(char *));
    if (!a->rest)
        return -1;
    a->rest[a->n_rest++] = argv[0];
    for (int i = 2; i < argc; i++) {
        const char **slot = strcmp(argv[i], "--name") == 0 ? &a->name
                            : strcmp(argv[i], "--role") == 0 ? &a->role : NULL;
        if (slot) {
            if (i + 1 == argc)
                return -1;
            *slot = argv[++i];
        } else if (argv[i][0] != '-' && !a->verb) {
            a->verb = argv[i];
        } else if (argv[i][0] != '-' && !a->id) {
            a->id = argv[i];
        } else {
            a->rest[a->n_rest++] = argv[i];
            /* A flag's value travels with it ("--data-dir DIR"). */
            if (!strchr(argv[i], '=') && i + 1 < argc && strcmp(argv[i], "--help") &&
                strcmp(argv[i], "-h"))
                a->rest[a->n_rest++] = argv[++i];
        }
    }
    return 0;
}

static void print_member(const struct staff *m, void *arg)
{
    (void)arg;
    printf("%-5lld %-10s %-8s %s\n", (long long)m->id, m->role,
           m->revoked_ms ? "revoked" : "active", m->name);
}

static int parse_id(const char *s, int64_t *id)
{
    char *end;
    errno = 0;
    long long v = s ? strtoll(s, &end, 10) : 0;
    if (!s || errno || *end || v <= 0)
        return -1;
    *id = v;
    return 0;
}

static int run(const struct staff_args *a, struct store *st, const unsigned char *secret,
               const struct config *c)
{
    int64_t now_ms = (int64_t)(sq_wallclock_us() / 1000), id = 0;
    char err[256];
    struct staff m;
    if (strcmp(a->verb, "add") == 0) {
        if (!a->name || !a->role) {
            fprintf(stderr, "sabaq staff add: --name and --role are needed\n");
            return 2;
        }
        if (staff_add(st, a->name, a->role, now_ms, &m, err, sizeof(err)) < 0) {
            fprintf(stderr, "sabaq staff add: %s\n", err);
            return 1;
        }
        printf("Added %s %lld (%s). Personal sign-in link (keep it private):\n", m.role,
               (long long)m.id, m.name);
        print_link(secret, c, m.id, now_ms);
        return 0;
    }
    if (strcmp(a->verb, "list") == 0) {
        printf("%-5s %-10s %-8s %s\n", "ID", "ROLE", "STATE", "NAME");
        return staff_list(st, print_member, NULL) < 0 ? 1 : 0;
    }
    bool revoke = strcmp(a->verb, "revoke") == 0;
    if (!revoke && strcmp(a->verb, "link") != 0) {
        fprintf(stderr, "sabaq staff: unknown command \"%s\"\n", a->verb);
        usage(stderr);
        return 2;
    }
    if (parse_id(a->id, &id) < 0) {
        fprintf(stderr, "sabaq staff %s: give the member's ID (see sabaq staff list)\n", a->verb);
        return 2;
    }
    int rc = revoke ? staff_revoke(st, id, now_ms) : staff_get(st, id, &m);
    if (rc == -SQ_ENOTFOUND || rc == -SQ_ESTATE || (rc == 0 && !revoke && m.revoked_ms)) {
        fprintf(stderr, "sabaq staff %s: member %lld %s\n", a->verb, (long long)id,
                rc == -SQ_ENOTFOUND ? "does not exist" : "is revoked");
        return 1;
    }
    if (rc < 0) {
        fprintf(stderr, "sabaq staff %s: the store failed\n", a->verb);
        return 1;
    }
    if (revoke)
        printf("Revoked member %lld: their sign-in link and sessions no longer work.\n",
               (long long)id);
    else
        print_link(secret, c, id, now_ms);
    return 0;
}

int cli_staff(int argc, char **argv)
{
    struct staff_args a;
    struct config c;
    char err[512];
    bool help = false;
    for (int i = 2; i < argc; i++)
        help |= strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0;
    if (help || split_args(argc, argv, &a) < 0 || !a.verb) {
        free(help ? NULL : a.rest);
        usage(help ? stdout : stderr);
        return help ? 0 : 2;
    }
    enum config_result cr = config_parse(&c, a.n_rest, a.rest, err, sizeof(err));
    free(a.rest);
    if (cr != CONFIG_OK) {
        fprintf(stderr, "sabaq staff: %s\n", err);
        return 2;
    }
    if (mkdir(c.data_dir, 0755) != 0 && errno != EEXIST) {
        fprintf(stderr, "sabaq staff: cannot create --data-dir %s: %s\n", c.data_dir,
                strerror(errno));
        return 1;
    }
    unsigned char secret[AUTH_SECRET_LEN];
    struct store *st = store_open(c.data_dir, err, sizeof(err));
    if (!st || auth_load_secret(c.data_dir, secret, err, sizeof(err)) < 0) {
        fprintf(stderr, "sabaq staff: %s\n", err);
        store_close(st);
        return 1;
    }
    if (schema_init(st) < 0) {   /* store_schema has said why */
        store_close(st);
        return 1;
    }
    int rc = run(&a, st, secret, &c);
    store_close(st);
    return rc;
}
