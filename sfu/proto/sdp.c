/* SDP parser (RFC 8866) for the subset WebRTC uses: JSEP (RFC 8829) unified
 * plan offers and answers with BUNDLE (RFC 9143), ICE (RFC 8839), DTLS
 * fingerprints and setup (RFC 8122, RFC 8842), header extensions (RFC 8285),
 * rtcp-fb (RFC 4585), ssrc (RFC 5576), rid (RFC 8851) and simulcast
 * (RFC 8853). The text comes from a browser and is hostile: every line is
 * checked, every stored field is bounded by its array and its character set,
 * and numbers are range-checked before they are narrowed. Unknown lines and
 * attributes are skipped. Writer: sdp_write.c; negotiation: sdp_negotiate.c. */
#include "sabaq/sdp.h"

#include <string.h>
#include <strings.h>

#include "sabaq/error.h"

struct span {
    const char *p;
    size_t n;
};

struct parser {
    struct sdp_session *s;
    struct sdp_media *m;          /* current m= section, NULL at session level */
    enum sdp_direction session_dir;
    const char *why;
};

#define FAIL(ps, code, msg) return ((ps)->why = (msg), -(code))

/* ---- spans and character classes ------------------------------------- */

enum charclass {
    CC_TOKEN,   /* RFC 8866 token: mid, codec names, semantics */
    CC_ICE,     /* RFC 8839 ice-char: ALPHA / DIGIT / "+" / "/" */
    CC_VISIBLE, /* any printable ASCII but space: URIs, cname, addresses */
    CC_TEXT,    /* printable ASCII with spaces: fmtp, msid, simulcast */
    CC_HEXCOLON,/* fingerprint: hex digits and ':' */
    CC_RID,     /* RFC 8851 rid-id: ALPHA / DIGIT / "-" / "_" */
};

static bool char_ok(unsigned char c, enum charclass cc)
{
    bool alnum = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
    switch (cc) {
    case CC_TOKEN: return alnum || (c && strchr("!#$%&'*+-.^_`{|}~", c));
    case CC_ICE: return alnum || c == '+' || c == '/';
    case CC_VISIBLE: return c > 0x20 && c < 0x7f;
    case CC_TEXT: return c >= 0x20 && c < 0x7f;
    case CC_HEXCOLON:
        return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F') ||
               c == ':';
    case CC_RID: return alnum || c == '-' || c == '_';
    }
    return false;
}

/* Copies a non-empty span that fits (with its NUL) and is all of one class.
 * The tail is cleared too, so a value written over a longer one leaves no
 * trace and equal sessions compare equal byte for byte. */
static bool copy_field(char *dst, size_t cap, struct span t, enum charclass cc)
{
    if (t.n == 0 || t.n >= cap)
        return false;
    for (size_t i = 0; i < t.n; i++)
        if (!char_ok((unsigned char)t.p[i], cc))
            return false;
    memcpy(dst, t.p, t.n);
    memset(dst + t.n, 0, cap - t.n);
    return true;
}

/* Next space-separated token of *rest; false when none is left. */
static bool next_token(struct span *rest, struct span *tok)
{
    while (rest->n && rest->p[0] == ' ') {
        rest->p++;
        rest->n--;
    }
    if (rest->n == 0)
        return false;
    size_t i = 0;
    while (i < rest->n && rest->p[i] != ' ')
        i++;
    *tok = (struct span){rest->p, i};
    rest->p += i;
    rest->n -= i;
    return true;
}

/* Splits t at the first `sep`: t keeps the head, *tail the rest. */
static bool split_at(struct span *t, char sep, struct span *tail)
{
    const char *hit = t->n ? memchr(t->p, sep, t->n) : NULL;
    if (!hit) {
        *tail = (struct span){t->p + t->n, 0};
        return false;
    }
    *tail = (struct span){hit + 1, t->n - (size_t)(hit - t->p) - 1};
    t->n = (size_t)(hit - t->p);
    return true;
}

static struct span trim(struct span t)
{
    while (t.n && t.p[0] == ' ') {
        t.p++;
        t.n--;
    }
    while (t.n && t.p[t.n - 1] == ' ')
        t.n--;
    return t;
}

static bool span_is(struct span t, const char *lit)
{
    return strlen(lit) == t.n && memcmp(t.p, lit, t.n) == 0;
}

static bool span_ieq(struct span t, const char *lit)
{
    return strlen(lit) == t.n && strncasecmp(t.p, lit, t.n) == 0;
}

/* Decimal digits only (no sign, no blanks), at most `max`. */
static bool parse_u64(struct span t, uint64_t max, uint64_t *out)
{
    uint64_t v = 0;
    if (t.n == 0 || t.n > 20)
        return false;
    for (size_t i = 0; i < t.n; i++) {
        unsigned d = (unsigned)(t.p[i] - '0');
        if (d > 9 || v > (UINT64_MAX - d) / 10)
            return false;
        v = v * 10 + d;
    }
    if (v > max)
        return false;
    *out = v;
    return true;
}

static bool parse_u32(struct span t, uint32_t max, uint32_t *out)
{
    uint64_t v;
    if (!parse_u64(t, max, &v))
        return false;
    *out = (uint32_t)v;
    return true;
}

/* ---- session-level lines ---------------------------------------------- */

static int parse_origin(struct parser *ps, struct span v)
{
    struct span user, id, ver;
    if (!next_token(&v, &user) || !next_token(&v, &id) || !next_token(&v, &ver))
        FAIL(ps, SQ_EMALFORMED, "o= line: too few fields");
    if (!parse_u64(id, UINT64_MAX, &ps->s->origin_session_id))
        FAIL(ps, SQ_EMALFORMED, "o= line: bad session id");
    if (!parse_u64(ver, UINT64_MAX, &ps->s->origin_version))
        FAIL(ps, SQ_EMALFORMED, "o= line: bad session version");
    return 0;
}

static int attr_group(struct parser *ps, struct span v)
{
    struct span sem, rest = v, tok;
    if (!next_token(&rest, &sem))
        FAIL(ps, SQ_EMALFORMED, "a=group: no semantics");
    /* Only one BUNDLE group is supported; a second one is ignored, and
     * negotiation then refuses m-lines that are not in the first. */
    if (!span_ieq(sem, "BUNDLE") || ps->s->bundle[0])
        return 0;
    struct span mids = trim(rest), check = mids;
    while (next_token(&check, &tok)) {
        char mid[33];
        if (!copy_field(mid, sizeof mid, tok, CC_TOKEN))
            FAIL(ps, SQ_EMALFORMED, "a=group:BUNDLE: bad mid");
    }
    if (mids.n >= sizeof ps->s->bundle)
        FAIL(ps, SQ_ELIMIT, "a=group:BUNDLE: too many mids");
    memcpy(ps->s->bundle, mids.p, mids.n);
    ps->s->bundle[mids.n] = '\0';
    return 0;
}

static int attr_ice_lite(struct parser *ps, struct span v)
{
    (void)v;
    ps->s->ice_lite = true;
    return 0;
}

/* ---- attributes valid at both levels ---------------------------------- */

static int attr_ice_ufrag(struct parser *ps, struct span v)
{
    char *dst = ps->m ? ps->m->ice_ufrag : ps->s->ice_ufrag;
    if (!copy_field(dst, sizeof ps->s->ice_ufrag, v, CC_ICE))
        FAIL(ps, SQ_EMALFORMED, "a=ice-ufrag: bad value");
    return 0;
}

static int attr_ice_pwd(struct parser *ps, struct span v)
{
    char *dst = ps->m ? ps->m->ice_pwd : ps->s->ice_pwd;
    if (!copy_field(dst, sizeof ps->s->ice_pwd, v, CC_ICE))
        FAIL(ps, SQ_EMALFORMED, "a=ice-pwd: bad value");
    return 0;
}

static int attr_fingerprint(struct parser *ps, struct span v)
{
    char *alg = ps->m ? ps->m->fingerprint_alg : ps->s->fingerprint_alg;
    char *fp = ps->m ? ps->m->fingerprint : ps->s->fingerprint;
    char new_alg[16] = "", new_fp[128] = "";
    struct span a, f, rest = v;
    if (!next_token(&rest, &a) || !next_token(&rest, &f) || rest.n)
        FAIL(ps, SQ_EMALFORMED, "a=fingerprint: expected \"alg value\"");
    if (!copy_field(new_alg, sizeof new_alg, a, CC_TOKEN))
        FAIL(ps, SQ_EMALFORMED, "a=fingerprint: bad algorithm");
    if (!copy_field(new_fp, sizeof new_fp, f, CC_HEXCOLON))
        FAIL(ps, SQ_EMALFORMED, "a=fingerprint: bad value");
    /* RFC 8122 allows several; keep the first, but prefer sha-256, the one
     * every WebRTC stack offers and Sabaq checks. */
    if (fp[0] && (strcasecmp(alg, "sha-256") == 0 || strcasecmp(new_alg, "sha-256") != 0))
        return 0;
    memcpy(alg, new_alg, sizeof new_alg);
    memcpy(fp, new_fp, sizeof new_fp);
    return 0;
}

static int attr_setup(struct parser *ps, struct span v)
{
    enum sdp_setup setup;
    if (span_is(v, "actpass"))
        setup = SDP_SETUP_ACTPASS;
    else if (span_is(v, "active"))
        setup = SDP_SETUP_ACTIVE;
    else if (span_is(v, "passive"))
        setup = SDP_SETUP_PASSIVE;
    else
        FAIL(ps, SQ_EMALFORMED, "a=setup: bad value");
    if (ps->m)
        ps->m->setup = setup;
    else
        ps->s->setup = setup;
    return 0;
}

static int set_direction(struct parser *ps, enum sdp_direction d)
{
    /* At session level it is the default of every m= section (RFC 8866 6.7). */
    if (ps->m)
        ps->m->direction = d;
    else
        ps->session_dir = d;
    return 0;
}

static int attr_sendrecv(struct parser *ps, struct span v)
{
    (void)v;
    return set_direction(ps, SDP_SENDRECV);
}

static int attr_sendonly(struct parser *ps, struct span v)
{
    (void)v;
    return set_direction(ps, SDP_SENDONLY);
}

static int attr_recvonly(struct parser *ps, struct span v)
{
    (void)v;
    return set_direction(ps, SDP_RECVONLY);
}

static int attr_inactive(struct parser *ps, struct span v)
{
    (void)v;
    return set_direction(ps, SDP_INACTIVE);
}

/* ---- media-level attributes -------------------------------------------- */

static int attr_mid(struct parser *ps, struct span v)
{
    struct sdp_media *m = ps->m;
    if (m->mid[0])
        FAIL(ps, SQ_EMALFORMED, "a=mid: repeated in one m= section");
    if (!copy_field(m->mid, sizeof m->mid, v, CC_TOKEN))
        FAIL(ps, SQ_EMALFORMED, "a=mid: bad value");
    for (struct sdp_media *o = ps->s->media; o < m; o++)
        if (strcmp(o->mid, m->mid) == 0)
            FAIL(ps, SQ_EMALFORMED, "a=mid: duplicate mid");
    return 0;
}

static int attr_rtcp_mux(struct parser *ps, struct span v)
{
    (void)v;
    ps->m->rtcp_mux = true;
    return 0;
}

static int attr_rtcp_rsize(struct parser *ps, struct span v)
{
    (void)v;
    ps->m->rtcp_rsize = true;
    return 0;
}

static int attr_msid(struct parser *ps, struct span v)
{
    if (!copy_field(ps->m->msid, sizeof ps->m->msid, trim(v), CC_TEXT))
        FAIL(ps, SQ_EMALFORMED, "a=msid: bad value");
    return 0;
}

static struct sdp_codec *find_codec(struct sdp_media *m, uint32_t pt)
{
    for (uint8_t i = 0; i < m->n_codecs; i++)
        if (m->codecs[i].pt == pt)
            return &m->codecs[i];
    return NULL;
}

/* "a=rtpmap:111 opus/48000/2". A PT not listed on the m= line is ignored. */
static int attr_rtpmap(struct parser *ps, struct span v)
{
    struct span pt_s, enc, rate_s, ch_s, rest = v;
    uint32_t pt, rate, ch = 0;
    char name[16] = "";
    if (!next_token(&rest, &pt_s) || !next_token(&rest, &enc) || rest.n)
        FAIL(ps, SQ_EMALFORMED, "a=rtpmap: expected \"pt name/rate\"");
    if (!parse_u32(pt_s, 127, &pt))
        FAIL(ps, SQ_EMALFORMED, "a=rtpmap: bad payload type");
    split_at(&enc, '/', &rate_s);
    bool has_ch = split_at(&rate_s, '/', &ch_s);
    if (!copy_field(name, sizeof name, enc, CC_TOKEN))
        FAIL(ps, SQ_EMALFORMED, "a=rtpmap: bad encoding name");
    if (!parse_u32(rate_s, UINT32_MAX, &rate) || rate == 0)
        FAIL(ps, SQ_EMALFORMED, "a=rtpmap: bad clock rate");
    if (has_ch && (!parse_u32(ch_s, 255, &ch) || ch == 0))
        FAIL(ps, SQ_EMALFORMED, "a=rtpmap: bad channel count");
    struct sdp_codec *c = find_codec(ps->m, pt);
    if (!c)
        return 0;
    memcpy(c->name, name, sizeof name);
    c->clock_rate = rate;
    c->channels = (uint8_t)ch;
    return 0;
}

/* Reads apt=NN among the ';'-separated parameters (RFC 4588 sec. 8.6). */
static int fmtp_apt(struct parser *ps, struct span params, int *apt)
{
    struct span p = params, rest;
    for (;;) {
        bool more = split_at(&p, ';', &rest);
        struct span key = trim(p), val;
        if (split_at(&key, '=', &val) && span_ieq(trim(key), "apt")) {
            uint32_t v;
            if (!parse_u32(trim(val), 127, &v))
                FAIL(ps, SQ_EMALFORMED, "a=fmtp: bad apt");
            *apt = (int)v;
        }
        if (!more)
            return 0;
        p = rest;
    }
}

static int attr_fmtp(struct parser *ps, struct span v)
{
    struct span pt_s, rest = v;
    uint32_t pt;
    char params[256] = "";
    int apt = -1;
    if (!next_token(&rest, &pt_s))
        FAIL(ps, SQ_EMALFORMED, "a=fmtp: no payload type");
    if (!parse_u32(pt_s, 127, &pt))
        FAIL(ps, SQ_EMALFORMED, "a=fmtp: bad payload type");
    if (!copy_field(params, sizeof params, trim(rest), CC_TEXT))
        FAIL(ps, SQ_EMALFORMED, "a=fmtp: bad parameters");
    int rc = fmtp_apt(ps, trim(rest), &apt);
    if (rc < 0)
        return rc;
    struct sdp_codec *c = find_codec(ps->m, pt);
    if (!c)
        return 0;
    /* A repeated fmtp replaces the earlier one, apt included. */
    memcpy(c->fmtp, params, sizeof params);
    c->apt = apt;
    return 0;
}

/* "a=rtcp-fb:96 nack pli" or "a=rtcp-fb:* transport-cc" (RFC 4585 4.2). */
static int attr_rtcp_fb(struct parser *ps, struct span v)
{
    struct span pt_s, type, param = {"", 0}, rest = v;
    uint32_t pt = 0, flag = 0;
    bool wildcard;
    if (!next_token(&rest, &pt_s) || !next_token(&rest, &type))
        FAIL(ps, SQ_EMALFORMED, "a=rtcp-fb: expected \"pt type\"");
    wildcard = span_is(pt_s, "*");
    if (!wildcard && !parse_u32(pt_s, 127, &pt))
        FAIL(ps, SQ_EMALFORMED, "a=rtcp-fb: bad payload type");
    next_token(&rest, &param);
    if (span_is(type, "nack"))
        flag = param.n == 0 ? SDP_FB_NACK : span_is(param, "pli") ? SDP_FB_NACK_PLI : 0;
    else if (span_is(type, "ccm") && span_is(param, "fir"))
        flag = SDP_FB_CCM_FIR;
    else if (span_is(type, "goog-remb"))
        flag = SDP_FB_GOOG_REMB;
    else if (span_is(type, "transport-cc"))
        flag = SDP_FB_TRANSPORT_CC;
    for (uint8_t i = 0; i < ps->m->n_codecs; i++)
        if (wildcard || ps->m->codecs[i].pt == pt)
            ps->m->codecs[i].feedback |= flag;
    return 0;
}

/* "a=extmap:4 uri" or "a=extmap:4/sendonly uri [attributes]" (RFC 8285 5). */
static int attr_extmap(struct parser *ps, struct span v)
{
    struct sdp_media *m = ps->m;
    struct span id_s, dir, uri, rest = v;
    uint32_t id;
    if (!next_token(&rest, &id_s) || !next_token(&rest, &uri))
        FAIL(ps, SQ_EMALFORMED, "a=extmap: expected \"id uri\"");
    if (split_at(&id_s, '/', &dir) && !span_is(dir, "sendonly") && !span_is(dir, "recvonly") &&
        !span_is(dir, "sendrecv") && !span_is(dir, "inactive"))
        FAIL(ps, SQ_EMALFORMED, "a=extmap: bad direction");
    if (!parse_u32(id_s, 255, &id) || id == 0)
        FAIL(ps, SQ_EMALFORMED, "a=extmap: bad id");
    struct sdp_extmap e = {.id = (uint8_t)id};
    if (!copy_field(e.uri, sizeof e.uri, uri, CC_VISIBLE))
        FAIL(ps, SQ_EMALFORMED, "a=extmap: bad uri");
    for (uint8_t i = 0; i < m->n_extmaps; i++) {
        if (m->extmaps[i].id != e.id)
            continue;
        if (strcmp(m->extmaps[i].uri, e.uri) != 0)
            FAIL(ps, SQ_EMALFORMED, "a=extmap: one id for two uris");
        return 0;
    }
    if (m->n_extmaps >= SDP_MAX_EXTMAPS)
        FAIL(ps, SQ_ELIMIT, "a=extmap: too many");
    m->extmaps[m->n_extmaps++] = e;
    return 0;
}

/* "a=ssrc:1234 cname:xyz" (RFC 5576 4.1); other attributes are ignored. */
static int attr_ssrc(struct parser *ps, struct span v)
{
    struct sdp_media *m = ps->m;
    struct span id_s, attr, val, rest = v;
    uint32_t ssrc;
    if (!next_token(&rest, &id_s) || !parse_u32(id_s, UINT32_MAX, &ssrc))
        FAIL(ps, SQ_EMALFORMED, "a=ssrc: bad ssrc");
    attr = trim(rest);
    if (attr.n == 0)
        FAIL(ps, SQ_EMALFORMED, "a=ssrc: no attribute");
    split_at(&attr, ':', &val);
    struct sdp_ssrc *e = NULL;
    for (uint8_t i = 0; i < m->n_ssrcs && !e; i++)
        if (m->ssrcs[i].ssrc == ssrc)
            e = &m->ssrcs[i];
    if (!e) {
        if (m->n_ssrcs >= SDP_MAX_SSRCS)
            FAIL(ps, SQ_ELIMIT, "a=ssrc: too many ssrcs");
        e = &m->ssrcs[m->n_ssrcs++];
        e->ssrc = ssrc;
    }
    if (span_is(attr, "cname") && !copy_field(e->cname, sizeof e->cname, val, CC_VISIBLE))
        FAIL(ps, SQ_EMALFORMED, "a=ssrc: bad cname");
    if (span_is(attr, "msid") && !copy_field(e->msid, sizeof e->msid, trim(val), CC_TEXT))
        FAIL(ps, SQ_EMALFORMED, "a=ssrc: bad msid");
    return 0;
}

static int attr_ssrc_group(struct parser *ps, struct span v)
{
    struct sdp_media *m = ps->m;
    struct span sem, tok, rest = v;
    struct sdp_ssrc_group g = {0};
    if (!next_token(&rest, &sem) || !copy_field(g.semantics, sizeof g.semantics, sem, CC_TOKEN))
        FAIL(ps, SQ_EMALFORMED, "a=ssrc-group: bad semantics");
    while (next_token(&rest, &tok)) {
        if (g.n >= 4)
            FAIL(ps, SQ_ELIMIT, "a=ssrc-group: too many ssrcs");
        if (!parse_u32(tok, UINT32_MAX, &g.ssrcs[g.n++]))
            FAIL(ps, SQ_EMALFORMED, "a=ssrc-group: bad ssrc");
    }
    if (g.n == 0)
        FAIL(ps, SQ_EMALFORMED, "a=ssrc-group: no ssrc");
    if (m->n_ssrc_groups >= SDP_MAX_SSRC_GROUPS)
        FAIL(ps, SQ_ELIMIT, "a=ssrc-group: too many groups");
    m->ssrc_groups[m->n_ssrc_groups++] = g;
    return 0;
}

/* "a=rid:q send [restrictions]" (RFC 8851 10); restrictions are ignored. */
static int attr_rid(struct parser *ps, struct span v)
{
    struct sdp_media *m = ps->m;
    struct span id, dir, rest = v;
    struct sdp_rid r = {0};
    if (!next_token(&rest, &id) || !copy_field(r.id, sizeof r.id, id, CC_RID))
        FAIL(ps, SQ_EMALFORMED, "a=rid: bad id");
    if (!next_token(&rest, &dir) || !(span_is(dir, "send") || span_is(dir, "recv")))
        FAIL(ps, SQ_EMALFORMED, "a=rid: bad direction");
    r.send = span_is(dir, "send");
    for (uint8_t i = 0; i < m->n_rids; i++)
        if (strcmp(m->rids[i].id, r.id) == 0)
            FAIL(ps, SQ_EMALFORMED, "a=rid: duplicate id");
    if (m->n_rids >= SDP_MAX_RIDS)
        FAIL(ps, SQ_ELIMIT, "a=rid: too many");
    m->rids[m->n_rids++] = r;
    return 0;
}

static int attr_simulcast(struct parser *ps, struct span v)
{
    if (!copy_field(ps->m->simulcast, sizeof ps->m->simulcast, trim(v), CC_TEXT))
        FAIL(ps, SQ_EMALFORMED, "a=simulcast: bad value");
    return 0;
}

/* RFC 8839 5.1. Candidates past SDP_MAX_CANDIDATES are checked but dropped:
 * an ICE-lite server learns addresses from STUN, and a multi-homed laptop
 * may list many. */
static int attr_candidate(struct parser *ps, struct span v)
{
    struct sdp_media *m = ps->m;
    struct span f, comp, tr, prio, addr, port, typ, type, rest = v;
    struct sdp_candidate c = {0};
    uint32_t n;
    if (!next_token(&rest, &f) || !next_token(&rest, &comp) || !next_token(&rest, &tr) ||
        !next_token(&rest, &prio) || !next_token(&rest, &addr) || !next_token(&rest, &port) ||
        !next_token(&rest, &typ) || !next_token(&rest, &type) || !span_is(typ, "typ"))
        FAIL(ps, SQ_EMALFORMED, "a=candidate: too few fields");
    if (!copy_field(c.foundation, sizeof c.foundation, f, CC_ICE))
        FAIL(ps, SQ_EMALFORMED, "a=candidate: bad foundation");
    if (!parse_u32(comp, 255, &n) || n == 0)
        FAIL(ps, SQ_EMALFORMED, "a=candidate: bad component");
    c.component = (uint8_t)n;
    if (!copy_field(c.transport, sizeof c.transport, tr, CC_TOKEN))
        FAIL(ps, SQ_EMALFORMED, "a=candidate: bad transport");
    if (!parse_u32(prio, UINT32_MAX, &c.priority))
        FAIL(ps, SQ_EMALFORMED, "a=candidate: bad priority");
    if (!copy_field(c.address, sizeof c.address, addr, CC_VISIBLE))
        FAIL(ps, SQ_EMALFORMED, "a=candidate: bad address");
    if (!parse_u32(port, 65535, &n))
        FAIL(ps, SQ_EMALFORMED, "a=candidate: bad port");
    c.port = (uint16_t)n;
    if (!copy_field(c.type, sizeof c.type, type, CC_TOKEN))
        FAIL(ps, SQ_EMALFORMED, "a=candidate: bad type");
    if (m->n_candidates < SDP_MAX_CANDIDATES)
        m->candidates[m->n_candidates++] = c;
    return 0;
}

static int attr_end_of_candidates(struct parser *ps, struct span v)
{
    (void)v;
    ps->m->end_of_candidates = true;
    return 0;
}

static int attr_sctp_port(struct parser *ps, struct span v)
{
    uint32_t port;
    if (!parse_u32(v, 65535, &port) ||
        !copy_field(ps->m->sctp_port, sizeof ps->m->sctp_port, v, CC_VISIBLE))
        FAIL(ps, SQ_EMALFORMED, "a=sctp-port: bad port");
    return 0;
}

/* ---- dispatch ----------------------------------------------------------- */

enum level { SESSION = 1, MEDIA = 2, BOTH = 3 };

static const struct {
    const char *name;
    enum level level;
    int (*fn)(struct parser *ps, struct span value);
} attributes[] = {
    {"group", SESSION, attr_group},
    {"ice-lite", SESSION, attr_ice_lite},
    {"ice-ufrag", BOTH, attr_ice_ufrag},
    {"ice-pwd", BOTH, attr_ice_pwd},
    {"fingerprint", BOTH, attr_fingerprint},
    {"setup", BOTH, attr_setup},
    {"sendrecv", BOTH, attr_sendrecv},
    {"sendonly", BOTH, attr_sendonly},
    {"recvonly", BOTH, attr_recvonly},
    {"inactive", BOTH, attr_inactive},
    {"mid", MEDIA, attr_mid},
    {"rtcp-mux", MEDIA, attr_rtcp_mux},
    {"rtcp-rsize", MEDIA, attr_rtcp_rsize},
    {"msid", MEDIA, attr_msid},
    {"rtpmap", MEDIA, attr_rtpmap},
    {"fmtp", MEDIA, attr_fmtp},
    {"rtcp-fb", MEDIA, attr_rtcp_fb},
    {"extmap", MEDIA, attr_extmap},
    {"ssrc", MEDIA, attr_ssrc},
    {"ssrc-group", MEDIA, attr_ssrc_group},
    {"rid", MEDIA, attr_rid},
    {"simulcast", MEDIA, attr_simulcast},
    {"candidate", MEDIA, attr_candidate},
    {"end-of-candidates", MEDIA, attr_end_of_candidates},
    {"sctp-port", MEDIA, attr_sctp_port},
};

static int parse_attribute(struct parser *ps, struct span v)
{
    struct span name = v, value;
    split_at(&name, ':', &value);
    if (name.n == 0)
        FAIL(ps, SQ_EMALFORMED, "a= line: no attribute name");
    enum level here = ps->m ? MEDIA : SESSION;
    for (size_t i = 0; i < sizeof attributes / sizeof attributes[0]; i++)
        if (span_is(name, attributes[i].name))
            return (attributes[i].level & here) ? attributes[i].fn(ps, value) : 0;
    return 0;
}

static bool is_rtp_proto(const char *proto)
{
    return strstr(proto, "RTP/") != NULL;
}

static int parse_media_formats(struct parser *ps, struct span rest)
{
    struct sdp_media *m = ps->m;
    struct span tok;
    bool any = false;
    while (next_token(&rest, &tok)) {
        any = true;
        if (!is_rtp_proto(m->proto)) {
            /* RFC 8841's older "DTLS/SCTP 5000": the format is the SCTP port. */
            if (!m->sctp_port[0] && strcmp(m->proto, "DTLS/SCTP") == 0 &&
                !copy_field(m->sctp_port, sizeof m->sctp_port, tok, CC_TOKEN))
                FAIL(ps, SQ_EMALFORMED, "m= line: bad sctp port");
            continue;
        }
        uint32_t pt;
        if (!parse_u32(tok, 127, &pt))
            FAIL(ps, SQ_EMALFORMED, "m= line: bad payload type");
        if (find_codec(m, pt))
            FAIL(ps, SQ_EMALFORMED, "m= line: duplicate payload type");
        /* Browsers list more codecs every year and Sabaq wants only Opus,
         * VP8, H.264 and RTX, which they put first: keep the first ones,
         * skip the rest (their rtpmap/fmtp lines are then ignored). */
        if (m->n_codecs >= SDP_MAX_CODECS)
            continue;
        struct sdp_codec *c = &m->codecs[m->n_codecs++];
        c->pt = (uint8_t)pt;
        c->apt = -1;
    }
    if (!any)
        FAIL(ps, SQ_EMALFORMED, "m= line: no formats");
    return 0;
}

/* "m=video 9 UDP/TLS/RTP/SAVPF 96 97 ..." (RFC 8866 5.14). */
static int parse_media(struct parser *ps, struct span v)
{
    struct sdp_session *s = ps->s;
    struct span kind, port_s, proto, rest = v;
    uint32_t port;
    if (s->n_media >= SDP_MAX_MEDIA)
        FAIL(ps, SQ_ELIMIT, "m= line: too many m= sections");
    if (!next_token(&rest, &kind) || !next_token(&rest, &port_s) || !next_token(&rest, &proto))
        FAIL(ps, SQ_EMALFORMED, "m= line: too few fields");
    if (!parse_u32(port_s, 65535, &port))
        FAIL(ps, SQ_EMALFORMED, "m= line: bad port");
    struct sdp_media *m = &s->media[s->n_media++];
    ps->m = m;
    m->kind = span_is(kind, "audio")         ? SDP_KIND_AUDIO
              : span_is(kind, "video")       ? SDP_KIND_VIDEO
              : span_is(kind, "application") ? SDP_KIND_APPLICATION
                                             : SDP_KIND_OTHER;
    m->port = (uint16_t)port;
    m->direction = ps->session_dir;
    if (!copy_field(m->proto, sizeof m->proto, proto, CC_VISIBLE))
        FAIL(ps, SQ_EMALFORMED, "m= line: bad protocol");
    return parse_media_formats(ps, rest);
}

static int parse_line(struct parser *ps, struct span line, bool first)
{
    for (size_t i = 0; i < line.n; i++) {
        unsigned char c = (unsigned char)line.p[i];
        if (c < 0x20 || c == 0x7f)
            FAIL(ps, SQ_EMALFORMED, "control character in a line");
    }
    if (line.n < 2 || line.p[1] != '=' || line.p[0] < 'a' || line.p[0] > 'z')
        FAIL(ps, SQ_EMALFORMED, "line does not start with \"x=\"");
    struct span v = {line.p + 2, line.n - 2};
    if (first != (line.p[0] == 'v'))
        FAIL(ps, SQ_EMALFORMED, "v= must be the first line and only the first");
    switch (line.p[0]) {
    case 'v':
        if (!span_is(v, "0"))
            FAIL(ps, SQ_EMALFORMED, "v= line: version is not 0");
        return 0;
    case 'o': return parse_origin(ps, v);
    case 'm': return parse_media(ps, v);
    case 'a': return parse_attribute(ps, v);
    default: return 0; /* s= t= c= b= i= ... carry nothing Sabaq uses */
    }
}

int sdp_parse(struct sdp_session *out, const char *text, size_t len, const char **why)
{
    struct parser ps = {.s = out, .session_dir = SDP_SENDRECV};
    const char *ignored;
    size_t pos = 0;
    bool first = true;
    int rc = 0;
    if (!why)
        why = &ignored;
    *why = NULL;
    memset(out, 0, sizeof *out);
    if (!text && len) {
        *why = "no text";
        return -SQ_EINVAL;
    }
    if (len > SDP_MAX_TEXT) {
        *why = "SDP text too long";
        return -SQ_ELIMIT;
    }
    while (pos < len && rc == 0) {
        const char *nl = memchr(text + pos, '\n', len - pos);
        size_t end = nl ? (size_t)(nl - text) : len;
        struct span line = {text + pos, end - pos};
        pos = nl ? end + 1 : len;
        if (line.n && line.p[line.n - 1] == '\r')
            line.n--;
        if (line.n == 0 && !first)
            continue; /* tolerate blank lines, e.g. a doubled final CRLF */
        rc = parse_line(&ps, line, first);
        first = false;
    }
    if (rc == 0 && first) {
        ps.why = "empty SDP";
        rc = -SQ_EMALFORMED;
    }
    if (rc < 0) {
        *why = ps.why;
        memset(out, 0, sizeof *out);
    }
    return rc;
}

/* ---- accessors ----------------------------------------------------------- */

const char *sdp_media_ice_ufrag(const struct sdp_session *s, const struct sdp_media *m)
{
    return m->ice_ufrag[0] ? m->ice_ufrag : s->ice_ufrag;
}

const char *sdp_media_ice_pwd(const struct sdp_session *s, const struct sdp_media *m)
{
    return m->ice_pwd[0] ? m->ice_pwd : s->ice_pwd;
}

const char *sdp_media_fingerprint(const struct sdp_session *s, const struct sdp_media *m,
                                  const char **alg)
{
    bool own = m->fingerprint[0] != '\0';
    if (alg)
        *alg = own ? m->fingerprint_alg : s->fingerprint_alg;
    return own ? m->fingerprint : s->fingerprint;
}

enum sdp_setup sdp_media_setup(const struct sdp_session *s, const struct sdp_media *m)
{
    return m->setup != SDP_SETUP_NONE ? m->setup : s->setup;
}

uint8_t sdp_media_extmap_id(const struct sdp_media *m, const char *uri)
{
    for (uint8_t i = 0; i < m->n_extmaps && i < SDP_MAX_EXTMAPS; i++)
        if (strcmp(m->extmaps[i].uri, uri) == 0)
            return m->extmaps[i].id;
    return 0;
}
