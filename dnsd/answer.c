/* answer.c: build Consul's DNS answers from the catalog view, with ldns for the wire format.
 *
 * The behaviour follows Consul's agent/dns.go as documented on developer.hashicorp.com
 * ("Consul DNS reference", "Perform static DNS queries"): the same name forms, record shapes,
 * SOA, health filtering, shuffling and UDP trimming.
 */
#include "answer.h"

#include <arpa/inet.h>
#include <errno.h>
#include <ldns/ldns.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/buf.h"

/* Consul's limits (agent/dns.go): answers in a plain 512-byte UDP reply never exceed 8
 * whatever udp_answer_limit says; the largest UDP datagram it will build; TCP messages. */
#define MAX_UDP_ANSWER_LIMIT 8
#define DEFAULT_UDP_SIZE 512
#define MAX_UDP_SIZE (65535 - 68)
#define MAX_TCP_SIZE 65523
#define MAX_NAMESERVERS 3

/* Consul's default dns_config.soa values. */
#define SOA_REFRESH 3600
#define SOA_RETRY 600
#define SOA_EXPIRE 86400
#define SOA_MINTTL 0

#define DNS_HDR_LEN 12
#define MAX_LABELS 128
#define UNTIED SIZE_MAX /* an additional record kept whatever answers remain */

struct label {
	const uint8_t *p;
	size_t len;
};

struct labels {
	struct label l[MAX_LABELS];
	size_t n;
};

/* Records of one section; tie[i] is the index of the SRV answer an additional record serves
 * (UNTIED otherwise), so trimming answers also trims what they pulled in. */
struct rrvec {
	ldns_rr **rr;
	size_t *tie;
	size_t n, cap;
};

struct reply {
	struct rrvec an, ns, ar;
	uint8_t rcode;
	bool aa, ra;
	bool oom;
};

struct ctx {
	const struct catalog_view *view;
	const struct answer_config *cfg;
	const ldns_rr *question;
	const ldns_rdf *qname; /* as asked: answers keep its case */
	ldns_rr_type qtype;
	struct labels q;      /* labels of qname */
	struct labels domain; /* labels of cfg->domain */
	size_t n_rest;        /* labels of qname before the domain */
	uint64_t prng;
	struct reply r;
};

/* ---- small helpers ---- */

/* splitmix64: a tiny seeded generator, so shuffles are reproducible from the caller's seed. */
static uint64_t prng_next(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static bool label_is(const struct label *l, const char *s)
{
	size_t n = strlen(s);

	return l->len == n && strncasecmp((const char *)l->p, s, n) == 0 && memchr(l->p, '\0', n) == NULL;
}

static bool labels_eq(const struct label *a, const struct label *b)
{
	size_t i;

	if (a->len != b->len)
		return false;
	for (i = 0; i < a->len; i++) {
		uint8_t x = a->p[i], y = b->p[i];

		if (x >= 'A' && x <= 'Z')
			x = (uint8_t)(x - 'A' + 'a');
		if (y >= 'A' && y <= 'Z')
			y = (uint8_t)(y - 'A' + 'a');
		if (x != y)
			return false;
	}
	return true;
}

/* Splits a wire-format name into labels (pointing into it). Returns false if malformed. */
static bool labels_from_wire(const uint8_t *p, size_t len, struct labels *out)
{
	size_t pos = 0;

	out->n = 0;
	while (pos < len) {
		size_t l = p[pos];

		if (l == 0)
			return pos + 1 == len;
		if (l > 63 || pos + 1 + l > len || out->n == MAX_LABELS)
			return false;
		out->l[out->n].p = p + pos + 1;
		out->l[out->n].len = l;
		out->n++;
		pos += 1 + l;
	}
	return false;
}

/* Splits a dotted name ("consul.") into labels pointing into it; empty pieces are skipped. */
static void labels_from_str(const char *s, struct labels *out)
{
	out->n = 0;
	while (*s && out->n < MAX_LABELS) {
		const char *dot = strchr(s, '.');
		size_t len = dot ? (size_t)(dot - s) : strlen(s);

		if (len > 0) {
			out->l[out->n].p = (const uint8_t *)s;
			out->l[out->n].len = len;
			out->n++;
		}
		s += len + (dot ? 1 : 0);
	}
}

/* Joins labels [from, to) with dots into out (NUL-terminated). Returns the length. */
static size_t labels_join(const struct labels *ls, size_t from, size_t to, char *out, size_t cap)
{
	size_t i, len = 0;

	for (i = from; i < to; i++) {
		if (len + ls->l[i].len + 2 > cap)
			break;
		if (i > from)
			out[len++] = '.';
		memcpy(out + len, ls->l[i].p, ls->l[i].len);
		len += ls->l[i].len;
	}
	out[len] = '\0';
	return len;
}

/* A domain name under construction, in wire format. */
struct dname {
	uint8_t buf[LDNS_MAX_DOMAINLEN + 1];
	size_t len;
	bool bad;
};

/* Appends the dotted string s as labels (empty pieces skipped). */
static void dname_add(struct dname *d, const char *s)
{
	while (*s) {
		const char *dot = strchr(s, '.');
		size_t len = dot ? (size_t)(dot - s) : strlen(s);

		if (len > 63 || d->len + 1 + len + 1 > LDNS_MAX_DOMAINLEN) {
			d->bad = true;
			return;
		}
		if (len > 0) {
			d->buf[d->len++] = (uint8_t)len;
			memcpy(d->buf + d->len, s, len);
			d->len += len;
		}
		s += len + (dot ? 1 : 0);
	}
}

/* Builds a name from up to four dotted parts; NULL parts are skipped. Returns NULL if the
 * name would not be a valid DNS name (too long). */
static ldns_rdf *dname_make(const char *a, const char *b, const char *c, const char *d4)
{
	const char *parts[4] = {a, b, c, d4};
	struct dname d;
	size_t i;

	d.len = 0;
	d.bad = false;
	for (i = 0; i < 4; i++)
		if (parts[i] != NULL)
			dname_add(&d, parts[i]);
	if (d.bad)
		return NULL;
	d.buf[d.len++] = 0;
	return ldns_rdf_new_frm_data(LDNS_RDF_TYPE_DNAME, d.len, d.buf);
}

/* Lower-cases a dname (Consul lower-cases NS targets). */
static void dname_lower(ldns_rdf *r)
{
	uint8_t *p = ldns_rdf_data(r);
	size_t i;

	for (i = 0; i < ldns_rdf_size(r); i++)
		if (p[i] >= 'A' && p[i] <= 'Z')
			p[i] = (uint8_t)(p[i] - 'A' + 'a');
}

struct ip {
	int family; /* AF_INET or AF_INET6 */
	uint8_t b[16];
};

/* Parses an IP as Go's net.ParseIP does for our purpose: v4-mapped v6 counts as v4. */
static bool ip_parse(const char *s, struct ip *out)
{
	static const uint8_t v4mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

	if (s == NULL || s[0] == '\0')
		return false;
	if (inet_pton(AF_INET, s, out->b) == 1) {
		out->family = AF_INET;
		return true;
	}
	if (inet_pton(AF_INET6, s, out->b) == 1) {
		out->family = AF_INET6;
		if (memcmp(out->b, v4mapped, 12) == 0) {
			memmove(out->b, out->b + 12, 4);
			out->family = AF_INET;
		}
		return true;
	}
	return false;
}

/* ---- records ---- */

static void reply_oom(struct ctx *c)
{
	c->r.oom = true;
}

/* A new record owned by the caller; takes owner. NULL on out of memory (owner freed). */
static ldns_rr *rr_new(struct ctx *c, ldns_rdf *owner, ldns_rr_type type, uint32_t ttl)
{
	ldns_rr *rr;

	if (owner == NULL) {
		reply_oom(c);
		return NULL;
	}
	rr = ldns_rr_new();
	if (rr == NULL) {
		ldns_rdf_deep_free(owner);
		reply_oom(c);
		return NULL;
	}
	ldns_rr_set_owner(rr, owner);
	ldns_rr_set_type(rr, type);
	ldns_rr_set_class(rr, LDNS_RR_CLASS_IN);
	ldns_rr_set_ttl(rr, ttl);
	return rr;
}

/* Adds rd to rr; on failure frees both and returns NULL. */
static ldns_rr *rr_add(struct ctx *c, ldns_rr *rr, ldns_rdf *rd)
{
	if (rr == NULL) {
		ldns_rdf_deep_free(rd);
		return NULL;
	}
	if (rd == NULL || !ldns_rr_push_rdf(rr, rd)) {
		ldns_rdf_deep_free(rd);
		ldns_rr_free(rr);
		reply_oom(c);
		return NULL;
	}
	return rr;
}

static ldns_rdf *qname_copy(struct ctx *c)
{
	return ldns_rdf_clone(c->qname);
}

/* An A or AAAA record for ip, if the query type asks for that family (Consul's makeARecord:
 * SRV, ANY, NS and TXT take both). NULL when it does not, or on out of memory. */
static ldns_rr *addr_rr(struct ctx *c, ldns_rdf *owner, const struct ip *ip, uint32_t ttl)
{
	ldns_rr_type t = c->qtype;
	bool any = t == LDNS_RR_TYPE_SRV || t == LDNS_RR_TYPE_ANY || t == LDNS_RR_TYPE_NS || t == LDNS_RR_TYPE_TXT;

	if (ip->family == AF_INET && (any || t == LDNS_RR_TYPE_A))
		return rr_add(c, rr_new(c, owner, LDNS_RR_TYPE_A, ttl), ldns_rdf_new_frm_data(LDNS_RDF_TYPE_A, 4, ip->b));
	if (ip->family == AF_INET6 && (any || t == LDNS_RR_TYPE_AAAA))
		return rr_add(c, rr_new(c, owner, LDNS_RR_TYPE_AAAA, ttl),
			      ldns_rdf_new_frm_data(LDNS_RDF_TYPE_AAAA, 16, ip->b));
	ldns_rdf_deep_free(owner);
	return NULL;
}

static ldns_rr *name_rr(struct ctx *c, ldns_rdf *owner, ldns_rr_type type, uint32_t ttl, ldns_rdf *target)
{
	if (target == NULL) {
		ldns_rdf_deep_free(owner);
		return NULL;
	}
	return rr_add(c, rr_new(c, owner, type, ttl), target);
}

static ldns_rr *srv_rr(struct ctx *c, uint16_t port, ldns_rdf *target, uint32_t ttl)
{
	ldns_rr *rr;

	if (target == NULL)
		return NULL;
	/* Consul: priority 1, weight 1 (Weights are not in the catalog dump: their default). */
	rr = rr_new(c, qname_copy(c), LDNS_RR_TYPE_SRV, ttl);
	rr = rr_add(c, rr, ldns_native2rdf_int16(LDNS_RDF_TYPE_INT16, 1));
	rr = rr_add(c, rr, ldns_native2rdf_int16(LDNS_RDF_TYPE_INT16, 1));
	rr = rr_add(c, rr, ldns_native2rdf_int16(LDNS_RDF_TYPE_INT16, port));
	if (rr == NULL) {
		ldns_rdf_deep_free(target);
		return NULL;
	}
	return rr_add(c, rr, target);
}

static ldns_rr *soa_rr(struct ctx *c)
{
	const char *dom = c->cfg->domain;
	ldns_rr *rr = rr_new(c, dname_make(dom, NULL, NULL, NULL), LDNS_RR_TYPE_SOA, SOA_MINTTL);

	rr = rr_add(c, rr, dname_make("ns", dom, NULL, NULL));
	rr = rr_add(c, rr, dname_make("hostmaster", dom, NULL, NULL));
	rr = rr_add(c, rr, ldns_native2rdf_int32(LDNS_RDF_TYPE_INT32, c->cfg->soa_serial));
	rr = rr_add(c, rr, ldns_native2rdf_int32(LDNS_RDF_TYPE_PERIOD, SOA_REFRESH));
	rr = rr_add(c, rr, ldns_native2rdf_int32(LDNS_RDF_TYPE_PERIOD, SOA_RETRY));
	rr = rr_add(c, rr, ldns_native2rdf_int32(LDNS_RDF_TYPE_PERIOD, SOA_EXPIRE));
	return rr_add(c, rr, ldns_native2rdf_int32(LDNS_RDF_TYPE_PERIOD, SOA_MINTTL));
}

/* RFC 1464 text for a node meta pair, as Consul writes it: "key=value" with '`' and '=' in
 * the key and its edge spaces quoted by '`'; keys starting "rfc1035-" give the bare value. */
static int meta_text(const struct cv_meta *m, struct buf *out)
{
	const char *k = m->key, *v;
	size_t klen = strlen(k), lead = 0, trail = 0, i;
	int rc = 0;

	if (strncasecmp(k, "rfc1035-", 8) == 0)
		return buf_append_str(out, m->value);
	while (lead < klen && k[lead] == ' ')
		lead++;
	while (trail < klen - lead && k[klen - 1 - trail] == ' ')
		trail++;
	for (i = 0; i < klen && rc == 0; i++) {
		if (i < lead || i >= klen - trail)
			rc = buf_append_str(out, "` ");
		else if (k[i] == '`')
			rc = buf_append_str(out, "``");
		else if (k[i] == '=')
			rc = buf_append_str(out, "`=");
		else
			rc = buf_append_char(out, k[i]);
	}
	if (rc == 0)
		rc = buf_append_char(out, '=');
	for (v = m->value; *v && rc == 0; v++)
		rc = *v == '`' ? buf_append_str(out, "``") : buf_append_char(out, *v);
	return rc;
}

/* A TXT record; text longer than 255 bytes is split into several strings. */
static ldns_rr *txt_rr(struct ctx *c, ldns_rdf *owner, const char *text, size_t len, uint32_t ttl)
{
	ldns_rr *rr = rr_new(c, owner, LDNS_RR_TYPE_TXT, ttl);
	size_t pos = 0;

	do {
		uint8_t chunk[256];
		size_t n = len - pos > 255 ? 255 : len - pos;

		chunk[0] = (uint8_t)n;
		memcpy(chunk + 1, text + pos, n);
		rr = rr_add(c, rr, ldns_rdf_new_frm_data(LDNS_RDF_TYPE_STR, n + 1, chunk));
		pos += n;
	} while (pos < len && rr != NULL);
	return rr;
}

/* ---- the reply under construction ---- */

static bool rr_same(const ldns_rr *a, const ldns_rr *b)
{
	size_t i;

	if (ldns_rr_get_type(a) != ldns_rr_get_type(b) || ldns_rr_rd_count(a) != ldns_rr_rd_count(b) ||
	    ldns_dname_compare(ldns_rr_owner(a), ldns_rr_owner(b)) != 0)
		return false;
	for (i = 0; i < ldns_rr_rd_count(a); i++)
		if (ldns_rdf_compare(ldns_rr_rdf(a, i), ldns_rr_rdf(b, i)) != 0)
			return false;
	return true;
}

/* Appends rr (taken; NULL is ignored). */
static void vec_push(struct ctx *c, struct rrvec *v, ldns_rr *rr, size_t tie)
{
	if (rr == NULL)
		return;
	if (v->n == v->cap) {
		size_t cap = v->cap ? v->cap * 2 : 8;
		ldns_rr **nrr = realloc(v->rr, cap * sizeof *nrr);
		size_t *ntie;

		if (nrr == NULL) {
			ldns_rr_free(rr);
			reply_oom(c);
			return;
		}
		v->rr = nrr;
		ntie = realloc(v->tie, cap * sizeof *ntie);
		if (ntie == NULL) {
			ldns_rr_free(rr);
			reply_oom(c);
			return;
		}
		v->tie = ntie;
		v->cap = cap;
	}
	v->rr[v->n] = rr;
	v->tie[v->n] = tie;
	v->n++;
}

/* Additional records are deduplicated: several SRV answers often share a target. */
static void extra_push(struct ctx *c, ldns_rr *rr, size_t tie)
{
	size_t i;

	if (rr == NULL)
		return;
	for (i = 0; i < c->r.ar.n; i++) {
		if (rr_same(c->r.ar.rr[i], rr)) {
			ldns_rr_free(rr);
			return;
		}
	}
	vec_push(c, &c->r.ar, rr, tie);
}

static void vec_free(struct rrvec *v)
{
	size_t i;

	for (i = 0; i < v->n; i++)
		ldns_rr_free(v->rr[i]);
	free(v->rr);
	free(v->tie);
	memset(v, 0, sizeof *v);
}

static void add_soa(struct ctx *c)
{
	vec_push(c, &c->r.ns, soa_rr(c), UNTIED);
}

/* NXDOMAIN with the SOA in the authority section (RFC 2308 §2.1). */
static void name_error(struct ctx *c)
{
	c->r.rcode = LDNS_RCODE_NXDOMAIN;
	add_soa(c);
}

/* ---- node lookups ---- */

/* TXT records of a node's meta, owned by owner (Consul's generateMeta). */
static void node_meta_records(struct ctx *c, const struct cv_node *n, const ldns_rdf *owner, uint32_t ttl,
			      bool to_answer, size_t tie)
{
	struct buf text;
	size_t i;

	buf_init(&text);
	for (i = 0; i < n->n_meta; i++) {
		ldns_rr *rr;

		buf_reset(&text);
		if (meta_text(&n->meta[i], &text) < 0) {
			reply_oom(c);
			break;
		}
		rr = txt_rr(c, ldns_rdf_clone(owner), text.data ? text.data : "", text.len, ttl);
		if (to_answer)
			vec_push(c, &c->r.an, rr, UNTIED);
		else
			extra_push(c, rr, tie);
	}
	buf_free(&text);
}

/* Records for a node's address owned by owner: A/AAAA for an IP, a CNAME for a host name. */
static ldns_rr *node_addr_record(struct ctx *c, const struct cv_node *n, ldns_rdf *owner, uint32_t ttl)
{
	struct ip ip;

	if (ip_parse(n->address, &ip))
		return addr_rr(c, owner, &ip, ttl);
	if (n->address[0] == '\0') {
		ldns_rdf_deep_free(owner);
		return NULL;
	}
	return name_rr(c, owner, LDNS_RR_TYPE_CNAME, ttl, dname_make(n->address, NULL, NULL, NULL));
}

static void node_lookup(struct ctx *c, const char *name, size_t len)
{
	const struct cv_node *n = catalog_view_node(c->view, name, len);
	ldns_rr_type t = c->qtype;
	uint32_t ttl = c->cfg->node_ttl_s;

	if (n == NULL) {
		name_error(c);
		return;
	}
	if (t != LDNS_RR_TYPE_ANY && t != LDNS_RR_TYPE_A && t != LDNS_RR_TYPE_AAAA && t != LDNS_RR_TYPE_TXT) {
		add_soa(c); /* NODATA */
		return;
	}
	if (t != LDNS_RR_TYPE_TXT)
		vec_push(c, &c->r.an, node_addr_record(c, n, qname_copy(c), ttl), UNTIED);
	if (c->cfg->node_meta_txt || t == LDNS_RR_TYPE_TXT || t == LDNS_RR_TYPE_ANY)
		node_meta_records(c, n, c->qname, ttl, t == LDNS_RR_TYPE_TXT || t == LDNS_RR_TYPE_ANY, UNTIED);
	if (c->r.an.n == 0)
		add_soa(c); /* NODATA: e.g. AAAA of a node with an IPv4 address */
}

/* ---- service lookups ---- */

static bool instance_healthy(const struct ctx *c, const struct cv_instance *in)
{
	if (in->status == CV_CRITICAL)
		return false;
	return !(c->cfg->only_passing && in->status != CV_PASSING);
}

/* Indexes (into view->instances) of the healthy instances of name, with tag if given,
 * shuffled. Returns the count; *out is malloc'd (NULL when zero). */
static size_t healthy_instances(struct ctx *c, const char *name, size_t len, const char *tag, size_t tag_len,
				size_t **out)
{
	size_t first, count = catalog_view_service(c->view, name, len, &first), n = 0, i;
	size_t *idx;

	*out = NULL;
	if (count == 0)
		return 0;
	idx = malloc(count * sizeof *idx);
	if (idx == NULL) {
		reply_oom(c);
		return 0;
	}
	for (i = first; i < first + count; i++) {
		const struct cv_instance *in = &c->view->instances[i];

		if (instance_healthy(c, in) && (tag == NULL || cv_instance_has_tag(in, tag, tag_len)))
			idx[n++] = i;
	}
	for (i = n; i > 1; i--) { /* Fisher-Yates, as Consul shuffles its nodes */
		size_t j = (size_t)(prng_next(&c->prng) % i), tmp = idx[i - 1];

		idx[i - 1] = idx[j];
		idx[j] = tmp;
	}
	if (n == 0) {
		free(idx);
		return 0;
	}
	*out = idx;
	return n;
}

/* "7f000001.addr.dc1.consul.": the name Consul gives an SRV target that is a bare IP. */
static ldns_rdf *addr_target(struct ctx *c, const struct ip *ip)
{
	char hex[33];
	size_t i, n = ip->family == AF_INET ? 4 : 16;

	for (i = 0; i < n; i++)
		snprintf(hex + 2 * i, 3, "%02x", ip->b[i]);
	return dname_make(hex, "addr", c->cfg->datacenter, c->cfg->domain);
}

static ldns_rdf *node_target(struct ctx *c, const struct cv_node *n)
{
	return dname_make(n->name, "node", c->cfg->datacenter, c->cfg->domain);
}

/* SRV answer and its additional records for one instance (Consul's nodeServiceRecords with
 * an SRV question). */
static void instance_srv(struct ctx *c, const struct cv_instance *in, uint32_t ttl)
{
	const struct cv_node *n = in->node;
	size_t tie = c->r.an.n;
	struct ip ip;
	bool have_ip;
	ldns_rdf *target;

	if (in->address[0] == '\0' && n->address[0] == '\0')
		return;
	if (in->address[0] != '\0') {
		have_ip = ip_parse(in->address, &ip);
		if (have_ip)
			target = addr_target(c, &ip); /* a service address that is an IP */
		else
			target = dname_make(in->address, NULL, NULL, NULL); /* an external host name */
	} else {
		have_ip = ip_parse(n->address, &ip);
		target = have_ip ? node_target(c, n) : dname_make(n->address, NULL, NULL, NULL);
	}
	if (target == NULL)
		return;
	vec_push(c, &c->r.an, srv_rr(c, in->port, ldns_rdf_clone(target), ttl), tie);
	if (have_ip)
		extra_push(c, addr_rr(c, ldns_rdf_clone(target), &ip, ttl), tie);
	ldns_rdf_deep_free(target);
	if (c->cfg->node_meta_txt) {
		ldns_rdf *owner = node_target(c, n);

		if (owner != NULL) {
			node_meta_records(c, n, owner, ttl, false, tie);
			ldns_rdf_deep_free(owner);
		}
	}
}

/* The A/AAAA (or CNAME) answer for one instance; NULL if none fits the question. */
static ldns_rr *instance_addr(struct ctx *c, const struct cv_instance *in, uint32_t ttl)
{
	const char *addr = in->address[0] != '\0' ? in->address : in->node->address;
	struct ip ip;

	if (addr[0] == '\0')
		return NULL;
	if (ip_parse(addr, &ip))
		return addr_rr(c, qname_copy(c), &ip, ttl);
	/* Consul: a service address naming the service itself falls back to the node's IP. */
	if (in->address[0] != '\0' && ip_parse(in->node->address, &ip)) {
		ldns_rdf *self = dname_make(in->address, NULL, NULL, NULL);
		bool is_self = self != NULL && ldns_dname_compare(self, c->qname) == 0;

		ldns_rdf_deep_free(self);
		if (is_self)
			return addr_rr(c, qname_copy(c), &ip, ttl);
	}
	return name_rr(c, qname_copy(c), LDNS_RR_TYPE_CNAME, ttl, dname_make(addr, NULL, NULL, NULL));
}

static bool answer_has(const struct ctx *c, const ldns_rr *rr)
{
	size_t i;

	for (i = 0; i < c->r.an.n; i++)
		if (rr_same(c->r.an.rr[i], rr))
			return true;
	return false;
}

/* Consul's serviceNodeRecords: one record per distinct address; CNAMEs only when no
 * instance has an address record. */
static void service_addr_records(struct ctx *c, const size_t *idx, size_t n, uint32_t ttl)
{
	ldns_rr *cname = NULL;
	size_t i;

	for (i = 0; i < n; i++) {
		ldns_rr *rr = instance_addr(c, &c->view->instances[idx[i]], ttl);

		if (rr == NULL)
			continue;
		if (ldns_rr_get_type(rr) == LDNS_RR_TYPE_CNAME) {
			if (cname == NULL)
				cname = rr;
			else
				ldns_rr_free(rr);
		} else if (answer_has(c, rr)) {
			ldns_rr_free(rr);
		} else {
			vec_push(c, &c->r.an, rr, UNTIED);
		}
	}
	if (c->r.an.n == 0 && cname != NULL)
		vec_push(c, &c->r.an, cname, UNTIED);
	else if (cname != NULL)
		ldns_rr_free(cname);
}

/* Consul's serviceSRVRecords: one SRV per distinct (node, address, port). */
static void service_srv_records(struct ctx *c, const size_t *idx, size_t n, uint32_t ttl)
{
	size_t i, j;

	for (i = 0; i < n; i++) {
		const struct cv_instance *in = &c->view->instances[idx[i]];
		bool dup = false;

		for (j = 0; j < i && !dup; j++) {
			const struct cv_instance *o = &c->view->instances[idx[j]];

			dup = o->node == in->node && o->port == in->port && strcmp(o->address, in->address) == 0;
		}
		if (!dup)
			instance_srv(c, in, ttl);
	}
}

static void service_lookup(struct ctx *c, const char *name, size_t len, const char *tag, size_t tag_len)
{
	uint32_t ttl = c->cfg->service_ttl_s;
	size_t *idx, n = healthy_instances(c, name, len, tag, tag_len, &idx);

	if (n == 0) {
		name_error(c);
		return;
	}
	if (c->qtype == LDNS_RR_TYPE_SRV)
		service_srv_records(c, idx, n, ttl);
	else
		service_addr_records(c, idx, n, ttl);
	free(idx);
	if (c->r.an.n == 0)
		add_soa(c); /* NODATA */
}

/* ---- the domain's own SOA and NS ---- */

/* Up to three healthy servers (instances of the "consul" service) as NS records, with their
 * addresses as glue (Consul's nameservers()). */
static void nameservers(struct ctx *c, bool ns_in_answer)
{
	size_t *idx, n = healthy_instances(c, "consul", 6, NULL, 0, &idx), i, added = 0;

	for (i = 0; i < n && added < MAX_NAMESERVERS; i++) {
		const struct cv_node *node = c->view->instances[idx[i]].node;
		ldns_rdf *target = node_target(c, node);
		ldns_rr *ns;
		ldns_rr_type saved = c->qtype;

		if (target == NULL)
			continue;
		dname_lower(target);
		ns = name_rr(c, dname_make(c->cfg->domain, NULL, NULL, NULL), LDNS_RR_TYPE_NS, c->cfg->node_ttl_s,
			     ldns_rdf_clone(target));
		vec_push(c, ns_in_answer ? &c->r.an : &c->r.ns, ns, UNTIED);
		c->qtype = LDNS_RR_TYPE_ANY; /* glue of either family */
		extra_push(c, node_addr_record(c, node, target, c->cfg->node_ttl_s), UNTIED);
		c->qtype = saved;
		added++;
	}
	free(idx);
}

/* ---- name dispatch ---- */

/* Parses the labels between the lookup kind and the domain: "", "DC", "DC.dc", "PEER.peer".
 * Returns true when they name our datacenter. */
static bool locality_is_ours(const struct ctx *c, size_t from, size_t to)
{
	struct labels dc;
	const struct label *l = &c->q.l[from];

	labels_from_str(c->cfg->datacenter, &dc);
	switch (to - from) {
	case 0:
		return true;
	case 1:
		return dc.n == 1 && labels_eq(&l[0], &dc.l[0]);
	case 2:
		return label_is(&l[1], "dc") && dc.n == 1 && labels_eq(&l[0], &dc.l[0]);
	default: /* peers and partitions: not in this suite */
		return false;
	}
}

static bool label_is_kind(const struct label *l)
{
	static const char *const kinds[] = {"service", "connect", "virtual", "ingress", "node", "query", "addr"};
	size_t i;

	for (i = 0; i < sizeof kinds / sizeof kinds[0]; i++)
		if (label_is(l, kinds[i]))
			return true;
	return false;
}

static int hex_val(uint8_t ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	if (ch >= 'A' && ch <= 'F')
		return ch - 'A' + 10;
	return -1;
}

/* HEX.addr.DC.consul: the address spelled in hex, as Consul's SRV targets use. */
static void addr_lookup(struct ctx *c, size_t kind_at)
{
	const struct label *l = &c->q.l[0];
	struct ip ip;
	size_t i;
	ldns_rdf *owner;
	ldns_rr_type want;
	ldns_rr *rr;

	if (kind_at != 1) {
		name_error(c);
		return;
	}
	if (l->len == 8)
		ip.family = AF_INET;
	else if (l->len == 32)
		ip.family = AF_INET6;
	else {
		/* Consul's router (1.19 on) answers any other length as a name it does not know;
		 * the older resolver gave an empty NOERROR. */
		name_error(c);
		return;
	}
	for (i = 0; i < l->len / 2; i++) {
		int hi = hex_val(l->p[2 * i]), lo = hex_val(l->p[2 * i + 1]);

		if (hi < 0 || lo < 0) {
			name_error(c);
			return;
		}
		ip.b[i] = (uint8_t)(hi << 4 | lo);
	}
	/* Consul names the record in lower case and files it under additional when the type
	 * asked is not the address's own. */
	owner = ldns_rdf_clone(c->qname);
	if (owner != NULL)
		dname_lower(owner);
	want = ip.family == AF_INET ? LDNS_RR_TYPE_A : LDNS_RR_TYPE_AAAA;
	if (c->qtype == want || c->qtype == LDNS_RR_TYPE_ANY) {
		vec_push(c, &c->r.an, addr_rr(c, owner, &ip, c->cfg->node_ttl_s), UNTIED);
	} else {
		ldns_rr_type saved = c->qtype;

		c->qtype = want;
		rr = addr_rr(c, owner, &ip, c->cfg->node_ttl_s);
		c->qtype = saved;
		extra_push(c, rr, UNTIED);
	}
}

static void service_dispatch(struct ctx *c, size_t n_parts)
{
	const struct labels *q = &c->q;
	char name[LDNS_MAX_DOMAINLEN + 1], tag[LDNS_MAX_DOMAINLEN + 1];
	size_t name_len, tag_len = 0;
	bool has_tag = false;

	if (n_parts == 2 && q->l[0].len > 1 && q->l[0].p[0] == '_' && q->l[1].len > 1 && q->l[1].p[0] == '_') {
		/* RFC 2782: _name._tag; "_tcp" means no tag filter */
		struct label svc = {q->l[0].p + 1, q->l[0].len - 1}, tg = {q->l[1].p + 1, q->l[1].len - 1};
		struct labels one;

		one.n = 1;
		one.l[0] = svc;
		name_len = labels_join(&one, 0, 1, name, sizeof name);
		if (!label_is(&tg, "tcp")) {
			one.l[0] = tg;
			tag_len = labels_join(&one, 0, 1, tag, sizeof tag);
			has_tag = true;
		}
	} else {
		/* [tag.]name: a tag may itself contain dots (Consul 0.3 form) */
		name_len = labels_join(q, n_parts - 1, n_parts, name, sizeof name);
		if (n_parts >= 2) {
			tag_len = labels_join(q, 0, n_parts - 1, tag, sizeof tag);
			has_tag = true;
		}
	}
	service_lookup(c, name, name_len, has_tag ? tag : NULL, tag_len);
}

/* A name inside our domain, for a type other than SOA/NS/AXFR (Consul's dispatch). */
static void dispatch(struct ctx *c)
{
	size_t n = c->n_rest, i, kind_at = SIZE_MAX, parts_end = 0, suffix_from = 0;
	const struct label *kind = NULL;
	char node[LDNS_MAX_DOMAINLEN + 1];

	/* The rightmost kind label decides; for SRV a leading '_' label may stand for "service". */
	for (i = n; i-- > 0;) {
		if (label_is_kind(&c->q.l[i])) {
			kind = &c->q.l[i];
			kind_at = i;
			parts_end = i;
			suffix_from = i + 1;
			break;
		}
		if (c->qtype == LDNS_RR_TYPE_SRV && c->q.l[i].len > 0 && c->q.l[i].p[0] == '_') {
			kind_at = i;
			parts_end = i + 1;
			suffix_from = i + 1;
			break;
		}
	}
	if (kind_at == SIZE_MAX) {
		name_error(c);
		return;
	}
	if (kind != NULL && label_is(kind, "addr")) {
		addr_lookup(c, kind_at);
		return;
	}
	if (parts_end == 0 || !locality_is_ours(c, suffix_from, n)) {
		name_error(c); /* no name, or another datacenter: no federation yet */
		return;
	}
	if (kind == NULL || label_is(kind, "service")) {
		service_dispatch(c, parts_end);
	} else if (label_is(kind, "node")) {
		size_t len = labels_join(&c->q, 0, parts_end, node, sizeof node);

		node_lookup(c, node, len);
	} else {
		name_error(c); /* connect, ingress, virtual, prepared queries: none exist here */
	}
}

static void domain_query(struct ctx *c)
{
	switch (c->qtype) {
	case LDNS_RR_TYPE_SOA:
		vec_push(c, &c->r.an, soa_rr(c), UNTIED);
		nameservers(c, false);
		break;
	case LDNS_RR_TYPE_NS:
		nameservers(c, true);
		break;
	case LDNS_RR_TYPE_AXFR:
		c->r.rcode = LDNS_RCODE_NOTIMPL;
		break;
	default:
		dispatch(c);
	}
}

/* Parses d.c.b.a.in-addr.arpa or the 32 nibbles of ip6.arpa. */
static bool reverse_ip(const struct labels *q, struct ip *ip)
{
	size_t i;

	if (q->n == 6 && label_is(&q->l[4], "in-addr") && label_is(&q->l[5], "arpa")) {
		for (i = 0; i < 4; i++) {
			const struct label *l = &q->l[3 - i];
			unsigned v = 0;
			size_t k;

			if (l->len == 0 || l->len > 3)
				return false;
			for (k = 0; k < l->len; k++) {
				if (l->p[k] < '0' || l->p[k] > '9')
					return false;
				v = v * 10 + (unsigned)(l->p[k] - '0');
			}
			if (v > 255)
				return false;
			ip->b[i] = (uint8_t)v;
		}
		ip->family = AF_INET;
		return true;
	}
	if (q->n == 34 && label_is(&q->l[32], "ip6") && label_is(&q->l[33], "arpa")) {
		memset(ip->b, 0, sizeof ip->b);
		for (i = 0; i < 32; i++) {
			int v = q->l[31 - i].len == 1 ? hex_val(q->l[31 - i].p[0]) : -1;

			if (v < 0)
				return false;
			ip->b[i / 2] = (uint8_t)(ip->b[i / 2] | (i % 2 ? v : v << 4));
		}
		ip->family = AF_INET6;
		return true;
	}
	return false;
}

static bool ip_eq(const struct ip *a, const char *s)
{
	struct ip b;
	size_t n = a->family == AF_INET ? 4 : 16;

	return ip_parse(s, &b) && b.family == a->family && memcmp(a->b, b.b, n) == 0;
}

/* Reverse lookups: the first node with the address, else the first service instance with it
 * as ServiceAddress (Consul's handlePtr). */
static void ptr_query(struct ctx *c)
{
	struct ip ip;
	ldns_rdf *target = NULL;
	size_t i;

	if (c->qtype == LDNS_RR_TYPE_SOA)
		add_soa(c);
	if (reverse_ip(&c->q, &ip)) {
		for (i = 0; i < c->view->n_nodes && target == NULL; i++) {
			const struct cv_node *n = &c->view->nodes[i];

			if (ip_eq(&ip, n->address))
				target = dname_make(n->name, "node",
						    n->datacenter[0] ? n->datacenter : c->cfg->datacenter, c->cfg->domain);
		}
		for (i = 0; i < c->view->n_instances && target == NULL; i++) {
			const struct cv_instance *in = &c->view->instances[i];

			if (in->address[0] != '\0' && ip_eq(&ip, in->address))
				target = dname_make(in->name, "service", c->cfg->datacenter, c->cfg->domain);
		}
	}
	if (target == NULL) {
		/* Consul hands unknown reverse names to its recursors; with none it fails. */
		vec_free(&c->r.ns);
		c->r.rcode = LDNS_RCODE_SERVFAIL;
		c->r.aa = false;
		c->r.ra = true;
		return;
	}
	vec_push(c, &c->r.an, name_rr(c, qname_copy(c), LDNS_RR_TYPE_PTR, 0, target), UNTIED);
}

/* ---- encoding and trimming ---- */

struct request {
	uint16_t id;
	ldns_pkt_opcode opcode;
	bool rd, cd;
	bool edns;
	uint16_t udp_size;
};

static ldns_status push_shallow(ldns_pkt *p, ldns_pkt_section s, ldns_rr *rr)
{
	return ldns_pkt_push_rr(p, s, rr) ? LDNS_STATUS_OK : LDNS_STATUS_MEM_ERR;
}

/* Frees a packet whose answer, authority and additional lists borrow our records. */
static void pkt_free_shallow(ldns_pkt *p)
{
	ldns_rr_list_free(ldns_pkt_answer(p));
	ldns_pkt_set_answer(p, ldns_rr_list_new());
	ldns_rr_list_free(ldns_pkt_authority(p));
	ldns_pkt_set_authority(p, ldns_rr_list_new());
	ldns_rr_list_free(ldns_pkt_additional(p));
	ldns_pkt_set_additional(p, ldns_rr_list_new());
	ldns_pkt_free(p);
}

/* Encodes the reply with the first n_an answers (and the additional records they need).
 * Returns 0 with *wire malloc'd, or -ENOMEM. */
static int reply_encode(const struct request *rq, const ldns_rr *question, const struct reply *r, size_t n_an,
			bool with_ns, bool tc, uint8_t **wire, size_t *len)
{
	ldns_pkt *p = ldns_pkt_new();
	ldns_rr *q = question ? ldns_rr_clone(question) : NULL;
	ldns_status st = LDNS_STATUS_OK;
	size_t i;

	if (p == NULL || (question != NULL && q == NULL)) {
		ldns_rr_free(q);
		if (p)
			ldns_pkt_free(p);
		return -ENOMEM;
	}
	ldns_pkt_set_id(p, rq->id);
	ldns_pkt_set_qr(p, true);
	ldns_pkt_set_opcode(p, rq->opcode);
	ldns_pkt_set_aa(p, r->aa);
	ldns_pkt_set_tc(p, tc);
	ldns_pkt_set_rd(p, rq->rd);
	ldns_pkt_set_cd(p, rq->cd);
	ldns_pkt_set_ra(p, r->ra);
	ldns_pkt_set_rcode(p, r->rcode);
	if (q != NULL && !ldns_pkt_push_rr(p, LDNS_SECTION_QUESTION, q)) {
		ldns_rr_free(q);
		st = LDNS_STATUS_MEM_ERR;
	}
	for (i = 0; i < n_an && st == LDNS_STATUS_OK; i++)
		st = push_shallow(p, LDNS_SECTION_ANSWER, r->an.rr[i]);
	for (i = 0; with_ns && i < r->ns.n && st == LDNS_STATUS_OK; i++)
		st = push_shallow(p, LDNS_SECTION_AUTHORITY, r->ns.rr[i]);
	for (i = 0; i < r->ar.n && st == LDNS_STATUS_OK; i++)
		if (r->ar.tie[i] == UNTIED || r->ar.tie[i] < n_an)
			st = push_shallow(p, LDNS_SECTION_ADDITIONAL, r->ar.rr[i]);
	if (rq->edns) /* echo the client's size, as Consul does */
		ldns_pkt_set_edns_udp_size(p, rq->udp_size ? rq->udp_size : DEFAULT_UDP_SIZE);
	if (st == LDNS_STATUS_OK)
		st = ldns_pkt2wire(wire, p, len);
	pkt_free_shallow(p);
	return st == LDNS_STATUS_OK ? 0 : -ENOMEM;
}

/* Size of the reply with n_an answers, or SIZE_MAX on failure. */
static size_t reply_size(const struct request *rq, const ldns_rr *question, const struct reply *r, size_t n_an,
			 bool with_ns)
{
	uint8_t *wire;
	size_t len;

	if (reply_encode(rq, question, r, n_an, with_ns, false, &wire, &len) < 0)
		return SIZE_MAX;
	free(wire);
	return len;
}

/* Consul's trimUDPResponse / trimTCPResponse: cut answers (and the additional records they
 * pulled in, and then the authority section) until the message fits. Returns the answers kept. */
static size_t reply_fit(const struct request *rq, const ldns_rr *question, const struct reply *r,
			const struct answer_config *cfg, bool *with_ns)
{
	size_t n = r->an.n, max_size, lo, hi;

	*with_ns = true;
	if (cfg->tcp) {
		size_t cap = ldns_rr_get_type(question) == LDNS_RR_TYPE_SRV ? 1024 : 4096;

		max_size = MAX_TCP_SIZE;
		if (n > cap)
			n = cap;
	} else {
		size_t limit = cfg->udp_answer_limit < MAX_UDP_ANSWER_LIMIT ? cfg->udp_answer_limit : MAX_UDP_ANSWER_LIMIT;

		max_size = DEFAULT_UDP_SIZE;
		if (rq->edns && rq->udp_size > DEFAULT_UDP_SIZE)
			max_size = rq->udp_size;
		if (max_size > MAX_UDP_SIZE)
			max_size = MAX_UDP_SIZE;
		/* the answer limit binds only plain 512-byte queries, as in Consul */
		if (max_size == DEFAULT_UDP_SIZE && n > limit)
			n = limit;
		max_size -= 8; /* Consul leaves room for the UDP header */
	}
	if (n <= 1 || reply_size(rq, question, r, n, true) <= max_size)
		return n;
	*with_ns = false;
	if (reply_size(rq, question, r, n, false) <= max_size)
		return n;
	/* binary search for the most answers that fit; at least one is always kept */
	lo = 1;
	hi = n - 1;
	while (lo < hi) {
		size_t mid = lo + (hi - lo + 1) / 2;

		if (reply_size(rq, question, r, mid, false) <= max_size)
			lo = mid;
		else
			hi = mid - 1;
	}
	return lo;
}

/* A reply of just a header (for packets whose body cannot be trusted). */
static int header_only(const uint8_t *query, uint8_t rcode, uint8_t **resp, size_t *resp_len)
{
	uint8_t *h = calloc(1, DNS_HDR_LEN);

	if (h == NULL)
		return -ENOMEM;
	h[0] = query[0];
	h[1] = query[1];
	h[2] = (uint8_t)(0x80 | (query[2] & 0x79)); /* QR, and the opcode and RD asked */
	h[3] = rcode & 0x0f;
	*resp = h;
	*resp_len = DNS_HDR_LEN;
	return 0;
}

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static void route(struct ctx *c)
{
	const ldns_rdf *owner = c->qname;
	size_t i;

	if (!labels_from_wire(ldns_rdf_data(owner), ldns_rdf_size(owner), &c->q)) {
		c->r.rcode = LDNS_RCODE_FORMERR;
		return;
	}
	labels_from_str(c->cfg->domain, &c->domain);
	if (c->q.n > 0 && label_is(&c->q.l[c->q.n - 1], "arpa")) {
		ptr_query(c);
		return;
	}
	if (c->q.n < c->domain.n)
		goto refused;
	for (i = 0; i < c->domain.n; i++)
		if (!labels_eq(&c->q.l[c->q.n - c->domain.n + i], &c->domain.l[i]))
			goto refused;
	c->n_rest = c->q.n - c->domain.n;
	domain_query(c);
	return;
refused:
	/* Outside the domain with no recursors: nothing handles it (miekg/dns answers REFUSED). */
	c->r.rcode = LDNS_RCODE_REFUSED;
	c->r.aa = false;
}

int answer_query(const struct catalog_view *view, const struct answer_config *cfg, const uint8_t *query,
		 size_t query_len, uint8_t **resp, size_t *resp_len)
{
	struct ctx *c;
	struct request rq;
	ldns_pkt *req = NULL;
	size_t n_an;
	bool with_ns, tc;
	int rc;

	if (query == NULL || query_len < DNS_HDR_LEN || (query[2] & 0x80))
		return -EINVAL; /* no header, or a response: never answer those */
	if (((query[2] >> 3) & 0x0f) != LDNS_PACKET_QUERY)
		return header_only(query, LDNS_RCODE_NOTIMPL, resp, resp_len);
	/* miekg/dns, under Consul, rejects these as malformed before parsing further */
	if (get16(query + 4) != 1 || get16(query + 6) > 1 || get16(query + 8) > 1 || get16(query + 10) > 2)
		return header_only(query, LDNS_RCODE_FORMERR, resp, resp_len);
	if (ldns_wire2pkt(&req, query, query_len) != LDNS_STATUS_OK || req == NULL ||
	    ldns_rr_list_rr_count(ldns_pkt_question(req)) != 1) {
		if (req)
			ldns_pkt_free(req);
		return header_only(query, LDNS_RCODE_FORMERR, resp, resp_len);
	}
	c = calloc(1, sizeof *c);
	if (c == NULL) {
		ldns_pkt_free(req);
		return -ENOMEM;
	}
	rq.id = ldns_pkt_id(req);
	rq.opcode = ldns_pkt_get_opcode(req);
	rq.rd = ldns_pkt_rd(req);
	rq.cd = ldns_pkt_cd(req);
	rq.edns = ldns_pkt_edns(req);
	rq.udp_size = ldns_pkt_edns_udp_size(req);
	c->view = view;
	c->cfg = cfg;
	c->question = ldns_rr_list_rr(ldns_pkt_question(req), 0);
	c->qname = ldns_rr_owner(c->question);
	c->qtype = ldns_rr_get_type(c->question);
	c->prng = cfg->seed;
	c->r.aa = true;
	c->r.rcode = LDNS_RCODE_NOERROR;

	if (view == NULL) { /* the cache was never filled: say so rather than deny names */
		c->r.rcode = LDNS_RCODE_SERVFAIL;
	} else {
		route(c);
	}
	if (c->r.oom) {
		rc = -ENOMEM;
		goto out;
	}
	n_an = reply_fit(&rq, c->question, &c->r, cfg, &with_ns);
	tc = n_an < c->r.an.n && cfg->enable_truncate;
	rc = reply_encode(&rq, c->question, &c->r, n_an, with_ns, tc, resp, resp_len);
	if (rc == 0 && !cfg->tcp && n_an <= 1 && *resp_len > (rq.edns && rq.udp_size > DEFAULT_UDP_SIZE ? rq.udp_size
									     : DEFAULT_UDP_SIZE)) {
		/* Even one answer does not fit the client's buffer: say so and let it retry on
		 * TCP rather than send a datagram it cannot take. */
		struct reply empty = {.rcode = c->r.rcode, .aa = c->r.aa, .ra = c->r.ra};

		free(*resp);
		rc = reply_encode(&rq, c->question, &empty, 0, false, true, resp, resp_len);
	}
out:
	vec_free(&c->r.an);
	vec_free(&c->r.ns);
	vec_free(&c->r.ar);
	free(c);
	ldns_pkt_free(req);
	return rc;
}
