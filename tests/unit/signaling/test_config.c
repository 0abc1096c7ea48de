/* Settings: defaults, flags, the config file under the flags, and a clear
 * error for every bad option or value. Nothing is started. */
#include "test.h"

#include <stdlib.h>
#include <unistd.h>

#include "signaling/config.h"

static char err[512];

static enum config_result parse(struct config *c, int argc, char **argv)
{
    err[0] = '\0';
    return config_parse(c, argc, argv, err, sizeof(err));
}

/* Writes text to a new temporary file and returns its path (static). */
static const char *temp_file(const char *text)
{
    static char path[64];
    snprintf(path, sizeof(path), "/tmp/sabaq-test-config-XXXXXX");
    int fd = mkstemp(path);
    if (fd < 0 || write(fd, text, strlen(text)) != (ssize_t)strlen(text))
        abort();
    close(fd);
    return path;
}

TEST(config_defaults_without_arguments)
{
    struct config c;
    char *argv[] = {"sabaq", NULL};
    ASSERT_EQ(CONFIG_OK, parse(&c, 1, argv));
    ASSERT_EQ(8080, c.port);
    ASSERT_STR_EQ("127.0.0.1", c.bind);
    ASSERT_EQ(40000, c.media_port);
    ASSERT_EQ(0, c.n_public_ips);
    ASSERT_STR_EQ("./data", c.data_dir);
    ASSERT_STR_EQ("./web", c.web_root);
    ASSERT_STR_EQ("", c.tls_cert);
    ASSERT_STR_EQ("", c.config_file);
}

TEST(config_flags_in_both_spellings)
{
    struct config c;
    char *argv[] = {"sabaq", "--port", "18080", "--bind=0.0.0.0", "--media-port=41000",
                    "--public-ip", "10.0.0.5", "--public-ip=2001:db8::7", "--data-dir", "/tmp/d",
                    "--web-root", "site", "--tls-cert", "c.pem", "--tls-key", "k.pem", NULL};
    ASSERT_EQ(CONFIG_OK, parse(&c, 16, argv));
    ASSERT_EQ(18080, c.port);
    ASSERT_STR_EQ("0.0.0.0", c.bind);
    ASSERT_EQ(41000, c.media_port);
    ASSERT_EQ(2, c.n_public_ips);
    ASSERT_STR_EQ("10.0.0.5", c.public_ips[0]);
    ASSERT_STR_EQ("2001:db8::7", c.public_ips[1]);
    ASSERT_STR_EQ("/tmp/d", c.data_dir);
    ASSERT_STR_EQ("site", c.web_root);
    ASSERT_STR_EQ("c.pem", c.tls_cert);
    ASSERT_STR_EQ("k.pem", c.tls_key);
}

TEST(config_help_wins)
{
    struct config c;
    char *argv[] = {"sabaq", "--port", "1", "--help", NULL};
    ASSERT_EQ(CONFIG_HELP, parse(&c, 4, argv));
    char *argv2[] = {"sabaq", "-h", NULL};
    ASSERT_EQ(CONFIG_HELP, parse(&c, 2, argv2));
}

TEST(config_bad_flags_are_errors_with_a_message)
{
    static const char *cases[][3] = {
        {"--port", "0", "port"},          {"--port", "65536", "port"},
        {"--port", "80x", "port"},        {"--port", "-1", "port"},
        {"--media-port", "", "media-port"}, {"--bind", "localhost", "bind"},
        {"--bind", "1.2.3", "bind"},      {"--public-ip", "example.org", "public-ip"},
        {"--nope", "1", "--nope"},        {"stray", "x", "stray"},
        {"--web-root", "", "web-root"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct config c;
        char *argv[] = {"sabaq", (char *)cases[i][0], (char *)cases[i][1], NULL};
        if (parse(&c, 3, argv) != CONFIG_ERROR || !strstr(err, cases[i][2])) {
            test_fail(__FILE__, __LINE__, "%s %s: got \"%s\"", cases[i][0], cases[i][1], err);
            return;
        }
    }
    struct config c;
    char *missing[] = {"sabaq", "--port", NULL};
    ASSERT_EQ(CONFIG_ERROR, parse(&c, 2, missing));
    ASSERT(strstr(err, "needs a value"));
    char *half_tls[] = {"sabaq", "--tls-cert", "c.pem", NULL};
    ASSERT_EQ(CONFIG_ERROR, parse(&c, 3, half_tls));
    ASSERT(strstr(err, "--tls-key"));
    char *many[] = {"sabaq", "--public-ip", "1.1.1.1", "--public-ip", "1.1.1.2", "--public-ip",
                    "1.1.1.3", "--public-ip", "1.1.1.4", "--public-ip", "1.1.1.5", NULL};
    ASSERT_EQ(CONFIG_ERROR, parse(&c, 11, many));
}

TEST(config_file_sets_values_and_flags_override_it)
{
    const char *path = temp_file("# a school server\n"
                                 "port = 9000\n"
                                 "  bind=0.0.0.0   # every interface\n"
                                 "\n"
                                 "media-port = 42000\n"
                                 "public-ip = 192.0.2.10\n"
                                 "public-ip = 192.0.2.11\n"
                                 "web-root = /srv/sabaq#web\n");
    struct config c;
    char *argv[] = {"sabaq", "--config", (char *)path, "--port", "18080", NULL};
    ASSERT_EQ(CONFIG_OK, parse(&c, 5, argv));
    ASSERT_EQ(18080, c.port);
    ASSERT_STR_EQ("0.0.0.0", c.bind);
    ASSERT_EQ(42000, c.media_port);
    ASSERT_EQ(2, c.n_public_ips);
    ASSERT_STR_EQ("192.0.2.11", c.public_ips[1]);
    ASSERT_STR_EQ("/srv/sabaq#web", c.web_root);
    /* --public-ip on the command line replaces the file's list. */
    char *argv2[] = {"sabaq", "--public-ip", "198.51.100.1", "--config", (char *)path, NULL};
    ASSERT_EQ(CONFIG_OK, parse(&c, 5, argv2));
    ASSERT_EQ(1, c.n_public_ips);
    ASSERT_STR_EQ("198.51.100.1", c.public_ips[0]);
    ASSERT_EQ(9000, c.port);
    unlink(path);
}

TEST(config_file_errors_name_the_line)
{
    struct config c;
    const char *path = temp_file("port = 9000\ncolour = blue\n");
    char *argv[] = {"sabaq", "--config", (char *)path, NULL};
    ASSERT_EQ(CONFIG_ERROR, parse(&c, 3, argv));
    ASSERT(strstr(err, ":2: unknown key \"colour\""));
    unlink(path);
    path = temp_file("port 9000\n");
    char *argv2[] = {"sabaq", "--config", (char *)path, NULL};
    ASSERT_EQ(CONFIG_ERROR, parse(&c, 3, argv2));
    ASSERT(strstr(err, ":1: expected"));
    unlink(path);
    path = temp_file("port = 99999\n");
    char *argv3[] = {"sabaq", "--config", (char *)path, NULL};
    ASSERT_EQ(CONFIG_ERROR, parse(&c, 3, argv3));
    ASSERT(strstr(err, ":1: --port"));
    unlink(path);
    path = temp_file("config = other.conf\n");
    char *argv4[] = {"sabaq", "--config", (char *)path, NULL};
    ASSERT_EQ(CONFIG_ERROR, parse(&c, 3, argv4));
    unlink(path);
    char *argv5[] = {"sabaq", "--config", "/nonexistent/sabaq.conf", NULL};
    ASSERT_EQ(CONFIG_ERROR, parse(&c, 3, argv5));
    ASSERT(strstr(err, "/nonexistent/sabaq.conf"));
}

TEST(config_announce_prefers_public_ips_then_the_bind_address)
{
    struct config c;
    char out[CONFIG_MAX_PUBLIC_IPS][INET6_ADDRSTRLEN];
    config_defaults(&c);
    ASSERT_EQ(1, config_announce(&c, out, CONFIG_MAX_PUBLIC_IPS));
    ASSERT_STR_EQ("127.0.0.1", out[0]);
    snprintf(c.public_ips[0], INET6_ADDRSTRLEN, "203.0.113.5");
    snprintf(c.public_ips[1], INET6_ADDRSTRLEN, "203.0.113.5");
    c.n_public_ips = 2;
    ASSERT_EQ(1, config_announce(&c, out, CONFIG_MAX_PUBLIC_IPS));   /* duplicates once */
    ASSERT_STR_EQ("203.0.113.5", out[0]);
    c.n_public_ips = 0;
    snprintf(c.bind, sizeof(c.bind), "0.0.0.0");
    size_t n = config_announce(&c, out, CONFIG_MAX_PUBLIC_IPS);
    ASSERT(n >= 1);
    for (size_t i = 0; i < n; i++)
        ASSERT(!strchr(out[i], ':'));   /* an IPv4 socket announces IPv4 only */
}
