/*
 * graph — draws a compiled pathway as Graphviz DOT or as a Mermaid state diagram,
 * with the Japanese titles of its states, for `tsunagu graph`, the API and the
 * web pages.
 */
#ifndef TSUNAGU_GRAPH_H
#define TSUNAGU_GRAPH_H

#include "pathway.h"
#include "util.h"

enum graph_format { GRAPH_DOT, GRAPH_MERMAID };

/* Returns 0 and the format for "dot" or "mermaid", else -1. */
int graph_format_parse(const char *name, enum graph_format *out);

/* Appends the drawing of pw to out. */
void graph_render(const struct pathway *pw, enum graph_format format, struct buf *out);

/*
 * Lays the DOT drawing out with Graphviz's library (libgvc, the dot layout) and
 * appends it to out as SVG: 0, or -1 when Graphviz failed. Tens of milliseconds
 * and not thread-safe: callers draw each version once, on one thread, and keep it.
 */
int graph_render_svg(const struct pathway *pw, struct buf *out);

#endif
