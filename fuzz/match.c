/* Fuzz target: the picker's query parser and matcher (match.c).
 *
 * Input: a query, NUL, a second query, NUL, one byte for a score
 * threshold, then the line (any bytes).
 *
 * Invariants:
 * - the quick checks (query_matches, query_match_min, the signature
 *   bound, the required characters) and scoring through a memo agree
 *   with query_match;
 * - scoring through position masks agrees with the byte scans;
 * - query_match_positions returns the same result and score, with
 *   sorted, distinct positions inside the line that start a character;
 * - an empty query matches everything;
 * - when query_implies returns 1, a line that matches the first query
 *   also matches the second. */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "match.h"

static char *
take_string(struct fuzz_input *in)
{
	const uint8_t *nul = memchr(in->p, '\0', in->n);
	size_t n = nul ? (size_t)(nul - in->p) : in->n;
	char *s = malloc(n + 1);

	memcpy(s, in->p, n);
	s[n] = '\0';
	in->p += nul ? n + 1 : n;
	in->n -= nul ? n + 1 : n;
	return s;
}

static int
plain_ascii(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] >= 0x80 || s[i] == '\\' || s[i] == '\0')
			return 0;
	return 1;
}

static void
check_positions(const struct query *q, const char *line, size_t len,
    int matched, int32_t score)
{
	uint32_t pos[MATCH_MAX_POSITIONS];
	size_t n_pos = 0, i;
	int32_t pscore = 0;
	int pm = query_match_positions(q, line, len, &pscore, pos, &n_pos);

	FUZZ_ASSERT(pm == matched, "query_match_positions says %d, "
				   "query_match %d", pm, matched);
	if (!pm)
		return;
	FUZZ_ASSERT(pscore == score, "score %d with positions, %d without",
	    pscore, score);
	FUZZ_ASSERT(n_pos <= MATCH_MAX_POSITIONS, "%zu positions", n_pos);
	for (i = 0; i < n_pos; i++) {
		FUZZ_ASSERT(pos[i] < len, "position %u past the line (%zu)",
		    pos[i], len);
		FUZZ_ASSERT(i == 0 || pos[i] > pos[i - 1],
		    "positions %u and %u out of order", pos[i - 1], pos[i]);
		if (fuzz_utf8_valid(line, len))
			FUZZ_ASSERT(((unsigned char)line[pos[i]] & 0xc0) != 0x80,
			    "position %u inside a character", pos[i]);
	}
}

/* Checks query_match_memo on variants of line through a memo that has
 * seen line. */
static void
memo_other_lines(const struct query *q, const char *line, size_t len,
    int32_t min, struct match_memo *memo, const char *text)
{
	char *other = malloc(len + 1);
	int32_t a = 0, b = 0;
	int ra, rb, v;
	size_t i;

	if (!other)
		return;
	for (v = 0; v < 2; v++) {
		size_t n = len;

		if (v == 0) {
			other[0] = 'x';
			memcpy(other + 1, line, len);
			n = len + 1;
		} else {
			for (i = 0; i < len; i++) {
				char c = line[i];

				other[i] = (c >= 'a' && c <= 'z') ||
						(c >= 'A' && c <= 'Z')
					       ? (char)(c ^ 0x20)
					       : c;
			}
		}
		ra = query_match_memo(q, other, n, min, &a, memo);
		rb = query_match_min(q, other, n, min, &b);
		FUZZ_ASSERT(ra == rb && (ra != 1 || a == b),
		    "variant %d through a memo %d (score %d), without %d "
		    "(score %d) for \"%s\"", v, ra, a, rb, b, text);
	}
	free(other);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_input in = {data, size};
	char *text1 = take_string(&in), *text2 = take_string(&in);
	int32_t min = ((int32_t)fuzz_byte(&in) - 64) * 16, score = 0, mscore;
	const char *line = (const char *)in.p;
	size_t len = in.n;
	struct query *q1 = query_parse(text1), *q2 = query_parse(text2);
	struct match_signature sig;
	struct match_eighths eighths;
	struct match_required req;
	int m1, m2, r;

	match_signature(line, len, &sig, &eighths);
	m1 = query_match(q1, line, len, &score);
	FUZZ_ASSERT(m1 == 0 || m1 == 1, "query_match returned %d", m1);
	match_use_masks = 0;
	r = query_match(q1, line, len, &mscore);
	match_use_masks = 1;
	FUZZ_ASSERT(r == m1 && (!m1 || mscore == score),
	    "position masks give %d (score %d), byte scans %d (score %d) "
	    "for \"%s\"", m1, score, r, mscore, text1);
	FUZZ_ASSERT(query_matches(q1, line, len, &sig, &eighths) == m1,
	    "query_matches disagrees with query_match (%d) for \"%s\"", m1,
	    text1);
	FUZZ_ASSERT(query_matches(q1, line, len, &sig, NULL) == m1,
	    "query_matches without eighths disagrees with query_match (%d) "
	    "for \"%s\"", m1, text1);
	if (query_is_empty(q1))
		FUZZ_ASSERT(m1, "empty query \"%s\" does not match", text1);
	if (m1) {
		int32_t bound = query_signature_bound(q1, &sig);

		FUZZ_ASSERT(bound != INT32_MIN && score <= bound,
		    "score %d above the signature bound %d for \"%s\"", score,
		    bound, text1);
	}
	{
		/* Twice through one memo, so the second call may return the
		 * stored score. */
		struct match_memo *memo = match_memo_new(q1);
		int32_t a = 0, b = 0;
		int ra = query_match_memo(q1, line, len, min, &a, memo);
		int rb = query_match_memo(q1, line, len, INT32_MIN, &b, memo);

		FUZZ_ASSERT(ra == query_match_memo(q1, line, len, min, &a,
				      memo),
		    "the memo changed its answer for \"%s\"", text1);
		FUZZ_ASSERT(rb == m1 && (!m1 || b == score),
		    "through a memo %d (score %d), without %d (score %d) "
		    "for \"%s\"", rb, b, m1, score, text1);
		r = query_match_min(q1, line, len, min, &mscore);
		FUZZ_ASSERT(ra == r && (r != 1 || a == mscore),
		    "through a memo %d (score %d), without %d (score %d) at "
		    "min %d for \"%s\"", ra, a, r, mscore, min, text1);
		/* Other lines through the same memo, some sharing windows
		 * with the first: a byte before it, and its letters in the
		 * other case. */
		memo_other_lines(q1, line, len, min, memo, text1);
		match_memo_free(memo);
	}
	r = query_match_min(q1, line, len, min, &mscore);
	if (!m1)
		FUZZ_ASSERT(r == 0, "query_match_min matched (%d), "
				    "query_match did not", r);
	else if (r == 1)
		FUZZ_ASSERT(mscore == score, "query_match_min score %d, "
					     "query_match %d", mscore, score);
	else
		FUZZ_ASSERT(r == 2 && score < min,
		    "query_match_min returned %d for score %d, minimum %d", r,
		    score, min);
	check_positions(q1, line, len, m1, score);

	query_required(q1, "", &req);
	if (m1 && plain_ascii(line, len))
		FUZZ_ASSERT(match_required_present(&req, line, len),
		    "a matching line lacks a required character of \"%s\"",
		    text1);

	m2 = query_match(q2, line, len, &score);
	if (m1 && query_implies(q1, q2))
		FUZZ_ASSERT(m2, "\"%s\" implies \"%s\", but only the first "
				"matches", text1, text2);

	query_free(q1);
	query_free(q2);
	free(text1);
	free(text2);
	return 0;
}
