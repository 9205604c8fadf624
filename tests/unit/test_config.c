/* Unit tests of the config loader: the demo config, and errors with positions. */
#include "test.h"

#include "config.h"
#include "util.h"

#include <stdlib.h>
#include <unistd.h>

TEST(config_demo_loads_and_routes_by_area)
{
	char *path = xasprintf("%s/configs/demo/tsunagu.yaml", test_root);
	struct diag d;
	diag_init(&d);
	struct config *cfg = config_load(path, NULL, &d);
	diag_print(&d, stdout);
	CHECK(cfg != NULL);
	CHECK_INT(d.n, 0);
	CHECK_INT(cfg->pathways.n, 6);
	CHECK_STR(config_route(cfg, "pharmacy", "unosumai")->id, "support-centre");
	CHECK_STR(config_route(cfg, "health-checkup", "unosumai")->id, "life-unosumai");
	CHECK_STR(config_route(cfg, "multi-agency", "unosumai")->id, "support-centre");   /* the general consultation triages */
	CHECK_STR(config_route(cfg, "pharmacy", "kamaishi")->id, "life-kamaishi");       /* an area whose centre has joined */
	CHECK(config_route(cfg, "health-checkup", "nowhere") == NULL);
	CHECK_INT(cfg->calendar.business_start_minutes, 8 * 60 + 30);
	size_t pharmacies = 0;
	for (size_t i = 0; i < cfg->n_orgs; i++)
		pharmacies += cfg->orgs[i].kind == ORG_PHARMACY;
	CHECK_INT(pharmacies, 3);
	config_free(cfg);
	diag_release(&d);
	free(path);
}

TEST(config_errors_name_file_line_and_column)
{
	char dir[] = "/tmp/tsunagu-config-XXXXXX";
	CHECK(mkdtemp(dir) != NULL);
	char *cfg_path = xasprintf("%s/c.yaml", dir);
	char *root = realpath(test_root, NULL);
	char *text = xasprintf(
		"listen: nowhere\n"
		"database: db.sqlite\n"
		"pathways: %s/pathways\n"
		"areas:\n  north: { ja: 北, en: North }\n"
		"organisations:\n"
		"  - { id: sc, kind: support_centr, name: { ja: 包括, en: SC } }\n"
		"  - { id: ph, kind: pharmacy, name: { ja: 薬局, en: Ph }, areas: [south] }\n"
		"routing:\n  pharmacy: ph\n  nosuch: sc\n"
		"colour: red\n", root);
	FILE *f = fopen(cfg_path, "w");
	fputs(text, f);
	fclose(f);
	struct diag d;
	diag_init(&d);
	CHECK(config_load(cfg_path, NULL, &d) == NULL);
	char *out = NULL;
	size_t len;
	FILE *m = open_memstream(&out, &len);
	diag_print(&d, m);
	fclose(m);
	CHECK_CONTAINS(out, "c.yaml:1:9: error: listen must be HOST:PORT");
	CHECK_CONTAINS(out, "c.yaml:7:21: error: unknown organisation kind 'support_centr'; did you mean 'support_centre'?");
	CHECK_CONTAINS(out, "c.yaml:8:65: error: unknown area 'south'");
	CHECK_CONTAINS(out, "c.yaml:10:13: error: organisation 'ph' is a pharmacy, but pathway 'pharmacy' hands cases only to other kinds");
	CHECK_CONTAINS(out, "c.yaml:11:3: error: routing names pathway 'nosuch'");
	CHECK(!strstr(out, "unknown organisation 'ph'"));
	CHECK_CONTAINS(out, "c.yaml:12:1: error: unknown key 'colour' in the config");
	free(out);
	diag_release(&d);
	unlink(cfg_path);
	rmdir(dir);
	free(cfg_path);
	free(text);
	free(root);
}

TEST(path_join_folds_dots)
{
	char *p = path_join("configs/demo", "../../var/t.db");
	CHECK_STR(p, "var/t.db");
	free(p);
	p = path_join("/etc/tsunagu", "/var/lib/t.db");
	CHECK_STR(p, "/var/lib/t.db");
	free(p);
	p = path_join(".", "x/./y");
	CHECK_STR(p, "x/y");
	free(p);
	p = path_join("a", "../../b");
	CHECK_STR(p, "../b");
	free(p);
}
