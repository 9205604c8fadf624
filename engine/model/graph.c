/*
 * graph — DOT and Mermaid renderings of a pathway. Start routes come from a start
 * point, actions are edges labelled with their name and roles, timers are shown on
 * the state they belong to, and final states are drawn double.
 */
#include "graph.h"

#include <gvc.h>
#include <string.h>

int graph_format_parse(const char *name, enum graph_format *out)
{
	if (!strcmp(name, "dot")) {
		*out = GRAPH_DOT;
		return 0;
	}
	if (!strcmp(name, "mermaid")) {
		*out = GRAPH_MERMAID;
		return 0;
	}
	return -1;
}

/* A DOT double-quoted string body. */
static void dot_escape(struct buf *out, const char *s)
{
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			buf_addc(out, '\\');
		if (*s == '\n') {
			buf_adds(out, "\\n");
			continue;
		}
		buf_addc(out, *s);
	}
}

/* Mermaid labels cannot hold its own punctuation; replace it with look-alikes. */
static void mermaid_escape(struct buf *out, const char *s)
{
	for (; *s; s++) {
		switch (*s) {
		case '"': buf_adds(out, "'"); break;
		case ':': buf_adds(out, "："); break;
		case ';': buf_adds(out, "；"); break;
		case '#': buf_adds(out, "＃"); break;
		case '{': buf_adds(out, "（"); break;
		case '}': buf_adds(out, "）"); break;
		case '<': buf_adds(out, "＜"); break;
		case '>': buf_adds(out, "＞"); break;
		case '\n': buf_addc(out, ' '); break;
		default: buf_addc(out, *s);
		}
	}
}

static void roles_text(struct buf *out, role_mask roles)
{
	int first = 1;
	for (int r = 0; r < ROLE_COUNT; r++)
		if (roles & MASK(r)) {
			buf_printf(out, "%s%s", first ? "" : ", ", role_names[r]);
			first = 0;
		}
}

static void timer_text(struct buf *out, const struct pathway *pw, const struct pw_state *st,
		       const struct pw_timer *t)
{
	if (t->at_field >= 0)
		buf_printf(out, "at %s", pw->fields[t->at_field].name);
	else
		buf_printf(out, "after %ld %s", t->amount, unit_names[t->unit]);
	if (t->action >= 0)
		buf_printf(out, " → %s", st->actions[t->action].name);
	else
		buf_printf(out, " → notify %s (%s)", party_names[t->notify.to], t->notify.template_name);
}

/* The timers that fire this action, as extra label lines. */
static void action_timers(struct buf *out, const struct pw_state *st, size_t action, const char *sep)
{
	for (size_t i = 0; i < st->n_timers; i++) {
		const struct pw_timer *t = &st->timers[i];
		if (t->action != (int)action)
			continue;
		if (t->at_field >= 0)
			buf_printf(out, "%stimer: at date field", sep);
		else
			buf_printf(out, "%stimer: after %ld %s", sep, t->amount, unit_names[t->unit]);
	}
}

static void render_dot(const struct pathway *pw, struct buf *out)
{
	struct buf label;
	buf_init(&label);
	buf_adds(out, "digraph \"");
	dot_escape(out, pw->id);
	buf_adds(out, "\" {\n  graph [rankdir=TB, labelloc=t, fontname=\"sans-serif\", label=\"");
	buf_printf(&label, "%s (%s v%ld)", pw->title.ja, pw->id, pw->version);
	dot_escape(out, label.data);
	buf_adds(out, "\"];\n  node [shape=box, style=rounded, fontname=\"sans-serif\"];\n");
	buf_adds(out, "  edge [fontname=\"sans-serif\", fontsize=10];\n");
	buf_adds(out, "  \"__start\" [shape=point, width=0.15];\n");
	for (size_t s = 0; s < pw->n_states; s++) {
		const struct pw_state *st = &pw->states[s];
		label.len = 0;
		buf_printf(&label, "%s\n%s", st->title.ja, st->name);
		if (st->milestone != MILESTONE_NONE)
			buf_printf(&label, " [%s]", milestone_names[st->milestone]);
		if (st->final && st->outcome)
			buf_printf(&label, "\noutcome: %s", st->outcome);
		else if (st->final)
			buf_printf(&label, "\noutcome: from %s", pw->fields[st->outcome_field].name);
		for (size_t i = 0; i < st->n_timers; i++)
			if (st->timers[i].action < 0) {
				buf_adds(&label, "\ntimer: ");
				timer_text(&label, pw, st, &st->timers[i]);
			}
		buf_adds(out, "  \"");
		dot_escape(out, st->name);
		buf_adds(out, "\" [label=\"");
		dot_escape(out, label.data);
		buf_printf(out, "\"%s];\n", st->final ? ", peripheries=2" : "");
	}
	for (size_t i = 0; i < pw->n_start; i++) {
		const struct pw_route *r = &pw->start[i];
		buf_adds(out, "  \"__start\" -> \"");
		dot_escape(out, pw->states[r->target].name);
		buf_adds(out, "\"");
		if (pw->n_start > 1) {
			buf_adds(out, " [label=\"");
			dot_escape(out, r->when ? expr_source(r->when) : "otherwise");
			buf_adds(out, "\"]");
		}
		buf_adds(out, ";\n");
	}
	for (size_t s = 0; s < pw->n_states; s++) {
		const struct pw_state *st = &pw->states[s];
		for (size_t a = 0; a < st->n_actions; a++) {
			const struct pw_action *act = &st->actions[a];
			label.len = 0;
			buf_printf(&label, "%s\n(", act->name);
			roles_text(&label, act->by);
			buf_adds(&label, ")");
			action_timers(&label, st, a, "\n");
			buf_adds(out, "  \"");
			dot_escape(out, st->name);
			buf_adds(out, "\" -> \"");
			dot_escape(out, pw->states[act->target].name);
			buf_adds(out, "\" [label=\"");
			dot_escape(out, label.data);
			buf_printf(out, "\"%s];\n", act->by == MASK(ROLE_SYSTEM) ? ", style=dashed" : "");
		}
	}
	buf_adds(out, "}\n");
	buf_release(&label);
}

static void render_mermaid(const struct pathway *pw, struct buf *out)
{
	buf_adds(out, "---\ntitle: ");
	mermaid_escape(out, pw->title.ja);
	buf_printf(out, " (%s v%ld)\n---\nstateDiagram-v2\n", pw->id, pw->version);
	for (size_t s = 0; s < pw->n_states; s++) {
		const struct pw_state *st = &pw->states[s];
		buf_adds(out, "    state \"");
		mermaid_escape(out, st->title.ja);
		buf_printf(out, "\" as %s\n", st->name);
	}
	for (size_t i = 0; i < pw->n_start; i++) {
		const struct pw_route *r = &pw->start[i];
		buf_printf(out, "    [*] --> %s", pw->states[r->target].name);
		if (pw->n_start > 1) {
			buf_adds(out, " : ");
			mermaid_escape(out, r->when ? expr_source(r->when) : "otherwise");
		}
		buf_adds(out, "\n");
	}
	for (size_t s = 0; s < pw->n_states; s++) {
		const struct pw_state *st = &pw->states[s];
		for (size_t a = 0; a < st->n_actions; a++) {
			const struct pw_action *act = &st->actions[a];
			struct buf label;
			buf_init(&label);
			buf_printf(&label, "%s (", act->name);
			roles_text(&label, act->by);
			buf_adds(&label, ")");
			action_timers(&label, st, a, " ");
			buf_printf(out, "    %s --> %s : ", st->name, pw->states[act->target].name);
			mermaid_escape(out, label.data);
			buf_adds(out, "\n");
			buf_release(&label);
		}
		if (st->final)
			buf_printf(out, "    %s --> [*]\n", st->name);
		for (size_t i = 0; i < st->n_timers; i++) {
			if (st->timers[i].action >= 0)
				continue;
			struct buf label;
			buf_init(&label);
			timer_text(&label, pw, st, &st->timers[i]);
			buf_printf(out, "    note right of %s : timer ", st->name);
			mermaid_escape(out, label.data);
			buf_adds(out, "\n");
			buf_release(&label);
		}
	}
}

void graph_render(const struct pathway *pw, enum graph_format format, struct buf *out)
{
	if (format == GRAPH_DOT)
		render_dot(pw, out);
	else
		render_mermaid(pw, out);
}

/*
 * One Graphviz context for the process: the text-layout plugin of Graphviz
 * 2.43 keeps a pointer into the context it last measured text in, so a
 * context freed and made again reads freed memory. It is made on first use
 * and kept (the process's, like the plugins it loads).
 */
static GVC_t *context(void)
{
	static GVC_t *gvc;
	if (!gvc)
		gvc = gvContext();
	return gvc;
}

int graph_render_svg(const struct pathway *pw, struct buf *out)
{
	struct buf dot;
	buf_init(&dot);
	graph_render(pw, GRAPH_DOT, &dot);
	int ret = -1;
	GVC_t *gvc = context();
	Agraph_t *g = gvc ? agmemread(dot.data) : NULL;
	char *svg = NULL;
	unsigned int len = 0;
	if (!g || gvLayout(gvc, g, "dot"))
		goto out;
	if (gvRenderData(gvc, g, "svg", &svg, &len) == 0 && svg) {
		buf_add(out, svg, len);
		ret = 0;
	}
	gvFreeRenderData(svg);
	gvFreeLayout(gvc, g);
out:
	if (g)
		agclose(g);
	buf_release(&dot);
	return ret;
}
