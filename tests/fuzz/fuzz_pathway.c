/*
 * Fuzz target: the pathway compiler (YAML reading, checking, expression
 * compiling) on arbitrary bytes. Anything but a clean accept or a clean list of
 * diagnostics is a finding.
 */
#include "diag.h"
#include "graph.h"
#include "pathway.h"

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct diag d;
	diag_init(&d);
	struct pathway *pw = pathway_compile("fuzz.yaml", (const char *)data, size, &d);
	if (pw) {
		/* A compiled pathway must also draw. */
		struct buf out;
		buf_init(&out);
		graph_render(pw, GRAPH_DOT, &out);
		graph_render(pw, GRAPH_MERMAID, &out);
		buf_release(&out);
		pathway_free(pw);
	} else if (d.errors == 0) {
		__builtin_trap(); /* refused without saying why */
	}
	FILE *null = fopen("/dev/null", "w");
	if (null) {
		diag_print(&d, null);
		fclose(null);
	}
	diag_release(&d);
	return 0;
}
