// SPDX-License-Identifier: MIT
/*
 * Printing a schedule: one column per thread, one row per event, in the
 * global order the scheduler imposed; and the compact form of a schedule
 * (its deviations from the default choice) that --replay takes back.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"

#define COL	38
#define TRACE_HEAD	400
#define TRACE_TAIL	150

static const char *reason_text(int reason)
{
	switch (reason) {
	case R_BLOCK:
		return "... blocks";
	case R_YIELD:
		return "... spins (yields)";
	case R_EXIT:
		return "(done)";
	default:
		return NULL;
	}
}

static void print_cell_row(FILE *f, uint32_t step, int col, int ncols, const char *text,
			   bool switched)
{
	size_t len = strlen(text);
	size_t off = 0;

	/* Long texts wrap within their column. */
	do {
		if (!off)
			fprintf(f, "%5" PRIu32 " %c", step, switched ? '>' : ' ');
		else
			fprintf(f, "%7s", "");
		for (int c = 0; c < ncols; c++) {
			if (c == col) {
				size_t n = len - off > COL - 1 ? COL - 1 : len - off;

				fprintf(f, "| %-*.*s", COL - 1, (int)n, text + off);
				off += n;
			} else {
				fprintf(f, "| %-*s", COL - 1, "");
			}
		}
		fputc('\n', f);
	} while (off < len);
}

void trace_print(FILE *f, const char *names[], int n)
{
	int last = -1;

	fprintf(f, "%7s", "step ");
	for (int c = 0; c < n; c++)
		fprintf(f, "| %-*s", COL - 1, names[c]);
	fputc('\n', f);
	fprintf(f, "-------");
	for (int c = 0; c < n; c++)
		for (int k = 0; k < COL + 1; k++)
			fputc(k ? '-' : '+', f);
	fputc('\n', f);
	for (size_t i = 0; i < chk.ntrace; i++) {
		const struct tevent *e = &chk.trace[i];

		if (chk.ntrace > TRACE_HEAD + TRACE_TAIL && i == TRACE_HEAD) {
			fprintf(f, "  ... %zu events omitted ...\n", chk.ntrace - TRACE_HEAD - TRACE_TAIL);
			i = chk.ntrace - TRACE_TAIL;
			e = &chk.trace[i];
			last = -1;
		}
		const char *text;
		int col = e->tid == CHK_START ? -1 : e->tid;

		if (e->kind == TEV_VIOLATION) {
			fprintf(f, "%5" PRIu32 " !! VIOLATION (%s): %s\n", e->step,
				col >= 0 && col < n ? names[col] : "main", e->text);
			continue;
		}
		if (e->kind == TEV_TEXT) {
			text = e->text;
		} else {
			text = reason_text(e->reason);
			if (!text)
				text = sp_name(e->sp);
			if (!text)
				continue;
			if (e->reason == R_POINT || e->reason == R_START) {
				static char buf[80];

				snprintf(buf, sizeof(buf), ". %s", text);
				text = buf;
			}
		}
		if (col < 0) {
			fprintf(f, "%5" PRIu32 "   (main) %s\n", e->step, text);
			continue;
		}
		print_cell_row(f, e->step, col, n, text, last >= 0 && last != col);
		last = col;
	}
	fprintf(f, "('>' marks a switch to another thread; '.' lines are schedule points "
		"inside the library)\n");
}

/* Deviations as "tid.step>to,..." (tid 15 = the choice of the first thread). */
void choices_print(FILE *f, const struct choice *c, size_t n)
{
	if (!n)
		fputc('-', f);
	if (n > 200) {
		fprintf(f, "(%zu deviations: too many to print)", n);
		return;
	}
	for (size_t i = 0; i < n; i++)
		fprintf(f, "%s%u.%" PRIu32 ">%u", i ? "," : "", c[i].tid, c[i].step, c[i].to);
}

int choices_parse(const char *s, struct choice *c, size_t max, size_t *n)
{
	*n = 0;
	if (!strcmp(s, "-"))
		return 0;
	while (*s) {
		unsigned int tid, to;
		uint32_t step;
		int used;

		if (*n == max)
			return -1;
		if (sscanf(s, "%u.%" SCNu32 ">%u%n", &tid, &step, &to, &used) != 3 ||
		    tid > CHK_START || to >= CHK_MAX_THREADS)
			return -1;
		c[(*n)++] = (struct choice){ .tid = (uint8_t)tid, .step = step, .to = (uint8_t)to };
		s += used;
		if (*s == ',')
			s++;
		else if (*s)
			return -1;
	}
	return 0;
}
