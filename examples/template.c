/* SPDX-License-Identifier: MIT */
/* Docker's --format templates: a lexer, a parser and an evaluator for the subset of Go's text/template in template.h. */
#include <ctype.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "format.h"
#include "template.h"

#define ARGS_MAX 16
#define DEPTH_MAX 64

/* ---- the tree ---------------------------------------------------------- */

enum arg_kind { ARG_DOT, ARG_STRING, ARG_INT, ARG_FLOAT, ARG_BOOL, ARG_NIL, ARG_FUNC, ARG_PIPE };

struct pipe;

struct arg {
	enum arg_kind kind;
	char *text;          /* ARG_STRING: the decoded string; ARG_FUNC: the name */
	int64_t i;
	double f;
	bool b;
	struct pipe *pipe;   /* ARG_PIPE */
	char **fields;       /* .A.B after the term */
	size_t nfields;
	size_t pos, len;     /* where it is in the template, for errors */
};

struct command {
	struct arg args[ARGS_MAX];
	size_t n;
	size_t pos, len;
};

struct pipe {
	struct command *cmds;
	size_t n;
};

enum node_kind { NODE_TEXT, NODE_ACTION, NODE_IF, NODE_RANGE, NODE_WITH };

struct list;

struct node {
	enum node_kind kind;
	char *text; /* NODE_TEXT */
	size_t len;
	struct pipe *pipe;
	struct list *body, *otherwise;
};

struct list {
	struct node *nodes;
	size_t n, cap;
};

struct template {
	char *source;
	struct list *root;
};

/* ---- errors ------------------------------------------------------------- */

struct parser {
	const char *src;
	size_t p;       /* inside the current action */
	size_t end;     /* where the current action's text ends (before "}}") */
	char *err;
	size_t cap;
	bool failed;
};

static int line_of(const char *src, size_t pos)
{
	int line = 1;

	for (size_t i = 0; i < pos && src[i]; i++)
		line += src[i] == '\n';
	return line;
}

static int parse_error(struct parser *ps, size_t pos, const char *fmt, ...)
{
	char msg[300];
	va_list ap;

	if (ps->failed)
		return -1;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	snprintf(ps->err, ps->cap, "template: :%d: %s", line_of(ps->src, pos), msg);
	ps->failed = true;
	return -1;
}

/* ---- freeing ------------------------------------------------------------ */

static void list_free(struct list *l);

static void pipe_free(struct pipe *p)
{
	if (!p)
		return;
	for (size_t c = 0; c < p->n; c++)
		for (size_t a = 0; a < p->cmds[c].n; a++) {
			struct arg *arg = &p->cmds[c].args[a];
			free(arg->text);
			pipe_free(arg->pipe);
			for (size_t f = 0; f < arg->nfields; f++)
				free(arg->fields[f]);
			free(arg->fields);
		}
	free(p->cmds);
	free(p);
}

static void list_free(struct list *l)
{
	if (!l)
		return;
	for (size_t i = 0; i < l->n; i++) {
		free(l->nodes[i].text);
		pipe_free(l->nodes[i].pipe);
		list_free(l->nodes[i].body);
		list_free(l->nodes[i].otherwise);
	}
	free(l->nodes);
	free(l);
}

void template_free(struct template *t)
{
	if (!t)
		return;
	list_free(t->root);
	free(t->source);
	free(t);
}

/* ---- lexing inside an action -------------------------------------------- */

static bool is_ident(char c)
{
	return isalnum((unsigned char)c) || c == '_';
}

static void skip_blanks(struct parser *ps)
{
	while (ps->p < ps->end && isspace((unsigned char)ps->src[ps->p]))
		ps->p++;
}

/* The word at ps->p (letters, digits, _), without moving. */
static size_t word_len(const struct parser *ps, size_t at)
{
	size_t n = 0;

	while (at + n < ps->end && is_ident(ps->src[at + n]))
		n++;
	return n;
}

static bool keyword_at(const struct parser *ps, const char *kw)
{
	size_t n = strlen(kw);

	return ps->p + n <= ps->end && !strncmp(ps->src + ps->p, kw, n) && word_len(ps, ps->p) == n;
}

/* A Go string literal at ps->p ("..." or `...`), decoded. */
static char *lex_string(struct parser *ps)
{
	char quote = ps->src[ps->p];
	size_t start = ps->p++;
	char *out = malloc(ps->end - start + 1), *o = out;

	if (!out) {
		parse_error(ps, start, "out of memory");
		return NULL;
	}
	while (ps->p < ps->end && ps->src[ps->p] != quote) {
		char c = ps->src[ps->p++];
		unsigned x = 0;
		int digits = 0;
		if (quote == '`' || c != '\\') {
			if (quote == '"' && c == '\n')
				break;
			*o++ = c;
			continue;
		}
		if (ps->p >= ps->end)
			break;
		switch (c = ps->src[ps->p++]) {
		case 'n': *o++ = '\n'; break;
		case 't': *o++ = '\t'; break;
		case 'r': *o++ = '\r'; break;
		case 'a': *o++ = '\a'; break;
		case 'b': *o++ = '\b'; break;
		case 'f': *o++ = '\f'; break;
		case 'v': *o++ = '\v'; break;
		case '\\': case '"': *o++ = c; break;
		case 'x': digits = 2; break;
		case 'u': digits = 4; break;
		case 'U': digits = 8; break;
		default:
			free(out);
			parse_error(ps, start, "invalid syntax: bad escape \\%c in a string", c);
			return NULL;
		}
		for (int d = 0; d < digits; d++) {
			char h = ps->p < ps->end ? ps->src[ps->p++] : 0;
			if (!isxdigit((unsigned char)h)) {
				free(out);
				parse_error(ps, start, "invalid syntax: bad escape in a string");
				return NULL;
			}
			x = x * 16 + (unsigned)(isdigit((unsigned char)h) ? h - '0' : (tolower((unsigned char)h) - 'a' + 10));
		}
		if (digits == 2) {
			*o++ = (char)x;
		} else if (digits) {
			/* a code point, in UTF-8 */
			if (x < 0x80) {
				*o++ = (char)x;
			} else if (x < 0x800) {
				*o++ = (char)(0xC0 | x >> 6);
				*o++ = (char)(0x80 | (x & 0x3F));
			} else if (x < 0x10000) {
				*o++ = (char)(0xE0 | x >> 12);
				*o++ = (char)(0x80 | (x >> 6 & 0x3F));
				*o++ = (char)(0x80 | (x & 0x3F));
			} else {
				*o++ = (char)(0xF0 | (x >> 18 & 0x07));
				*o++ = (char)(0x80 | (x >> 12 & 0x3F));
				*o++ = (char)(0x80 | (x >> 6 & 0x3F));
				*o++ = (char)(0x80 | (x & 0x3F));
			}
		}
	}
	if (ps->p >= ps->end || ps->src[ps->p] != quote) {
		free(out);
		parse_error(ps, start, "unterminated %s string", quote == '`' ? "raw" : "quoted");
		return NULL;
	}
	ps->p++;
	*o = '\0';
	if (strlen(out) != (size_t)(o - out)) {
		free(out);
		parse_error(ps, start, "a NUL in a string is not supported");
		return NULL;
	}
	return out;
}

/* .A.B.C at ps->p, appended to @a's field chain. */
static int lex_fields(struct parser *ps, struct arg *a)
{
	while (ps->p < ps->end && ps->src[ps->p] == '.' && ps->p + 1 < ps->end && is_ident(ps->src[ps->p + 1])) {
		size_t n = word_len(ps, ps->p + 1);
		char **fields = realloc(a->fields, (a->nfields + 1) * sizeof *fields);
		if (!fields || !(fields[a->nfields] = strndup(ps->src + ps->p + 1, n))) {
			if (fields)
				a->fields = fields;
			return parse_error(ps, ps->p, "out of memory");
		}
		a->fields = fields;
		a->nfields++;
		ps->p += n + 1;
	}
	return 0;
}

/* ---- parsing pipelines -------------------------------------------------- */

static struct pipe *parse_pipe(struct parser *ps, char close, int depth);

/* What Go's text/template has and this engine does not: named in the error. */
static const char *const unsupported_functions[] = { "call", "html", "js", "urlquery", "slice" };

static const char *const functions[] = { "json", "join", "split", "lower", "upper", "title", "pad", "truncate",
	                                 "index", "len", "print", "printf", "println", "not", "and", "or",
	                                 "eq", "ne", "lt", "le", "gt", "ge" };

static int parse_arg(struct parser *ps, struct arg *a, int depth)
{
	const char *s = ps->src + ps->p;
	size_t start = ps->p;

	a->pos = start;
	if (*s == '.') {
		a->kind = ARG_DOT;
		if (ps->p + 1 < ps->end && is_ident(s[1])) {
			if (isdigit((unsigned char)s[1]))
				return parse_error(ps, start, "bad number syntax: \"%.*s\"", (int)word_len(ps, ps->p + 1) + 1, s);
			if (lex_fields(ps, a) < 0)
				return -1;
		} else {
			ps->p++;
		}
	} else if (*s == '"' || *s == '`') {
		a->kind = ARG_STRING;
		if (!(a->text = lex_string(ps)))
			return -1;
	} else if (*s == '$') {
		return parse_error(ps, start, "variables (%.*s) are not supported by this program", (int)word_len(ps, ps->p + 1) + 1,
		                   s);
	} else if (*s == '\'') {
		return parse_error(ps, start, "character constants (%.3s) are not supported by this program", s);
	} else if (*s == '(') {
		ps->p++;
		a->kind = ARG_PIPE;
		if (depth >= DEPTH_MAX)
			return parse_error(ps, start, "parentheses nested too deeply");
		if (!(a->pipe = parse_pipe(ps, ')', depth + 1)))
			return -1;
		if (lex_fields(ps, a) < 0)
			return -1;
	} else if (isdigit((unsigned char)*s) || ((*s == '-' || *s == '+') && isdigit((unsigned char)s[1]))) {
		char *end;
		long long x = strtoll(s, &end, 0);
		if (end > ps->src + ps->end)
			end = (char *)ps->src + ps->end;
		if (end < ps->src + ps->end && (*end == '.' || *end == 'e' || *end == 'E')) {
			a->kind = ARG_FLOAT;
			a->f = strtod(s, &end);
		} else {
			a->kind = ARG_INT;
			a->i = x;
		}
		if (end < ps->src + ps->end && (is_ident(*end) || *end == '.'))
			return parse_error(ps, start, "bad number syntax: \"%.*s\"", (int)(word_len(ps, ps->p) + 1), s);
		ps->p = (size_t)(end - ps->src);
	} else if (is_ident(*s)) {
		size_t n = word_len(ps, ps->p);
		if (keyword_at(ps, "true") || keyword_at(ps, "false")) {
			a->kind = ARG_BOOL;
			a->b = *s == 't';
		} else if (keyword_at(ps, "nil")) {
			a->kind = ARG_NIL;
		} else {
			bool known = false;
			for (size_t i = 0; i < sizeof functions / sizeof functions[0] && !known; i++)
				known = strlen(functions[i]) == n && !strncmp(functions[i], s, n);
			for (size_t i = 0; i < sizeof unsupported_functions / sizeof unsupported_functions[0]; i++)
				if (strlen(unsupported_functions[i]) == n && !strncmp(unsupported_functions[i], s, n))
					return parse_error(ps, start, "the function \"%.*s\" is not supported by this program",
					                   (int)n, s);
			if (!known)
				return parse_error(ps, start, "function \"%.*s\" not defined", (int)n, s);
			a->kind = ARG_FUNC;
			if (!(a->text = strndup(s, n)))
				return parse_error(ps, start, "out of memory");
		}
		ps->p += n;
		if (a->kind == ARG_FUNC && lex_fields(ps, a) < 0)
			return -1;
	} else {
		return parse_error(ps, start, "unexpected \"%c\" in command", *s);
	}
	a->len = ps->p - start;
	return 0;
}

/* A pipeline up to ps->end (@close 0) or up to a closing parenthesis. */
static struct pipe *parse_pipe(struct parser *ps, char close, int depth)
{
	struct pipe *p = calloc(1, sizeof *p);
	struct command *cmd = NULL;

	if (!p) {
		parse_error(ps, ps->p, "out of memory");
		return NULL;
	}
	for (;;) {
		skip_blanks(ps);
		if (ps->p >= ps->end || (close && ps->src[ps->p] == close)) {
			if (close && ps->p >= ps->end) {
				parse_error(ps, ps->p, "unclosed left paren");
				goto fail;
			}
			if (close)
				ps->p++;
			if (!cmd || !cmd->n) {
				parse_error(ps, ps->p, cmd ? "missing command after |" : "missing value for command");
				goto fail;
			}
			return p;
		}
		if (ps->src[ps->p] == ')') {
			parse_error(ps, ps->p, "unexpected right paren");
			goto fail;
		}
		if (ps->src[ps->p] == ':' || ps->src[ps->p] == '=' || ps->src[ps->p] == ',') {
			parse_error(ps, ps->p, "variables (\"%c\") are not supported by this program", ps->src[ps->p]);
			goto fail;
		}
		if (ps->src[ps->p] == '|') {
			if (!cmd || !cmd->n) {
				parse_error(ps, ps->p, "missing command before |");
				goto fail;
			}
			ps->p++;
			cmd = NULL;
			continue;
		}
		if (!cmd) {
			struct command *cmds = realloc(p->cmds, (p->n + 1) * sizeof *cmds);
			if (!cmds) {
				parse_error(ps, ps->p, "out of memory");
				goto fail;
			}
			p->cmds = cmds;
			cmd = &p->cmds[p->n++];
			memset(cmd, 0, sizeof *cmd);
			cmd->pos = ps->p;
		}
		if (cmd->n == ARGS_MAX) {
			parse_error(ps, ps->p, "too many arguments");
			goto fail;
		}
		if (parse_arg(ps, &cmd->args[cmd->n++], depth) < 0)
			goto fail;
		cmd->len = ps->p - cmd->pos;
		if (ps->p < ps->end && !isspace((unsigned char)ps->src[ps->p]) && ps->src[ps->p] != '|' &&
		    ps->src[ps->p] != ')' && !(close && ps->src[ps->p] == close)) {
			parse_error(ps, ps->p, "unexpected \"%c\" in operand", ps->src[ps->p]);
			goto fail;
		}
	}
fail:
	pipe_free(p);
	return NULL;
}

/* ---- parsing the text and its actions ----------------------------------- */

struct action {
	size_t start;       /* of "{{" */
	size_t body, end;   /* the text between the delimiters, trims removed */
	size_t next;        /* after "}}" */
	bool trim_left, trim_right;
};

/* The next "{{" at or after @from, with its "}}"; 0 when there is none, -1 on error. */
static int next_action(struct parser *ps, size_t from, struct action *a)
{
	const char *open = strstr(ps->src + from, "{{"), *close;

	if (!open)
		return 0;
	a->start = (size_t)(open - ps->src);
	a->body = a->start + 2;
	a->trim_left = open[2] == '-' && (open[3] == ' ' || open[3] == '\t' || open[3] == '\n' || open[3] == '\r');
	if (a->trim_left)
		a->body += 2;
	/* "}}" inside a string literal does not close the action */
	for (close = ps->src + a->body; *close; close++) {
		if (*close == '"' || *close == '`') {
			char q = *close;
			for (close++; *close && *close != q; close++)
				if (q == '"' && *close == '\\' && close[1])
					close++;
			if (!*close)
				break;
			continue;
		}
		if (close[0] == '}' && close[1] == '}')
			break;
	}
	if (!*close)
		return parse_error(ps, a->start, "unclosed action");
	a->end = (size_t)(close - ps->src);
	a->next = a->end + 2;
	a->trim_right = a->end >= a->body + 2 && close[-1] == '-' && isspace((unsigned char)close[-2]);
	if (a->trim_right)
		a->end -= 2;
	return 1;
}

static struct node *add_node(struct parser *ps, struct list *l, enum node_kind kind)
{
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 8;
		struct node *nodes = realloc(l->nodes, cap * sizeof *nodes);
		if (!nodes) {
			parse_error(ps, ps->p, "out of memory");
			return NULL;
		}
		l->nodes = nodes;
		l->cap = cap;
	}
	memset(&l->nodes[l->n], 0, sizeof l->nodes[0]);
	l->nodes[l->n].kind = kind;
	return &l->nodes[l->n++];
}

enum list_end { END_EOF, END_END, END_ELSE, END_ELSE_IF };

/* Parses text and actions from *@at into @l until {{end}}, {{else}} or the
 * end of the text. *@trim: on entry, whether the first text loses its
 * leading blanks (a "-}}" before it); on return, whether the action that
 * ended the list had "-}}". */
static int parse_list(struct parser *ps, size_t *at, struct list *l, enum list_end *how, bool *trim, int depth);

/* {{if}}, {{range}}, {{with}}: the pipeline is at ps->p; the body follows *@at. */
static int parse_control(struct parser *ps, size_t *at, struct list *l, enum node_kind kind, bool *trim, int depth)
{
	struct node *n = add_node(ps, l, kind);
	enum list_end how;
	const char *name = kind == NODE_IF ? "if" : kind == NODE_RANGE ? "range" : "with";

	if (!n)
		return -1;
	if (depth >= DEPTH_MAX)
		return parse_error(ps, ps->p, "{{%s}} nested too deeply", name);
	if (!(n->pipe = parse_pipe(ps, 0, 0)))
		return -1;
	if (!(n->body = calloc(1, sizeof *n->body)))
		return parse_error(ps, *at, "out of memory");
	if (parse_list(ps, at, n->body, &how, trim, depth + 1) < 0)
		return -1;
	if (how == END_EOF)
		return parse_error(ps, *at, "unexpected EOF");
	if (how == END_END)
		return 0;
	if (!(n->otherwise = calloc(1, sizeof *n->otherwise)))
		return parse_error(ps, *at, "out of memory");
	if (how == END_ELSE_IF) {
		/* {{else if X}} is {{else}}{{if X}}...{{end}}, the two sharing one {{end}} */
		if (kind != NODE_IF)
			return parse_error(ps, *at, "{{else if}} in {{%s}} is not supported by this program", name);
		return parse_control(ps, at, n->otherwise, NODE_IF, trim, depth + 1);
	}
	if (parse_list(ps, at, n->otherwise, &how, trim, depth + 1) < 0)
		return -1;
	if (how != END_END)
		return parse_error(ps, *at, how == END_EOF ? "unexpected EOF" : "expected end; found {{else}}");
	return 0;
}

static int add_text(struct parser *ps, struct list *l, size_t from, size_t to, bool trim_left, bool trim_right)
{
	struct node *n;

	while (trim_left && from < to && isspace((unsigned char)ps->src[from]))
		from++;
	while (trim_right && to > from && isspace((unsigned char)ps->src[to - 1]))
		to--;
	if (to == from)
		return 0;
	if (!(n = add_node(ps, l, NODE_TEXT)) || !(n->text = strndup(ps->src + from, to - from)))
		return parse_error(ps, from, "out of memory");
	n->len = to - from;
	return 0;
}

static int parse_list(struct parser *ps, size_t *at, struct list *l, enum list_end *how, bool *trim, int depth)
{
	static const char *const refused[] = { "define", "template", "block", "break", "continue" };
	struct action a = { 0 };
	int found;

	for (;;) {
		if ((found = next_action(ps, *at, &a)) < 0)
			return -1;
		if (add_text(ps, l, *at, found ? a.start : strlen(ps->src), *trim, found && a.trim_left) < 0)
			return -1;
		if (!found) {
			*at = strlen(ps->src);
			*how = END_EOF;
			return 0;
		}
		*at = a.next;
		*trim = a.trim_right;
		ps->p = a.body;
		ps->end = a.end;
		skip_blanks(ps);
		if (ps->p + 1 < ps->end && ps->src[ps->p] == '/' && ps->src[ps->p + 1] == '*') {
			/* a comment: it must be the whole action */
			if (a.end < ps->p + 4 || strncmp(ps->src + a.end - 2, "*/", 2))
				return parse_error(ps, a.start, "unclosed comment");
			continue;
		}
		if (keyword_at(ps, "end") || keyword_at(ps, "else")) {
			bool is_end = ps->src[ps->p + 1] == 'n';
			ps->p += is_end ? 3 : 4;
			skip_blanks(ps);
			if (!depth)
				return parse_error(ps, a.start, "unexpected {{%s}}", is_end ? "end" : "else");
			if (!is_end && keyword_at(ps, "if")) {
				ps->p += 2;
				*how = END_ELSE_IF;
				return 0;
			}
			if (ps->p < ps->end)
				return parse_error(ps, ps->p, "unexpected \"%c\" in %s", ps->src[ps->p], is_end ? "end" : "else");
			*how = is_end ? END_END : END_ELSE;
			return 0;
		}
		if (keyword_at(ps, "if") || keyword_at(ps, "range") || keyword_at(ps, "with")) {
			enum node_kind kind = ps->src[ps->p] == 'i' ? NODE_IF : ps->src[ps->p] == 'r' ? NODE_RANGE : NODE_WITH;
			ps->p += kind == NODE_IF ? 2 : kind == NODE_RANGE ? 5 : 4;
			if (parse_control(ps, at, l, kind, trim, depth) < 0)
				return -1;
			continue;
		}
		for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++)
			if (keyword_at(ps, refused[i]))
				return parse_error(ps, a.start, "{{%s}} is not supported by this program", refused[i]);
		{
			struct node *n = add_node(ps, l, NODE_ACTION);
			if (!n || !(n->pipe = parse_pipe(ps, 0, 0)))
				return -1;
		}
	}
}

struct template *template_parse(const char *text, char *err, size_t cap)
{
	struct template *t = calloc(1, sizeof *t);
	struct parser ps = { 0 };
	enum list_end how;
	bool trim = false;
	size_t at = 0;

	if (!t || !(t->source = strdup(text)) || !(t->root = calloc(1, sizeof *t->root))) {
		snprintf(err, cap, "out of memory");
		template_free(t);
		return NULL;
	}
	ps.src = t->source;
	ps.err = err;
	ps.cap = cap;
	if (parse_list(&ps, &at, t->root, &how, &trim, 0) < 0) {
		template_free(t);
		return NULL;
	}
	return t;
}

/* ---- running ------------------------------------------------------------ */

struct exec {
	const char *src;
	FILE *out;
	bool header;
	char *err;
	size_t cap;
	bool failed;
	struct value **temps; /* values made while running, freed at the end */
	size_t ntemps, tcap;
	int depth;
};

static struct value missing = { .kind = VALUE_MISSING };

static int exec_error(struct exec *x, size_t pos, size_t len, const char *fmt, ...)
{
	char msg[400];
	size_t line_start = pos;
	va_list ap;

	if (x->failed)
		return -1;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	while (line_start > 0 && x->src[line_start - 1] != '\n')
		line_start--;
	/* Go: the column is the byte offset in the line (the template's offset on its first line) */
	snprintf(x->err, x->cap, "template: :%d:%zu: executing \"\" at <%.*s>: %s", line_of(x->src, pos),
	         line_start ? pos - line_start : pos, (int)(len > 80 ? 80 : len), x->src + pos, msg);
	x->failed = true;
	return -1;
}

/* Marks a new string value as safe to print as it is (or not). */
static struct value *raw(struct value *v, bool yes)
{
	if (v)
		v->raw = yes;
	return v;
}

/* Keeps @v until the run ends; NULL (and an error) when out of memory. */
static struct value *temp(struct exec *x, struct value *v)
{
	if (v && x->ntemps == x->tcap) {
		size_t cap = x->tcap ? x->tcap * 2 : 32;
		struct value **t = realloc(x->temps, cap * sizeof *t);
		if (!t) {
			value_free(v);
			v = NULL;
		} else {
			x->temps = t;
			x->tcap = cap;
		}
	}
	if (!v) {
		if (!x->failed)
			snprintf(x->err, x->cap, "out of memory");
		x->failed = true;
		return NULL;
	}
	x->temps[x->ntemps++] = v;
	return v;
}

/* What Go's error messages call a value's type. */
static const char *type_of(const struct value *v)
{
	switch (v->kind) {
	case VALUE_MISSING: return "<nil>";
	case VALUE_NULL: return v->nil_as == NIL_SLICE ? "[]string" : v->nil_as == NIL_MAP ? "map[string]string" : "<nil>";
	case VALUE_BOOL: return "bool";
	case VALUE_INT: return "int";
	case VALUE_FLOAT: return "float64";
	case VALUE_STRING: return "string";
	case VALUE_ARRAY: return "[]interface {}";
	case VALUE_OBJECT: return v->is_struct && v->type_name ? v->type_name : "map[string]interface {}";
	}
	return "?";
}

static const struct value *field(struct exec *x, const struct arg *a, const struct value *v, const char *name)
{
	const struct value *m;

	if (v->kind == VALUE_OBJECT) {
		if ((m = value_get(v, name)))
			return m;
		if (!v->is_struct)
			return &missing; /* a map: "<no value>" */
		if (!v->type_name)
			exec_error(x, a->pos, a->len, "map has no entry for key \"%s\"", name);
		else
			exec_error(x, a->pos, a->len, "can't evaluate field %s in type %s", name, v->type_name);
		return NULL;
	}
	if (v->kind == VALUE_MISSING || v->kind == VALUE_NULL)
		exec_error(x, a->pos, a->len, "nil data; no entry for key \"%s\"", name);
	else
		exec_error(x, a->pos, a->len, "can't evaluate field %s in type %s", name, type_of(v));
	return NULL;
}

static const struct value *run_pipe(struct exec *x, const struct pipe *p, const struct value *dot);
static const struct value *call(struct exec *x, const struct command *c, const struct value *dot,
                                const struct value *piped);

static const struct value *arg_value(struct exec *x, const struct arg *a, const struct value *dot)
{
	const struct value *v;

	switch (a->kind) {
	case ARG_DOT: v = dot; break;
	case ARG_STRING: v = temp(x, raw(value_string(a->text), true)); break;
	case ARG_INT: v = temp(x, value_int(a->i)); break;
	case ARG_FLOAT: {
		struct value *f = value_int(0);
		if (f) {
			f->kind = VALUE_FLOAT;
			f->f = a->f;
		}
		v = temp(x, f);
		break;
	}
	case ARG_BOOL: v = temp(x, value_bool(a->b)); break;
	case ARG_NIL: exec_error(x, a->pos, a->len, "nil is not a command"); return NULL;
	case ARG_PIPE: v = run_pipe(x, a->pipe, dot); break;
	case ARG_FUNC: {
		/* a function alone as an argument: called without arguments */
		struct command c = { .n = 1, .pos = a->pos, .len = a->len };
		c.args[0] = *a;
		c.args[0].nfields = 0;
		v = call(x, &c, dot, NULL);
		break;
	}
	default: v = NULL;
	}
	for (size_t i = 0; v && i < a->nfields; i++)
		v = field(x, a, v, a->fields[i]);
	return v;
}

/* ---- functions ---------------------------------------------------------- */

static const char *string_arg(struct exec *x, const struct command *c, const char *fn, const struct value *v)
{
	if (v->kind == VALUE_STRING)
		return v->s;
	exec_error(x, c->pos, c->len, "error calling %s: wrong type for value; expected string; got %s", fn, type_of(v));
	return NULL;
}

static bool int_arg(struct exec *x, const struct command *c, const char *fn, const struct value *v, int64_t *out)
{
	if (v->kind == VALUE_INT) {
		*out = v->i;
		return true;
	}
	exec_error(x, c->pos, c->len, "error calling %s: wrong type for value; expected int; got %s", fn, type_of(v));
	return false;
}

/* fmt.Sprint's text of @v, as a new string, made safe to print (data
 * strings escaped; the template's own text as it is). */
static char *sprint(const struct value *v)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	if (!f)
		return NULL;
	value_print(f, v);
	if (fclose(f) != 0) {
		free(text);
		return NULL;
	}
	return text;
}

/* A string value of @s (freed here), safe to print as it is when @is_raw. */
static struct value *owned_string(char *s, bool is_raw)
{
	struct value *v = s ? raw(value_string(s), is_raw) : NULL;

	free(s);
	return v;
}

static const struct value *fn_json(struct exec *x, const struct value *v)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	if (!f)
		return temp(x, NULL);
	value_write_json(f, v, NULL);
	if (fclose(f) != 0) {
		free(text);
		return temp(x, NULL);
	}
	return temp(x, owned_string(text, true));
}

static const struct value *fn_join(struct exec *x, const struct command *c, const struct value *list,
                                   const struct value *sep_value)
{
	char *text = NULL, *sep;
	size_t len = 0;
	FILE *f;

	if (list->kind == VALUE_NULL || list->kind == VALUE_MISSING)
		return temp(x, value_string(""));
	if (list->kind != VALUE_ARRAY) {
		exec_error(x, c->pos, c->len, "error calling join: wrong type for value; expected []string; got %s",
		           type_of(list));
		return NULL;
	}
	if (!(sep = sprint(sep_value)) || !(f = open_memstream(&text, &len))) {
		free(sep);
		return temp(x, NULL);
	}
	for (size_t i = 0; i < list->n; i++) {
		char *item = sprint(list->items[i]);
		fprintf(f, "%s%s", i ? sep : "", item ? item : "");
		free(item);
	}
	free(sep);
	if (fclose(f) != 0) {
		free(text);
		return temp(x, NULL);
	}
	return temp(x, owned_string(text, true));
}

static const struct value *fn_split(struct exec *x, const char *s, bool is_raw, const char *sep)
{
	struct value *list = value_array();
	size_t n = strlen(sep);

	if (!list)
		return temp(x, NULL);
	if (!n) {
		/* strings.Split(s, ""): one item per UTF-8 sequence */
		for (const char *p = s; *p;) {
			size_t k = 1;
			while (((unsigned char)p[k] & 0xC0) == 0x80)
				k++;
			char *one = strndup(p, k);
			if (value_push(list, owned_string(one, is_raw)) < 0)
				goto oom;
			p += k;
		}
		return temp(x, list);
	}
	for (const char *p = s;;) {
		const char *hit = strstr(p, sep);
		if (value_push(list, owned_string(hit ? strndup(p, (size_t)(hit - p)) : strdup(p), is_raw)) < 0)
			goto oom;
		if (!hit)
			break;
		p = hit + n;
	}
	return temp(x, list);
oom:
	value_free(list);
	return temp(x, NULL);
}

/* strings.ToLower, ToUpper, Title (ASCII letters; other bytes kept). */
static const struct value *fn_case(struct exec *x, const char *s, bool is_raw, int how)
{
	char *out = strdup(s);
	bool word_start = true;

	for (char *p = out; p && *p; p++) {
		unsigned char c = (unsigned char)*p;
		if (how < 0)
			*p = (char)tolower(c);
		else if (how > 0)
			*p = (char)toupper(c);
		else if (word_start)
			*p = (char)toupper(c);
		word_start = !(isalnum(c) || c == '_' || c == '\'' || c >= 0x80);
	}
	return temp(x, owned_string(out, is_raw));
}

static const struct value *fn_index(struct exec *x, const struct command *c, const struct value *v,
                                    const struct value *const *keys, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		const struct value *k = keys[i];
		if (v->kind == VALUE_ARRAY || v->kind == VALUE_STRING) {
			size_t len = v->kind == VALUE_ARRAY ? v->n : strlen(v->s);
			if (k->kind != VALUE_INT) {
				exec_error(x, c->pos, c->len, "error calling index: cannot index slice/array with type %s",
				           type_of(k));
				return NULL;
			}
			if (k->i < 0 || (uint64_t)k->i >= len) {
				exec_error(x, c->pos, c->len, "error calling index: index out of range: %lld", (long long)k->i);
				return NULL;
			}
			if (v->kind == VALUE_STRING)
				return temp(x, value_int((unsigned char)v->s[k->i])); /* Go gives the byte */
			v = v->items[k->i];
		} else if (v->kind == VALUE_OBJECT) {
			const struct value *m;
			if (k->kind != VALUE_STRING) {
				exec_error(x, c->pos, c->len, "error calling index: value has type %s; should be string",
				           type_of(k));
				return NULL;
			}
			/* a key that is not there gives the map's zero value: "" for Labels */
			if (!(m = value_get(v, k->s)))
				return temp(x, value_string(""));
			v = m;
		} else if (v->kind == VALUE_NULL || v->kind == VALUE_MISSING) {
			if (v->nil_as == NIL_MAP)
				return temp(x, value_string(""));
			exec_error(x, c->pos, c->len, "error calling index: index of untyped nil");
			return NULL;
		} else {
			exec_error(x, c->pos, c->len, "error calling index: can't index item of type %s", type_of(v));
			return NULL;
		}
	}
	return v;
}

/* Go's comparison of basic values for eq, lt, ...: -2 when they cannot be compared. */
static int compare(const struct value *a, const struct value *b)
{
	if (a->kind == VALUE_INT && b->kind == VALUE_INT)
		return (a->i > b->i) - (a->i < b->i);
	if ((a->kind == VALUE_INT || a->kind == VALUE_FLOAT) && (b->kind == VALUE_INT || b->kind == VALUE_FLOAT)) {
		double p = a->kind == VALUE_INT ? (double)a->i : a->f, q = b->kind == VALUE_INT ? (double)b->i : b->f;
		return (p > q) - (p < q);
	}
	if (a->kind == VALUE_STRING && b->kind == VALUE_STRING) {
		int r = strcmp(a->s, b->s);
		return (r > 0) - (r < 0);
	}
	if (a->kind == VALUE_BOOL && b->kind == VALUE_BOOL)
		return a->b == b->b ? 0 : 3; /* equal or not; never ordered */
	return -2;
}

/* printf with %s, %v, %d, %q and %%: what --format strings use. */
static const struct value *fn_printf(struct exec *x, const struct command *c, const char *format, bool is_raw,
                                     const struct value *const *args, size_t n)
{
	char *text = NULL;
	size_t len = 0, used = 0;
	FILE *f = open_memstream(&text, &len);

	if (!f)
		return temp(x, NULL);
	for (const char *p = format; *p; p++) {
		char *s;
		if (*p != '%') {
			fputc(*p, f);
			continue;
		}
		if (p[1] == '%') {
			fputc('%', f);
			p++;
			continue;
		}
		if (!p[1] || !strchr("svdq", p[1])) {
			fclose(f);
			free(text);
			exec_error(x, c->pos, c->len, "printf: the verb %%%c is not supported by this program",
			           p[1] ? p[1] : '!');
			return NULL;
		}
		if (used == n) {
			fprintf(f, "%%!%c(MISSING)", p[1]);
			p++;
			continue;
		}
		const struct value *a = args[used++];
		if (p[1] == 'd' && a->kind != VALUE_INT) {
			fprintf(f, "%%!d(%s=", type_of(a));
			s = sprint(a);
			fprintf(f, "%s)", s ? s : "");
			free(s);
		} else if (p[1] == 'q' && a->kind == VALUE_STRING) {
			json_string(f, a->s); /* Go's %q and JSON agree on what people print */
		} else {
			s = sprint(a);
			fputs(s ? s : "", f);
			free(s);
		}
		p++;
	}
	for (; used < n; used++) {
		char *s = sprint(args[used]);
		fprintf(f, "%%!(EXTRA %s=%s)", type_of(args[used]), s ? s : "");
		free(s);
	}
	if (fclose(f) != 0) {
		free(text);
		return temp(x, NULL);
	}
	/* what it put in is safe already; a format that came from data is not */
	return temp(x, owned_string(text, is_raw));
}

/* fmt.Sprint (spaces between operands when neither is a string) or Sprintln (always, and a newline). */
static const struct value *fn_print(struct exec *x, const struct value *const *args, size_t n, bool ln)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	if (!f)
		return temp(x, NULL);
	for (size_t i = 0; i < n; i++) {
		char *s = sprint(args[i]);
		if (i && (ln || (args[i]->kind != VALUE_STRING && args[i - 1]->kind != VALUE_STRING)))
			fputc(' ', f);
		fputs(s ? s : "", f);
		free(s);
	}
	if (ln)
		fputc('\n', f);
	if (fclose(f) != 0) {
		free(text);
		return temp(x, NULL);
	}
	return temp(x, owned_string(text, true));
}

static bool arity(struct exec *x, const struct command *c, const char *fn, size_t n, size_t min, size_t max)
{
	if (n >= min && n <= max)
		return true;
	exec_error(x, c->pos, c->len, "wrong number of args for %s: want %s%zu got %zu", fn, max > min ? "at least " : "",
	           min, n);
	return false;
}

static const struct value *call(struct exec *x, const struct command *c, const struct value *dot,
                                const struct value *piped)
{
	const char *fn = c->args[0].text;
	const struct value *args[ARGS_MAX + 1];
	size_t n = 0;
	const char *s, *t;
	int64_t i, j;

	for (size_t k = 1; k < c->n; k++)
		if (!(args[n++] = arg_value(x, &c->args[k], dot)))
			return NULL;
	if (piped)
		args[n++] = piped;
	/* a table's header: Docker's header functions give their argument back */
	if (x->header && (!strcmp(fn, "json") || !strcmp(fn, "join") || !strcmp(fn, "split") || !strcmp(fn, "lower") ||
	                  !strcmp(fn, "upper") || !strcmp(fn, "title") || !strcmp(fn, "truncate")))
		return n ? args[0] : &missing;
	if (!strcmp(fn, "json"))
		return arity(x, c, fn, n, 1, 1) ? fn_json(x, args[0]) : NULL;
	if (!strcmp(fn, "join"))
		return arity(x, c, fn, n, 2, 2) && string_arg(x, c, fn, args[1]) ? fn_join(x, c, args[0], args[1]) : NULL;
	if (!strcmp(fn, "split"))
		return arity(x, c, fn, n, 2, 2) && (s = string_arg(x, c, fn, args[0])) && (t = string_arg(x, c, fn, args[1]))
		           ? fn_split(x, s, args[0]->raw, t)
		           : NULL;
	if (!strcmp(fn, "lower") || !strcmp(fn, "upper") || !strcmp(fn, "title"))
		return arity(x, c, fn, n, 1, 1) && (s = string_arg(x, c, fn, args[0]))
		           ? fn_case(x, s, args[0]->raw, fn[0] == 'l' ? -1 : fn[0] == 'u' ? 1 : 0)
		           : NULL;
	if (!strcmp(fn, "pad")) {
		if (!arity(x, c, fn, n, 3, 3) || !(s = string_arg(x, c, fn, args[0])) || !int_arg(x, c, fn, args[1], &i) ||
		    !int_arg(x, c, fn, args[2], &j))
			return NULL;
		char *out = NULL;
		if (!*s || i < 0 || j < 0 || i > 4096 || j > 4096)
			return args[0];
		if (asprintf(&out, "%*s%s%*s", (int)i, "", s, (int)j, "") < 0)
			out = NULL;
		return temp(x, owned_string(out, args[0]->raw));
	}
	if (!strcmp(fn, "truncate")) {
		if (!arity(x, c, fn, n, 2, 2) || !(s = string_arg(x, c, fn, args[0])) || !int_arg(x, c, fn, args[1], &i))
			return NULL;
		return temp(x, owned_string(i >= 0 && strlen(s) >= (size_t)i ? strndup(s, (size_t)i) : strdup(s), args[0]->raw));
	}
	if (!strcmp(fn, "index"))
		return arity(x, c, fn, n, 1, ARGS_MAX) ? fn_index(x, c, args[0], args + 1, n - 1) : NULL;
	if (!strcmp(fn, "len")) {
		if (!arity(x, c, fn, n, 1, 1))
			return NULL;
		if (args[0]->kind == VALUE_STRING)
			return temp(x, value_int((int64_t)strlen(args[0]->s)));
		if (args[0]->kind == VALUE_ARRAY || args[0]->kind == VALUE_OBJECT)
			return temp(x, value_int((int64_t)args[0]->n));
		if (args[0]->kind == VALUE_NULL && args[0]->nil_as != NIL_PLAIN)
			return temp(x, value_int(0));
		exec_error(x, c->pos, c->len, "error calling len: len of type %s", type_of(args[0]));
		return NULL;
	}
	if (!strcmp(fn, "print") || !strcmp(fn, "println"))
		return fn_print(x, args, n, fn[5] == 'l');
	if (!strcmp(fn, "printf"))
		return arity(x, c, fn, n, 1, ARGS_MAX) && (s = string_arg(x, c, fn, args[0]))
		           ? fn_printf(x, c, s, args[0]->raw, args + 1, n - 1)
		           : NULL;
	if (!strcmp(fn, "not"))
		return arity(x, c, fn, n, 1, 1) ? temp(x, value_bool(!value_truthy(args[0]))) : NULL;
	if (!strcmp(fn, "and") || !strcmp(fn, "or")) {
		if (!arity(x, c, fn, n, 1, ARGS_MAX))
			return NULL;
		/* the first argument that decides, else the last */
		for (size_t k = 0; k + 1 < n; k++)
			if (value_truthy(args[k]) == (fn[0] == 'o'))
				return args[k];
		return args[n - 1];
	}
	if (!strcmp(fn, "eq") || !strcmp(fn, "ne") || !strcmp(fn, "lt") || !strcmp(fn, "le") || !strcmp(fn, "gt") ||
	    !strcmp(fn, "ge")) {
		bool eq = !strcmp(fn, "eq"), result = false;
		if (!arity(x, c, fn, n, 2, eq ? ARGS_MAX : 2))
			return NULL;
		for (size_t k = 1; k < n; k++) {
			int r = compare(args[0], args[k]);
			if (r == -2) {
				exec_error(x, c->pos, c->len, "error calling %s: incompatible types for comparison", fn);
				return NULL;
			}
			if (r == 3 && fn[1] != 'q' && fn[1] != 'e') {
				exec_error(x, c->pos, c->len, "error calling %s: invalid type for comparison", fn);
				return NULL;
			}
			result = !strcmp(fn, "eq") ? r == 0 : !strcmp(fn, "ne") ? r != 0 : !strcmp(fn, "lt") ? r == -1
			         : !strcmp(fn, "le") ? r == -1 || r == 0 : !strcmp(fn, "gt") ? r == 1 : r == 1 || r == 0;
			if (eq && result)
				break;
		}
		return temp(x, value_bool(result));
	}
	exec_error(x, c->pos, c->len, "function \"%s\" not defined", fn);
	return NULL;
}

static const struct value *run_command(struct exec *x, const struct command *c, const struct value *dot,
                                       const struct value *piped)
{
	const struct value *v;

	if (c->args[0].kind == ARG_FUNC) {
		if (!(v = call(x, c, dot, piped)))
			return NULL;
		for (size_t i = 0; i < c->args[0].nfields; i++)
			if (!(v = field(x, &c->args[0], v, c->args[0].fields[i])))
				return NULL;
		return v;
	}
	if (c->n > 1 || piped) {
		exec_error(x, c->pos, c->len, "can't give argument to non-function %.*s", (int)c->args[0].len,
		           x->src + c->args[0].pos);
		return NULL;
	}
	return arg_value(x, &c->args[0], dot);
}

static const struct value *run_pipe(struct exec *x, const struct pipe *p, const struct value *dot)
{
	const struct value *v = NULL;

	if (++x->depth > DEPTH_MAX) {
		snprintf(x->err, x->cap, "template: nested too deeply");
		x->failed = true;
		return NULL;
	}
	for (size_t i = 0; i < p->n; i++)
		if (!(v = run_command(x, &p->cmds[i], dot, v)))
			break;
	x->depth--;
	return v;
}

static int run_list(struct exec *x, const struct list *l, const struct value *dot);

/* What {{range}} visits: a slice's items, or a map's values in key order (as Go ranges over maps). */
static const struct value **range_items(const struct value *v)
{
	const struct value **items = malloc((v->n ? v->n : 1) * sizeof *items);
	const struct member **order = v->kind == VALUE_OBJECT ? malloc((v->n ? v->n : 1) * sizeof *order) : NULL;

	if (!items || (v->kind == VALUE_OBJECT && !order)) {
		free(items);
		free(order);
		return NULL;
	}
	for (size_t i = 0; i < v->n; i++) {
		if (v->kind == VALUE_ARRAY) {
			items[i] = v->items[i];
			continue;
		}
		/* insertion sort by key: maps here are small */
		size_t k = i;
		for (; k > 0 && strcmp(order[k - 1]->key, v->members[i].key) > 0; k--)
			order[k] = order[k - 1];
		order[k] = &v->members[i];
	}
	for (size_t i = 0; order && i < v->n; i++)
		items[i] = order[i]->value;
	free(order);
	return items;
}

static int run_node(struct exec *x, const struct node *n, const struct value *dot)
{
	const struct value *v;

	if (n->kind == NODE_TEXT) {
		fwrite(n->text, 1, n->len, x->out);
		return 0;
	}
	if (!(v = run_pipe(x, n->pipe, dot)))
		return -1;
	switch (n->kind) {
	case NODE_ACTION: value_print(x->out, v); return 0;
	case NODE_IF: return value_truthy(v) ? run_list(x, n->body, dot) : n->otherwise ? run_list(x, n->otherwise, dot) : 0;
	case NODE_WITH: return value_truthy(v) ? run_list(x, n->body, v) : n->otherwise ? run_list(x, n->otherwise, dot) : 0;
	case NODE_RANGE:
		if (v->kind == VALUE_ARRAY || (v->kind == VALUE_OBJECT && !v->is_struct)) {
			const struct value **items = range_items(v);
			int rc = 0;
			if (!items)
				return temp(x, NULL) ? 0 : -1;
			for (size_t i = 0; i < v->n && rc == 0; i++)
				rc = run_list(x, n->body, items[i]);
			if (!v->n && n->otherwise)
				rc = run_list(x, n->otherwise, dot);
			free(items);
			return rc;
		}
		if (v->kind == VALUE_NULL || v->kind == VALUE_MISSING)
			return n->otherwise ? run_list(x, n->otherwise, dot) : 0;
		return exec_error(x, n->pipe->cmds[0].pos, n->pipe->cmds[0].len, "range can't iterate over %s",
		                  type_of(v));
	default: return 0;
	}
}

static int run_list(struct exec *x, const struct list *l, const struct value *dot)
{
	for (size_t i = 0; i < l->n; i++)
		if (run_node(x, &l->nodes[i], dot) < 0)
			return -1;
	return 0;
}

int template_execute(const struct template *t, const struct value *dot, bool header, FILE *out, char *err,
                     size_t cap)
{
	struct exec x = { t->source, out, header, err, cap, false, NULL, 0, 0, 0 };
	int rc = run_list(&x, t->root, dot ? dot : &missing);

	for (size_t i = 0; i < x.ntemps; i++)
		value_free(x.temps[i]);
	free(x.temps);
	return rc < 0 || x.failed ? -1 : 0;
}
