/* filter.c: Consul's filter expressions (see filter.h): a recursive-descent parser into a small
 * tree, and its evaluation against yajl values. Pure: no I/O, no clock. */
#include "filter.h"

#include <ctype.h>
#include <regex.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/go_regex.h"
#include "common/json.h"

enum filter_kind { FILTER_OR, FILTER_AND, FILTER_NOT, FILTER_MATCH };

/* The positive operators; each has a negated form (not_op). "contains" is "in" written the
 * other way round, as in go-bexpr. */
enum match_op { MATCH_EQUAL, MATCH_IN, MATCH_EMPTY, MATCH_MATCHES };

#define MAX_PATH 16

struct filter {
	enum filter_kind kind;
	struct filter *left, *right; /* or, and: both; not: left */
	/* a match */
	char *path[MAX_PATH];
	size_t npath;
	enum match_op op;
	bool negated;
	char *value; /* NULL for is (not) empty */
	bool has_regex;
	regex_t regex;
};

/* ---- the parser ---- */

struct parser {
	const char *s;
	size_t pos;
	size_t len;
	int depth;
	char *err;
	size_t err_len;
	bool failed;
};

static void perr(struct parser *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void perr(struct parser *p, const char *fmt, ...)
{
	if (p->failed)
		return;
	p->failed = true;
	size_t line = 1, col = 1;
	for (size_t i = 0; i < p->pos && i < p->len; i++) {
		if (p->s[i] == '\n') {
			line++;
			col = 1;
		} else {
			col++;
		}
	}
	int n = snprintf(p->err, p->err_len, "%zu:%zu (%zu): ", line, col, p->pos);
	if (n < 0 || (size_t)n >= p->err_len)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(p->err + n, p->err_len - (size_t)n, fmt, ap);
	va_end(ap);
}

static char peek(const struct parser *p)
{
	return p->pos < p->len ? p->s[p->pos] : '\0';
}

static size_t skip_ws(struct parser *p)
{
	size_t start = p->pos;
	while (p->pos < p->len && strchr(" \t\r\n", p->s[p->pos]))
		p->pos++;
	return p->pos - start;
}

static bool is_ident_start(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool is_ident_char(char c)
{
	return is_ident_start(c) || (c >= '0' && c <= '9') || c == '_' || c == '/';
}

/* Is the keyword `word` next (not the start of a longer identifier)? Consumes it if so. */
static bool accept_word(struct parser *p, const char *word)
{
	size_t n = strlen(word);
	if (p->len - p->pos < n || memcmp(p->s + p->pos, word, n) != 0)
		return false;
	if (p->pos + n < p->len && is_ident_char(p->s[p->pos + n]))
		return false;
	p->pos += n;
	return true;
}

/* The keyword next, after whitespace, without consuming anything. */
static bool word_ahead(struct parser *p, const char *word)
{
	size_t save = p->pos;
	bool found = skip_ws(p) > 0 && accept_word(p, word);
	p->pos = save;
	return found;
}

static void node_free(struct filter *f)
{
	if (!f)
		return;
	node_free(f->left);
	node_free(f->right);
	for (size_t i = 0; i < f->npath; i++)
		free(f->path[i]);
	free(f->value);
	if (f->has_regex)
		regfree(&f->regex);
	free(f);
}

static struct filter *node_new(struct parser *p, enum filter_kind kind)
{
	struct filter *f = calloc(1, sizeof *f);
	if (!f)
		perr(p, "out of memory");
	else
		f->kind = kind;
	return f;
}

static struct filter *node_pair(struct parser *p, enum filter_kind kind, struct filter *left, struct filter *right)
{
	struct filter *f = left && right ? node_new(p, kind) : NULL;
	if (!f) {
		node_free(left);
		node_free(right);
		return NULL;
	}
	f->left = left;
	f->right = right;
	return f;
}

static int hex_val(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static void append_utf8(struct buf *out, uint32_t cp)
{
	if (cp < 0x80) {
		buf_append_char(out, (char)cp);
	} else if (cp < 0x800) {
		buf_append_char(out, (char)(0xc0 | (cp >> 6)));
		buf_append_char(out, (char)(0x80 | (cp & 0x3f)));
	} else if (cp < 0x10000) {
		buf_append_char(out, (char)(0xe0 | (cp >> 12)));
		buf_append_char(out, (char)(0x80 | ((cp >> 6) & 0x3f)));
		buf_append_char(out, (char)(0x80 | (cp & 0x3f)));
	} else {
		buf_append_char(out, (char)(0xf0 | (cp >> 18)));
		buf_append_char(out, (char)(0x80 | ((cp >> 12) & 0x3f)));
		buf_append_char(out, (char)(0x80 | ((cp >> 6) & 0x3f)));
		buf_append_char(out, (char)(0x80 | (cp & 0x3f)));
	}
}

/* One escape after a backslash inside "...", as Go's strconv.Unquote reads it. */
static bool unescape_one(struct parser *p, struct buf *out)
{
	char c = peek(p);
	p->pos++;
	static const char simple_in[] = "abfnrtv\\\"";
	static const char simple_out[] = "\a\b\f\n\r\t\v\\\"";
	const char *hit = c ? strchr(simple_in, c) : NULL;
	if (hit) {
		buf_append_char(out, simple_out[hit - simple_in]);
		return true;
	}
	uint32_t cp = 0;
	int digits = c == 'x' ? 2 : c == 'u' ? 4 : c == 'U' ? 8 : 0;
	if (digits) {
		for (int i = 0; i < digits; i++) {
			int h = hex_val(peek(p));
			if (h < 0)
				return false;
			cp = cp << 4 | (uint32_t)h;
			p->pos++;
		}
		if (c == 'x') {
			buf_append_char(out, (char)cp);
			return cp != 0;
		}
		if (cp == 0 || cp > 0x10ffff || (cp >= 0xd800 && cp < 0xe000))
			return false;
		append_utf8(out, cp);
		return true;
	}
	if (c >= '0' && c <= '7') {
		cp = (uint32_t)(c - '0');
		for (int i = 0; i < 2; i++) {
			char d = peek(p);
			if (d < '0' || d > '7')
				return false;
			cp = cp * 8 + (uint32_t)(d - '0');
			p->pos++;
		}
		if (cp == 0 || cp > 255)
			return false;
		buf_append_char(out, (char)cp);
		return true;
	}
	return false;
}

/* A "double-quoted" (with Go escapes) or `raw` string. Returns it (caller frees) or NULL. */
static char *parse_string(struct parser *p)
{
	char quote = peek(p);
	size_t start = p->pos++;
	struct buf out;
	buf_init(&out);
	buf_append(&out, "", 0);
	for (;;) {
		if (p->pos >= p->len) {
			p->pos = start;
			perr(p, "Unterminated string literal");
			break;
		}
		char c = p->s[p->pos];
		if (c == quote) {
			p->pos++;
			return buf_steal(&out, NULL);
		}
		if (c == '\0' || (quote == '"' && c == '\n')) {
			perr(p, "invalid character in string literal");
			break;
		}
		if (quote == '"' && c == '\\') {
			p->pos++;
			if (!unescape_one(p, &out)) {
				perr(p, "invalid escape in string literal");
				break;
			}
			continue;
		}
		buf_append_char(&out, c);
		p->pos++;
	}
	buf_free(&out);
	return NULL;
}

/* Ident ("." Ident | "." digits | "[" string "]")*, into f->path. */
static bool parse_selector(struct parser *p, struct filter *f)
{
	if (!is_ident_start(peek(p))) {
		perr(p, "Invalid selector");
		return false;
	}
	for (bool first = true;; first = false) {
		char *seg = NULL;
		if (first || (peek(p) == '.' && p->pos + 1 < p->len && is_ident_char(p->s[p->pos + 1]))) {
			if (!first)
				p->pos++;
			size_t start = p->pos;
			bool digits = !is_ident_start(peek(p));
			while (p->pos < p->len && (digits ? isdigit((unsigned char)p->s[p->pos]) : is_ident_char(p->s[p->pos])))
				p->pos++;
			if (p->pos == start) {
				perr(p, "Invalid selector");
				return false;
			}
			seg = strndup(p->s + start, p->pos - start);
		} else if (peek(p) == '[') {
			p->pos++;
			skip_ws(p);
			if (peek(p) != '"' && peek(p) != '`') {
				perr(p, "Invalid index");
				return false;
			}
			seg = parse_string(p);
			if (!seg)
				return false;
			skip_ws(p);
			if (peek(p) != ']') {
				free(seg);
				perr(p, "Unclosed index expression");
				return false;
			}
			p->pos++;
		} else {
			return true;
		}
		if (!seg || f->npath == MAX_PATH) {
			free(seg);
			perr(p, seg ? "selector too long" : "out of memory");
			return false;
		}
		f->path[f->npath++] = seg;
	}
}

/* A value: a string literal, a number, or a bare word (a selector's text, as go-bexpr takes it). */
static char *parse_value(struct parser *p)
{
	char c = peek(p);
	if (c == '"' || c == '`')
		return parse_string(p);
	if (c == '-' || isdigit((unsigned char)c)) {
		size_t start = p->pos;
		if (c == '-')
			p->pos++;
		size_t int_start = p->pos;
		while (isdigit((unsigned char)peek(p)))
			p->pos++;
		bool ok = p->pos > int_start && (p->pos - int_start == 1 || p->s[int_start] != '0');
		if (ok && peek(p) == '.') {
			p->pos++;
			size_t frac = p->pos;
			while (isdigit((unsigned char)peek(p)))
				p->pos++;
			ok = p->pos > frac;
		}
		if (!ok || (peek(p) && !strchr(" \t\r\n)", peek(p)))) {
			p->pos = start;
			perr(p, "Invalid number literal");
			return NULL;
		}
		return strndup(p->s + start, p->pos - start);
	}
	if (is_ident_start(c)) {
		struct filter tmp = {0};
		char *text = NULL;
		if (parse_selector(p, &tmp)) {
			struct buf out;
			buf_init(&out);
			for (size_t i = 0; i < tmp.npath; i++)
				buf_appendf(&out, "%s%s", i ? "." : "", tmp.path[i]);
			text = buf_steal(&out, NULL);
		}
		for (size_t i = 0; i < tmp.npath; i++)
			free(tmp.path[i]);
		return text;
	}
	perr(p, c ? "expected a value" : "unexpected end of expression");
	return NULL;
}

static bool compile_regex(struct parser *p, struct filter *f)
{
	char err[256];
	if (go_regex_compile(&f->regex, f->value, err, sizeof err) < 0) {
		perr(p, "%s", err);
		return false;
	}
	f->has_regex = true;
	return true;
}

/* The operator after a match's first operand. Returns false when none is there. */
static bool parse_operator(struct parser *p, struct filter *f, bool *value_first)
{
	size_t save = p->pos;
	size_t ws = skip_ws(p);
	*value_first = false;
	if (p->len - p->pos >= 2 && (!memcmp(p->s + p->pos, "==", 2) || !memcmp(p->s + p->pos, "!=", 2))) {
		f->op = MATCH_EQUAL;
		f->negated = p->s[p->pos] == '!';
		p->pos += 2;
		return true;
	}
	if (ws == 0) {
		p->pos = save;
		return false;
	}
	if (accept_word(p, "is")) {
		size_t after_is = p->pos;
		if (skip_ws(p) && accept_word(p, "not"))
			f->negated = true;
		else
			p->pos = after_is;
		if (skip_ws(p) && accept_word(p, "empty")) {
			f->op = MATCH_EMPTY;
			return true;
		}
		perr(p, "expected \"empty\" or \"not empty\" after \"is\"");
		return false;
	}
	if (accept_word(p, "not")) {
		f->negated = true;
		if (!skip_ws(p)) {
			perr(p, "expected \"in\", \"contains\" or \"matches\" after \"not\"");
			return false;
		}
	}
	if (accept_word(p, "in")) {
		f->op = MATCH_IN;
		*value_first = true;
		return true;
	}
	if (accept_word(p, "contains")) {
		f->op = MATCH_IN;
		return true;
	}
	if (accept_word(p, "matches")) {
		f->op = MATCH_MATCHES;
		return true;
	}
	if (f->negated) {
		perr(p, "expected \"in\", \"contains\" or \"matches\" after \"not\"");
		return false;
	}
	p->pos = save;
	return false;
}

static struct filter *parse_match(struct parser *p)
{
	struct filter *f = node_new(p, FILTER_MATCH);
	if (!f)
		return NULL;
	size_t start = p->pos;
	char c = peek(p);
	bool first_is_selector = is_ident_start(c);
	char *first_value = NULL;
	if (first_is_selector) {
		if (!parse_selector(p, f))
			goto fail;
	} else if (c == '"' || c == '`' || c == '-' || isdigit((unsigned char)c)) {
		if (!(first_value = parse_value(p)))
			goto fail;
	} else {
		perr(p, c ? "expected a selector, a value, \"not\" or \"(\"" : "unexpected end of expression");
		goto fail;
	}
	bool value_first;
	if (!parse_operator(p, f, &value_first)) {
		perr(p, "expected a match operator (==, !=, is empty, in, contains, matches)");
		goto fail;
	}
	if (value_first) {
		/* Value in Selector: a bare first word is a value, not a selector */
		if (first_is_selector) {
			size_t end = p->pos;
			p->pos = start;
			for (size_t i = 0; i < f->npath; i++)
				free(f->path[i]);
			f->npath = 0;
			first_value = parse_value(p);
			p->pos = end;
			if (!first_value)
				goto fail;
		}
		f->value = first_value;
		first_value = NULL;
		if (!skip_ws(p) || !parse_selector(p, f)) {
			perr(p, "Invalid selector");
			goto fail;
		}
		return f;
	}
	if (!first_is_selector) {
		p->pos = start;
		perr(p, "a value must be followed by \"in\" or \"not in\"");
		goto fail;
	}
	if (f->op == MATCH_EMPTY)
		return f;
	skip_ws(p);
	if (!(f->value = parse_value(p)))
		goto fail;
	if (f->op == MATCH_MATCHES && !compile_regex(p, f))
		goto fail;
	return f;
fail:
	free(first_value);
	node_free(f);
	return NULL;
}

static struct filter *parse_or(struct parser *p);

static struct filter *parse_not(struct parser *p)
{
	if (++p->depth > FILTER_MAX_DEPTH) {
		perr(p, "expression nested deeper than %d", FILTER_MAX_DEPTH);
		return NULL;
	}
	struct filter *f = NULL;
	skip_ws(p);
	size_t save = p->pos;
	bool is_not = accept_word(p, "not") && skip_ws(p) > 0;
	if (!is_not)
		p->pos = save;
	if (is_not) {
		struct filter *inner = parse_not(p);
		f = inner ? node_new(p, FILTER_NOT) : NULL;
		if (f)
			f->left = inner;
		else
			node_free(inner);
	} else if (peek(p) == '(') {
		p->pos++;
		f = parse_or(p);
		skip_ws(p);
		if (f && peek(p) != ')') {
			perr(p, "Unmatched parentheses");
			node_free(f);
			f = NULL;
		}
		p->pos++;
	} else {
		f = parse_match(p);
	}
	p->depth--;
	return f;
}

static struct filter *parse_and(struct parser *p)
{
	struct filter *f = parse_not(p);
	while (f && word_ahead(p, "and")) {
		skip_ws(p);
		accept_word(p, "and");
		f = node_pair(p, FILTER_AND, f, parse_not(p));
	}
	return f;
}

static struct filter *parse_or(struct parser *p)
{
	struct filter *f = parse_and(p);
	while (f && word_ahead(p, "or")) {
		skip_ws(p);
		accept_word(p, "or");
		f = node_pair(p, FILTER_OR, f, parse_and(p));
	}
	return f;
}

struct filter *filter_compile(const char *expr, char *err, size_t err_len)
{
	struct parser p = {.s = expr, .len = strlen(expr), .err = err, .err_len = err_len};
	if (err_len)
		err[0] = '\0';
	if (p.len > FILTER_MAX_LEN) {
		snprintf(err, err_len, "expression longer than %d bytes", FILTER_MAX_LEN);
		return NULL;
	}
	struct filter *f = parse_or(&p);
	skip_ws(&p);
	if (f && p.pos < p.len) {
		perr(&p, "unexpected input; expected \"and\", \"or\" or the end");
		node_free(f);
		f = NULL;
	}
	if (!f && !p.failed)
		perr(&p, "invalid expression");
	return f;
}

void filter_free(struct filter *f)
{
	node_free(f);
}

struct filter *filter_and(struct filter *a, struct filter *b)
{
	if (!a || !b)
		return a ? a : b;
	struct filter *f = calloc(1, sizeof *f);
	if (!f) {
		node_free(a);
		node_free(b);
		return NULL;
	}
	f->kind = FILTER_AND;
	f->left = a;
	f->right = b;
	return f;
}

/* ---- evaluation ---- */

/* Go's strconv.ParseBool. */
static bool parse_go_bool(const char *s, bool *out)
{
	static const char *const yes[] = {"1", "t", "T", "TRUE", "true", "True"};
	static const char *const no[] = {"0", "f", "F", "FALSE", "false", "False"};
	for (size_t i = 0; i < 6; i++) {
		if (!strcmp(s, yes[i]))
			return *out = true, true;
		if (!strcmp(s, no[i]))
			return *out = false, true;
	}
	return false;
}

static bool parse_number(const char *s, double *out)
{
	char *end;
	if (!*s)
		return false;
	*out = strtod(s, &end);
	return *end == '\0';
}

/* A scalar equal to the expression's value, compared as the scalar's type. */
static bool scalar_equal(yajl_val v, const char *want)
{
	double a, b;
	bool flag;
	if (YAJL_IS_STRING(v))
		return strcmp(v->u.string, want) == 0;
	if (YAJL_IS_NUMBER(v))
		return parse_number(v->u.number.r, &a) && parse_number(want, &b) && a == b;
	if (YAJL_IS_TRUE(v) || YAJL_IS_FALSE(v))
		return parse_go_bool(want, &flag) && flag == YAJL_IS_TRUE(v);
	return false;
}

/* Member by exact name (the last of duplicates, as Go's decoder keeps). */
static yajl_val member(yajl_val obj, const char *key)
{
	yajl_val found = NULL;
	for (size_t i = 0; i < obj->u.object.len; i++)
		if (strcmp(obj->u.object.keys[i], key) == 0)
			found = obj->u.object.values[i];
	return found;
}

/* The positive operator on the value the selector reached (NULL or null: nothing there). */
static bool match_positive(const struct filter *f, yajl_val v)
{
	if (!v || YAJL_IS_NULL(v))
		return f->op == MATCH_EMPTY;
	switch (f->op) {
	case MATCH_EQUAL:
		return scalar_equal(v, f->value);
	case MATCH_EMPTY:
		if (YAJL_IS_STRING(v))
			return v->u.string[0] == '\0';
		if (YAJL_IS_ARRAY(v))
			return v->u.array.len == 0;
		if (YAJL_IS_OBJECT(v))
			return v->u.object.len == 0;
		return false;
	case MATCH_IN:
		if (YAJL_IS_STRING(v))
			return strstr(v->u.string, f->value) != NULL;
		if (YAJL_IS_ARRAY(v)) {
			for (size_t i = 0; i < v->u.array.len; i++)
				if (scalar_equal(v->u.array.values[i], f->value))
					return true;
			return false;
		}
		if (YAJL_IS_OBJECT(v))
			return member(v, f->value) != NULL;
		return false;
	case MATCH_MATCHES:
		return YAJL_IS_STRING(v) && regexec(&f->regex, v->u.string, 0, NULL, 0) == 0;
	}
	return false;
}

/* Follows the selector from path[i]; through an array, any element matching is a match. */
static bool match_at(const struct filter *f, yajl_val v, size_t i)
{
	if (i == f->npath)
		return match_positive(f, v) != f->negated;
	if (YAJL_IS_OBJECT(v))
		return match_at(f, member(v, f->path[i]), i + 1);
	if (YAJL_IS_ARRAY(v) && v->u.array.len > 0) {
		for (size_t k = 0; k < v->u.array.len; k++)
			if (match_at(f, v->u.array.values[k], i))
				return true;
		return false;
	}
	return match_positive(f, NULL) != f->negated;
}

bool filter_match(const struct filter *f, yajl_val item)
{
	switch (f->kind) {
	case FILTER_OR:
		return filter_match(f->left, item) || filter_match(f->right, item);
	case FILTER_AND:
		return filter_match(f->left, item) && filter_match(f->right, item);
	case FILTER_NOT:
		return !filter_match(f->left, item);
	case FILTER_MATCH:
		return match_at(f, item, 0);
	}
	return false;
}

static void write_filtered(struct jw *w, const struct filter *f, yajl_val list)
{
	if (YAJL_IS_ARRAY(list)) {
		jw_arr_open(w);
		for (size_t i = 0; i < list->u.array.len; i++)
			if (filter_match(f, list->u.array.values[i]))
				jw_value(w, list->u.array.values[i]);
		jw_arr_close(w);
	} else if (YAJL_IS_OBJECT(list)) {
		jw_obj_open(w);
		for (size_t i = 0; i < list->u.object.len; i++) {
			if (!filter_match(f, list->u.object.values[i]))
				continue;
			jw_key(w, list->u.object.keys[i]);
			jw_value(w, list->u.object.values[i]);
		}
		jw_obj_close(w);
	} else {
		jw_value(w, list);
	}
}

int filter_apply(const struct filter *f, const char *body, size_t len, const char *field, struct buf *out)
{
	char err[128];
	yajl_val root = json_parse(body, len, err, sizeof err);
	if (!root)
		return -1;
	struct jw w;
	jw_init(&w, out);
	if (!field) {
		write_filtered(&w, f, root);
	} else if (YAJL_IS_OBJECT(root)) {
		jw_obj_open(&w);
		for (size_t i = 0; i < root->u.object.len; i++) {
			jw_key(&w, root->u.object.keys[i]);
			if (strcmp(root->u.object.keys[i], field) == 0)
				write_filtered(&w, f, root->u.object.values[i]);
			else
				jw_value(&w, root->u.object.values[i]);
		}
		jw_obj_close(&w);
	} else {
		jw_value(&w, root);
	}
	jw_free(&w);
	yajl_tree_free(root);
	return 0;
}
