/* SPDX-License-Identifier: MIT */
/*
 * Go's text/template, the part of it Docker's --format users write:
 * {{.Field.Sub}}, {{.}}, "strings" (with \t), numbers, pipelines with |,
 * (parentheses), {{if}}/{{else if}}/{{else}}/{{end}}, {{range}}, {{with}},
 * {{- trimming -}}, comments, Docker's functions (json, join,
 * split, lower, upper, title, pad, truncate) and Go's (index, len, print,
 * printf, println, eq, ne, lt, le, gt, ge, and, or, not). Anything else
 * (variables, define/template/block, break/continue, call, html, js, ...)
 * is refused when parsing, with an error naming it.
 */
#ifndef LIMG_EXAMPLES_TEMPLATE_H
#define LIMG_EXAMPLES_TEMPLATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "value.h"

struct template;

/* Parses @text. NULL with Go's kind of message in @err ("template: :1:
 * function \"foo\" not defined") when it is not a template this engine runs. */
struct template *template_parse(const char *text, char *err, size_t cap);

/* Runs the template with @dot as "." and writes what it prints to @out.
 * With @header, Docker's table header pass: json, join, split, lower,
 * upper, title and truncate give back their first argument. 0, or -1 with
 * the error in @err ("template: :1:2: executing \"\" at <.Foo>: ..."). */
int template_execute(const struct template *t, const struct value *dot, bool header, FILE *out, char *err,
                     size_t cap);

void template_free(struct template *t);

#endif
