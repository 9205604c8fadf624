/*
 * publicdir — every text is HTML-escaped; a phone or an email address is shown
 * only when marked public (it may be a volunteer's own); each page carries its own style and
 * needs nothing else (it opens from the file system, offline); dates are shown
 * in the era beside the western date.
 */
#include "publicdir.h"
#include "date.h"
#include "util.h"

#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char stylesheet[] =
	"body{font-family:\"BIZ UDPGothic\",Meiryo,\"Noto Sans CJK JP\",sans-serif;line-height:1.7;color:#1a1a1c;"
	"max-width:60rem;margin:0 auto;padding:1rem}\n"
	"h1{font-size:1.75rem}h2{font-size:1.375rem;border-bottom:2px solid #1a1a1c;margin-top:2rem}\n"
	"h3{font-size:1.125rem;margin-bottom:.25rem}a{color:#0031d8}\n"
	".resource{border:1px solid #8f8f94;border-radius:8px;padding:.75rem 1rem;margin:.75rem 0;break-inside:avoid}\n"
	".stale{font-weight:700;border:2px solid #6e4100;color:#6e4100;padding:0 .5rem}\n"
	"dl{display:grid;grid-template-columns:7rem 1fr;gap:.25rem 1rem;margin:.5rem 0}dt{font-weight:700}dd{margin:0}\n"
	"@page{size:A4;margin:15mm}@media print{a{color:#000;text-decoration:none}nav{display:none}}\n";

static void esc(struct buf *b, const char *s)
{
	for (; s && *s; s++) {
		switch (*s) {
		case '&': buf_adds(b, "&amp;"); break;
		case '<': buf_adds(b, "&lt;"); break;
		case '>': buf_adds(b, "&gt;"); break;
		case '"': buf_adds(b, "&quot;"); break;
		case '\'': buf_adds(b, "&#39;"); break;
		default: buf_addc(b, *s);
		}
	}
}

/* before, the text escaped, after: one element of a page */
static void element(struct buf *b, const char *before, const char *text, const char *after)
{
	buf_adds(b, before);
	esc(b, text);
	buf_adds(b, after);
}

static const char *str(const json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

static void head(struct buf *b, const char *title)
{
	buf_adds(b, "<!doctype html>\n<html lang=\"ja\">\n<head>\n<meta charset=\"utf-8\">\n"
		    "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>");
	esc(b, title);
	/* the style inside each page: a file opened from a folder or a USB stick reads nothing else */
	buf_printf(b, "</title>\n<style>\n%s</style>\n</head>\n<body>\n", stylesheet);
}

/* A date as 2026-02-08（令和8年2月8日）. */
static void date_both(struct buf *b, const char *iso)
{
	date_days d;
	char era[64];
	esc(b, iso);
	if (iso && !date_parse(iso, &d) && date_wareki(d, era, sizeof(era)) == 0)
		buf_printf(b, "（%s）", era);
}

struct published {
	json_t *items;             /* the published resources' data, with their ids */
};

static int collect(void *ctx, const struct resource_record *r, const char *sort_key)
{
	struct published *p = ctx;
	if (!json_is_true(json_object_get(r->data, "publish")) || strcmp(r->status, "active"))
		return 0;
	json_t *o = json_deep_copy(r->data);
	json_object_set_new(o, "id", json_string(r->id));
	json_array_append_new(p->items, o);
	return 0;
}

static bool serves(const json_t *res, const char *area)
{
	const json_t *areas = json_object_get(res, "areas");
	if (!json_array_size(areas))
		return true;
	size_t i;
	json_t *a;
	json_array_foreach(areas, i, a)
		if (!strcmp(json_string_value(a), area))
			return true;
	return false;
}

/* The same day of the month, n months later (the last day when the month is shorter). */
static date_days months_later(date_days d, int n)
{
	int y, m, day;
	date_to_ymd(d, &y, &m, &day);
	int months = y * 12 + (m - 1) + n;
	y = months / 12;
	m = months % 12 + 1;
	static const int days[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	int last = days[m - 1] + (m == 2 && date_is_leap(y));
	return date_from_ymd(y, m, day > last ? last : day);
}

/* Removes the area pages an earlier export wrote for areas the config no longer has. */
static void remove_stale_pages(const struct config *cfg, const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	while (d && (e = readdir(d))) {
		size_t n = strlen(e->d_name);
		if (strncmp(e->d_name, "area-", 5) || n < 11 || strcmp(e->d_name + n - 5, ".html"))
			continue;
		bool known = false;
		for (size_t a = 0; a < cfg->n_areas && !known; a++)
			known = n == strlen(cfg->areas[a].id) + 10 && !strncmp(e->d_name + 5, cfg->areas[a].id, n - 10);
		if (!known) {
			char *path = xasprintf("%s/%s", dir, e->d_name);
			unlink(path);
			free(path);
		}
	}
	if (d)
		closedir(d);
}

static void resource_html(struct buf *b, const struct config *cfg, const json_t *res, date_days today)
{
	const json_t *name = json_object_get(res, "name"), *contact = json_object_get(res, "contact"),
		     *capacity = json_object_get(res, "capacity");
	element(b, "<section class=\"resource\">\n<h3>", str(name, "ja"), "</h3>\n");
	if (str(res, "description"))
		element(b, "<p>", str(res, "description"), "</p>\n");
	buf_adds(b, "<dl>\n");
	static const struct { const char *key, *label; } rows[] = {
		{ "schedule", "日時" }, { "address", "場所" }, { "eligibility", "対象" },
	};
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
		if (str(res, rows[i].key)) {
			buf_printf(b, "<dt>%s</dt>", rows[i].label);
			element(b, "<dd>", str(res, rows[i].key), "</dd>\n");
		}
	element(b, "<dt>運営</dt><dd>", config_org_name(cfg, str(res, "provider")), "</dd>\n");
	/* a phone is published only when marked so: it may be a volunteer's own */
	bool phone = str(contact, "phone") && json_is_true(json_object_get(contact, "phone_public"));
	bool email = str(contact, "email") && json_is_true(json_object_get(contact, "email_public"));
	if (phone || email || str(contact, "url")) {
		buf_adds(b, "<dt>連絡先</dt><dd>");
		if (phone)
			element(b, "電話 ", str(contact, "phone"), " ");
		if (email)
			element(b, "メール ", str(contact, "email"), " ");
		if (str(contact, "url")) {
			element(b, "<a href=\"", str(contact, "url"), "\">");
			element(b, "", str(contact, "url"), "</a>");
		}
		buf_adds(b, "</dd>\n");
	}
	const char *confirmed = str(capacity, "confirmed_on");
	if (confirmed) {
		buf_adds(b, "<dt>確認日</dt><dd>");
		date_both(b, confirmed);
		date_days d;
		if (!date_parse(confirmed, &d) && today >= months_later(d, cfg->resources_stale_months))
			buf_printf(b, " <span class=\"stale\">※確認から%dか月以上たっています（内容が変わっているかもしれません）</span>",
				   cfg->resources_stale_months);
		buf_adds(b, "</dd>\n");
	}
	buf_adds(b, "</dl>\n</section>\n");
}

/* One area's page: its resources by category, in the config's order of categories. */
static char *area_page(const struct config *cfg, const struct config_area *area, const json_t *items, date_days today,
		       const char *stamp, int *shown)
{
	struct buf b;
	buf_init(&b);
	char *title = xasprintf("%s の社会資源", area->name.ja);
	head(&b, title);
	buf_adds(&b, "<nav><a href=\"index.html\">一覧へ戻る</a></nav>\n<h1>");
	esc(&b, title);
	buf_adds(&b, "</h1>\n");
	*shown = 0;
	for (size_t c = 0; c < cfg->n_categories; c++) {
		bool opened = false;
		size_t i;
		json_t *res;
		json_array_foreach((json_t *)items, i, res) {
			if (strcmp(str(res, "category"), cfg->categories[c].id) || !serves(res, area->id))
				continue;
			if (!opened) {
				element(&b, "<h2>", cfg->categories[c].title.ja, "</h2>\n");
				opened = true;
			}
			resource_html(&b, cfg, res, today);
			(*shown)++;
		}
	}
	if (!*shown)
		buf_adds(&b, "<p>公開されている社会資源はまだありません。</p>\n");
	buf_printf(&b, "<p><small>%s 現在（tsunagu）</small></p>\n</body>\n</html>\n", stamp);
	free(title);
	return buf_detach(&b);
}

int publicdir_export(const struct config *cfg, const struct clock *clk, struct store *s, const char *dir,
		     int *count, char **err)
{
	struct published p = { json_array() };
	struct store_resource_filter all = { .status = "active" };
	*err = NULL;
	struct buf index;
	buf_init(&index);
	int ret = -1;
	if (store_resources_list(s, &all, collect, &p)) {
		*err = xasprintf("cannot read the directory: %s", store_errmsg(s));
		goto out;
	}
	if (mkdir(dir, 0755) && errno != EEXIST) {
		*err = xasprintf("cannot create %s: %s", dir, strerror(errno));
		goto out;
	}
	date_days today = clock_local_date(clk, clock_now(clk));
	char stamp[11], era[64] = "";
	date_format(today, stamp);
	date_wareki(today, era, sizeof(era));
	char *when = xasprintf("%s（%s）", stamp, era);
	head(&index, "医療・介護資源リスト（地域の社会資源）");
	buf_adds(&index, "<h1>医療・介護資源リスト（地域の社会資源）</h1>\n"
			 "<p>地区ごとに、参加できる活動や相談先をまとめています。掲載は提供者の同意を得たものだけです。</p>\n<ul>\n");
	for (size_t a = 0; a < cfg->n_areas && !*err; a++) {
		int shown = 0;
		char *page = area_page(cfg, &cfg->areas[a], p.items, today, when, &shown);
		char *name = xasprintf("area-%s.html", cfg->areas[a].id);
		if (write_file_atomic(dir, name, page, strlen(page), err) == 0) {
			buf_printf(&index, "<li><a href=\"%s\">", name);
			esc(&index, cfg->areas[a].name.ja);
			buf_printf(&index, "</a>（%d 件）</li>\n", shown);
		}
		free(name);
		free(page);
	}
	buf_printf(&index, "</ul>\n<p><small>%s 現在（tsunagu）</small></p>\n</body>\n</html>\n", when);
	free(when);
	if (*err || write_file_atomic(dir, "index.html", index.data, index.len, err))
		goto out;
	remove_stale_pages(cfg, dir);
	*count = (int)json_array_size(p.items);
	ret = 0;
out:
	json_decref(p.items);
	buf_release(&index);
	return ret;
}
