/* Unit tests for the picker's query parser, fuzzy matcher and ranking. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "match.h"
#include "tap.h"
#include "text.h"

static int
matches(const char *query, const char *text)
{
	struct query *q = query_parse(query);
	int32_t score;
	int rc = query_match(q, text, strlen(text), &score);

	query_free(q);
	return rc;
}

static int32_t
score_of(const char *query, const char *text)
{
	struct query *q = query_parse(query);
	int32_t score = -1;

	if (!query_match(q, text, strlen(text), &score))
		score = -1;
	query_free(q);
	return score;
}

/* The highlighted bytes of text as a string of the bytes themselves. */
static char *
highlight(const char *query, const char *text)
{
	struct query *q = query_parse(query);
	uint32_t pos[MATCH_MAX_POSITIONS];
	size_t n = 0, i;
	int32_t score;
	char *out = calloc(1, strlen(text) + 1);

	if (query_match_positions(q, text, strlen(text), &score, pos, &n))
		for (i = 0; i < n; i++)
			out[i] = text[pos[i]];
	query_free(q);
	return out;
}

static void
test_parse(void)
{
	struct query *q = query_parse("  abc 'ex ^pre suf$ !neg ^eq$ x | y  ");

	is_int((long long)q->n, 7, "seven sets, the last with two terms");
	is_int(q->sets[0].terms[0].type, MATCH_FUZZY, "plain term is fuzzy");
	is_int(q->sets[1].terms[0].type, MATCH_EXACT, "'term is exact");
	is_str(q->sets[1].terms[0].text, "ex", "' is not part of the text");
	is_int(q->sets[2].terms[0].type, MATCH_PREFIX, "^term is a prefix");
	is_int(q->sets[3].terms[0].type, MATCH_SUFFIX, "term$ is a suffix");
	is_str(q->sets[3].terms[0].text, "suf", "$ is not part of the text");
	is_int(q->sets[4].terms[0].type, MATCH_EXACT, "!term is exact");
	ok(q->sets[4].terms[0].inverse, "!term is inverse");
	is_int(q->sets[5].terms[0].type, MATCH_EQUAL, "^term$ is equal");
	query_free(q);

	q = query_parse("x | y | z w");
	is_int((long long)q->n, 2, "bars join alternatives into one set");
	is_int((long long)q->sets[0].n, 3, "three alternatives");
	query_free(q);

	q = query_parse("!'fz");
	is_int(q->sets[0].terms[0].type, MATCH_FUZZY, "!' is inverse fuzzy");
	ok(q->sets[0].terms[0].inverse, "!' stays inverse");
	query_free(q);

	q = query_parse("^ ' ! ");
	ok(query_is_empty(q), "lone operators form no term");
	query_free(q);

	q = query_parse("$");
	is_int((long long)q->n, 1, "a lone $ is a term");
	is_str(q->sets[0].terms[0].text, "$", "a lone $ matches a dollar");
	query_free(q);

	q = query_parse("a\\ b");
	is_int((long long)q->n, 1, "backslash-space stays in the term");
	is_str(q->sets[0].terms[0].text, "a b", "escaped space is a space");
	query_free(q);

	q = query_parse("| a");
	is_int((long long)q->n, 2, "a leading bar is a term of its own");
	is_str(q->sets[0].terms[0].text, "|", "a leading bar is literal");
	query_free(q);
}

static void
test_syntax(void)
{
	ok(matches("abc", "xaxbxcx"), "fuzzy skips characters");
	ok(!matches("abc", "cba"), "fuzzy keeps the order");
	ok(matches("'bxc", "xaxbxcx"), "exact finds a substring");
	ok(!matches("'abc", "xaxbxcx"), "exact needs adjacent characters");
	ok(matches("^xax", "xaxbxcx"), "prefix at the start");
	ok(!matches("^axb", "xaxbxcx"), "prefix not in the middle");
	ok(matches("^web", "  web-1"), "prefix skips leading spaces");
	ok(matches("xcx$", "xaxbxcx"), "suffix at the end");
	ok(!matches("xbx$", "xaxbxcx"), "suffix not in the middle");
	ok(matches("web$", "api web  "), "suffix skips trailing spaces");
	ok(matches("^abc$", "abc"), "equal on the whole line");
	ok(!matches("^abc$", "abcd"), "equal rejects a longer line");
	ok(matches("!zzz", "abc"), "negation without the text");
	ok(!matches("!bc", "abc"), "negation rejects the text");
	ok(matches("!ac", "abc"), "negation is exact, not fuzzy");
	ok(!matches("!'ac", "abc"), "inverse fuzzy rejects a fuzzy match");
	ok(matches("web | api", "api-1"), "alternative: second matches");
	ok(matches("web | api", "web-1"), "alternative: first matches");
	ok(!matches("web | api", "db-1"), "alternative: none matches");
	ok(matches("run prod", "prod task RUNNING"), "terms in any order");
	ok(!matches("run prod", "prod task STOPPED"), "every term must match");
	ok(matches("a\\ b", "xa by"), "escaped space matches a space");
	ok(!matches("a\\ b", "xab y"), "escaped space needs the space");
	ok(matches("", "anything"), "empty query matches all");
	ok(matches("$", "price $5"), "a lone $ matches a dollar sign");
	ok(!matches("$", "price 5"), "a lone $ needs a dollar sign");
	ok(matches("^'ab", "'abc"), "^' is a prefix starting with a quote");
	ok(!matches("^'ab", "abc"), "^' does not make an exact term");
}

static void
test_smart_case(void)
{
	ok(matches("run", "RUNNING"), "lower-case query ignores case");
	ok(matches("Run", "Running"), "upper case in the query...");
	ok(!matches("Run", "RUNNING"), "...makes the term case-sensitive");
	ok(matches("Run web", "Running WEB"),
	    "smart case is decided per term");
	ok(matches("'Ab", "xAby"), "exact term with upper case matches case");
	ok(!matches("'Ab", "xaby"), "exact term with upper case rejects case");
	ok(matches("!Ab", "xaby"), "inverse term respects case");
}

static void
test_unicode(void)
{
	char *h;

	ok(matches("東京", "region 東京 prod"), "CJK term matches");
	ok(matches("東prod", "東京 prod"), "CJK and ASCII fuzzy together");
	ok(matches("émile", "ÉMILE"), "non-ASCII letters fold case");
	ok(!matches("Émile", "émile"), "non-ASCII capital is case-sensitive");
	ok(matches("cafe", "cafe\xcc\x81 bar"), "combining mark skipped");
	ok(matches("🚀x", "go 🚀 x"), "emoji matches as one character");
	ok(matches("ab", "a\xff" "b"), "invalid UTF-8 byte is skipped");
	ok(!matches("kx", "\xe2\x84\xaa" "x"),
	    "ASCII letter does not match the Kelvin sign");
	is_int(score_of("ix", "aix \xc4\xb0" "x"),
	    score_of("ix", "aix \xc3\xa9" "x"),
	    "ASCII letter is not placed on a dotted capital I");
	h = highlight("京p", "東京 prod");
	is_str(h, "\xe4p", "highlight reports byte offsets of characters");
	free(h);
	h = highlight("京p", "x京p");
	ok(strlen(h) == 2 && h[1] == 'p', "highlight after a wide character");
	free(h);
}

static void
test_ranking(void)
{
	static const struct {
		const char *query, *better, *worse, *why;
	} cases[] = {
	    {"ecs", "ecs-pick", "elastic container service",
		"a run beats letters spread over words"},
	    {"ep", "ecs-pick", "deep", "word starts beat a run in mid-word"},
	    {"ab", "xx ab", "xxab", "a word start beats mid-word"},
	    {"ab", "a/b", "axxb", "delimiter boundary beats a gap"},
	    {"fb", "foo/bar", "foobar", "second word start after a delimiter"},
	    {"fb", "fooBar", "foobar", "camelCase beats mid-word"},
	    {"v2", "api-v2", "avxxx2", "digits after a letter"},
	    {"web", "web-1", "w-e-b", "run beats three word starts"},
	    {"run", "RUNNING", "r u n", "a run beats spaced letters"},
	    {"abc", "abc", "a_bc", "no gap beats a gap"},
	    {"abc", "ab c", "a    bc", "a short gap beats a long gap"},
	    {"task", "task/prod", "my-task", "the line start beats a word"},
	    {"'web", "web-1", "xweb-1", "exact at a word start ranks higher"},
	    {"pro", "prod run", "approve", "word start beats mid-word"},
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int32_t a = score_of(cases[i].query, cases[i].better);
		int32_t b = score_of(cases[i].query, cases[i].worse);

		if (!ok(a > b, "%s: \"%s\" over \"%s\" for %s", cases[i].why,
			cases[i].better, cases[i].worse, cases[i].query))
			diag("scores %d and %d", a, b);
	}
	is_int(score_of("a", "a"), 16 + 2 * 10,
	    "one character at the start: match plus double word bonus");
	is_int(score_of("ab", "ab"), 16 + 20 + 16 + 10,
	    "a run carries the first character's bonus");
	is_int(score_of("ab", "axxb"), 36 + 16 - 3 - 1,
	    "gap of two costs the start plus one extension");
}

static void
test_highlight(void)
{
	char *h;

	h = highlight("fb", "foo/bar fb");
	is_str(h, "fb", "positions point at f and b");
	free(h);
	h = highlight("ep", "deep ecs-pick");
	ok(strlen(h) == 2, "two positions for two characters");
	free(h);
	{
		struct query *q = query_parse("ep");
		const char *t = "deep ecs-pick";
		uint32_t pos[MATCH_MAX_POSITIONS];
		size_t n;
		int32_t s;

		query_match_positions(q, t, strlen(t), &s, pos, &n);
		ok(n == 2 && pos[0] == 5 && pos[1] == 9,
		    "best placement is highlighted, not the first one");
		query_free(q);
	}
	h = highlight("ab b", "ab");
	is_str(h, "ab", "overlapping positions are reported once");
	free(h);
	h = highlight("web !api", "web-1");
	is_str(h, "web", "inverse terms highlight nothing");
	free(h);
}

static void
test_long_line(void)
{
	size_t n = 200000, i;
	char *line = malloc(n + 1);
	int32_t s;
	struct query *q = query_parse("abcdefghij");

	for (i = 0; i < n; i++)
		line[i] = "abcdefghij"[i % 10] == 'a' ? 'x' : 'y';
	line[0] = 'a';
	memcpy(line + n - 9, "bcdefghij", 9);
	line[n] = 0;
	ok(query_match(q, line, n, &s), "long line matches (greedy scoring)");
	query_free(q);
	free(line);
}

static void
test_implies(void)
{
	static const struct {
		const char *narrow, *wide;
		int expected;
	} cases[] = {
	    {"abc", "ab", 1}, {"abc", "ac", 1}, {"ab", "abc", 0},
	    {"ab c", "ab", 1}, {"ab", "ab c", 0}, {"Ab", "ab", 1},
	    {"ab", "Ab", 0}, {"'abc", "'ab", 1}, {"'abc", "'bc", 1},
	    {"abc", "'ab", 0}, {"'abc", "ac", 1}, {"^abc", "^ab", 1},
	    {"^abc", "^bc", 0}, {"abc$", "bc$", 1}, {"abc$", "ab$", 0},
	    {"!ab", "!abc", 1}, {"!abc", "!ab", 0}, {"a", "a | b", 1},
	    {"a | b", "a", 0}, {"ax | bx", "a | b", 1}, {"x", "", 1},
	    {"", "x", 0}, {"^abc$", "^ab", 1}, {"^abc$", "bc$", 1},
	    {"ab$", "ab", 1}, {"!ab", "ab", 0},
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct query *n = query_parse(cases[i].narrow);
		struct query *w = query_parse(cases[i].wide);

		is_int(query_implies(n, w), cases[i].expected,
		    "\"%s\" %s \"%s\"", cases[i].narrow,
		    cases[i].expected ? "implies" : "does not imply",
		    cases[i].wide);
		query_free(n);
		query_free(w);
	}
}

static void
test_equal(void)
{
	static const struct {
		const char *a, *b;
		int expected;
	} cases[] = {
	    {"web", "web ", 1}, {" web  api ", "web api", 1}, {"web", "web |", 1},
	    {"web", "web$", 0}, {"Web", "web", 0}, {"!x", "x", 0},
	    {"a | b", "b | a", 0}, {"ab", "a b", 0}, {"'ab", "ab", 0},
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct query *a = query_parse(cases[i].a);
		struct query *b = query_parse(cases[i].b);

		is_int(query_equal(a, b), cases[i].expected, "\"%s\" %s \"%s\"",
		    cases[i].a, cases[i].expected ? "equals" : "differs from",
		    cases[i].b);
		query_free(a);
		query_free(b);
	}
}

/* The bound used to skip scoring must never be below the real score:
 * asking for exactly the real score as the minimum must still score. */
static void
test_bound(void)
{
	static const char alphabet[] = "abAB-/ _:c1";
	static const char *const queries[] = {"ab", "a-b", "ba", "a b", "AB",
	    "ab1", "'ab", "^a", "b$", "abc | ba", "a!b", "a1c", "bab"};
	unsigned seed = 12345;
	int i, q, bad = 0, checked = 0;

	for (i = 0; i < 3000; i++) {
		char line[40];
		int n = 5 + i % 30, c;

		for (c = 0; c < n; c++) {
			seed = seed * 1103515245 + 12345;
			line[c] = alphabet[(seed >> 16) % (sizeof(alphabet) - 1)];
		}
		for (q = 0; q < (int)(sizeof(queries) / sizeof(queries[0]));
		     q++) {
			struct query *qq = query_parse(queries[q]);
			int32_t exact, got = -1;

			if (query_match(qq, line, (size_t)n, &exact)) {
				checked++;
				if (query_match_min(qq, line, (size_t)n, exact,
					&got) != 1 ||
				    got != exact) {
					if (!bad)
						diag("bound below score: %s "
						     "in %.*s",
						    queries[q], n, line);
					bad++;
				}
			} else if (query_match_min(qq, line, (size_t)n,
				       INT32_MIN + 1, &got) != 0) {
				bad++;
			}
			query_free(qq);
		}
	}
	ok(checked > 1000, "bound check saw %d matching lines", checked);
	is_int(bad, 0, "score bound never hides a qualifying line");
}

/* Compares query_match_memo with query_match_min on n lines through one
 * memo, twice over so that the second pass reads it. Returns the number
 * of differences and adds the lines checked to *checked. */
static int
memo_differences(const char *query, char (*lines)[200], const size_t *lens,
    int n, unsigned *seed, int *checked)
{
	struct query *qq = query_parse(query);
	struct match_memo *memo = match_memo_new(qq);
	int i, rep, differ = 0;

	for (rep = 0; rep < 2; rep++)
		for (i = 0; i < n; i++) {
			int32_t exact = 0, want = 0, got = 0, min;
			int m = query_match(qq, lines[i], lens[i], &exact), rc;

			*seed = *seed * 1103515245 + 12345;
			min = m ? exact - 8 + (int32_t)((*seed >> 16) % 17)
				: INT32_MIN;
			if (*seed % 5 == 0)
				min = INT32_MIN;
			rc = query_match_memo(qq, lines[i], lens[i], min, &got,
			    memo);
			/* The score is set only with 1. */
			if (rc != query_match_min(qq, lines[i], lens[i], min,
				      &want) ||
			    (rc == 1 && got != want)) {
				if (!differ)
					diag("memo differs: %s in %.*s, min %d",
					    query, (int)lens[i], lines[i],
					    (int)min);
				differ++;
			}
			(*checked)++;
		}
	match_memo_free(memo);
	query_free(qq);
	return differ;
}

/* A memo may change only the cost of scoring: query_match_memo must give
 * what query_match_min gives, whatever the memo holds. The lines are made
 * of a few words, so their windows repeat and the memo is used. A window
 * comes back with other text around it, with its letters in another
 * case, after another byte (line start, space, letter, non-ASCII), and on
 * lines both within and beyond the 128 bytes of the position masks. */
static void
test_memo(void)
{
	static const char *const words[] = {"ab", "ba", "a-b", "xAb", "b1",
	    "cab", " ", "  ", "\xc3\xa9", "abc", "q", "AB", "aB", "Ab"};
	static const char *const queries[] = {"ab", "abc", "b", "Ab", "a1",
	    "ab b", "!ab", "a | b", "'ab", "bab", "b$", "AB"};
	enum { LINES = 1500 };
	static char lines[LINES][200];
	static size_t lens[LINES];
	unsigned seed = 4242;
	int i, q, differ = 0, checked = 0;

	for (i = 0; i < LINES; i++) {
		size_t n = 0;

		/* Some lines start with filler that no query contains, and
		 * some end with enough of it to pass 128 bytes. */
		if (i % 3 == 1)
			n += (size_t)snprintf(lines[i], 20, "zz.%d ", i % 7);
		while (n < 24) {
			const char *w;

			seed = seed * 1103515245 + 12345;
			w = words[(seed >> 16) % (sizeof(words) /
						     sizeof(words[0]))];
			memcpy(lines[i] + n, w, strlen(w));
			n += strlen(w);
		}
		if (i % 4 == 2)
			while (n < 150)
				lines[i][n++] = i % 8 == 2 ? 'z' : '.';
		lens[i] = n;
	}
	for (q = 0; q < (int)(sizeof(queries) / sizeof(queries[0])); q++)
		differ += memo_differences(queries[q], lines, lens, LINES,
		    &seed, &checked);
	/* Windows that never repeat: the memo turns itself off on the way,
	 * with the same results. */
	for (i = 0; i < LINES; i++)
		lens[i] = (size_t)snprintf(lines[i], sizeof(lines[i]),
		    "id q%05d%c1 tail", i * 7919 % 100000, "abAB"[i % 4]);
	differ += memo_differences("q1", lines, lens, LINES, &seed, &checked);
	ok(checked > 30000, "memo checked on %d lines", checked);
	is_int(differ, 0, "scores through a memo are those without it");
}

/* Scoring without positions (on the characters' positions only) and
 * with them (the full table) must agree on every line, ASCII or not. */
static void
test_score_paths_agree(void)
{
	static const char *const alphabet[] = {"a", "b", "c", "A", "B", "-",
	    "/", " ", ":", "1", "2", "x", "\xc3\xa9", "\xc3\x89"};
	static const char *const queries[] = {"ab", "abc", "a-b", "ba", "a b",
	    "AB", "ab1", "b2 ac", "aaa", "x1", "\xc3\xa9" "b", "bab | ca",
	    "a:b", "cab!x"};
	size_t n_alpha = sizeof(alphabet) / sizeof(alphabet[0]);
	unsigned seed = 2024;
	int i, q, bad = 0, checked = 0;

	for (i = 0; i < 4000; i++) {
		char line[400];
		size_t len = 0;
		int n = 3 + i % 90, c;

		for (c = 0; c < n; c++) {
			const char *piece;

			seed = seed * 1103515245 + 12345;
			piece = alphabet[(seed >> 16) % n_alpha];
			memcpy(line + len, piece, strlen(piece));
			len += strlen(piece);
		}
		for (q = 0; q < (int)(sizeof(queries) / sizeof(queries[0]));
		     q++) {
			struct query *qq = query_parse(queries[q]);
			uint32_t pos[MATCH_MAX_POSITIONS];
			size_t n_pos;
			int32_t plain = 0, table = 0;
			int a = query_match(qq, line, len, &plain);
			int b = query_match_positions(qq, line, len, &table, pos,
			    &n_pos);

			if (a != b || (a && plain != table)) {
				if (!bad)
					diag("%s on \"%.*s\": match %d/%d, "
					     "score %d/%d", queries[q], (int)len,
					    line, a, b, (int)plain, (int)table);
				bad++;
			}
			checked += a;
			query_free(qq);
		}
	}
	ok(checked > 5000, "score paths compared on %d matching lines",
	    checked);
	is_int(bad, 0, "scores without positions equal those with them");
}

/* Position masks against byte scans: lines of every length around the
 * 16-byte chunks and the 128-byte limit, queries with repeated and
 * case-sensitive characters and more distinct characters than masks. */
static void
test_masks_agree(void)
{
	static const char alphabet[] = "aAbBcC-/ :12x";
	static const char *const queries[] = {"ab", "abc", "a-b", "bab",
	    "AB", "ab1", "b2 ac", "aaa", "x1 | c", "a:b", "c!x", "'ab",
	    "^a", "b$", "abcx12-/:AB", "abcdefghijklmnopqrstuvwxyz"};
	unsigned seed = 99;
	int i, q, bad = 0, checked = 0;

	for (i = 0; i < 6000; i++) {
		char line[160];
		size_t len = (size_t)(1 + i % 140), c;

		for (c = 0; c < len; c++) {
			seed = seed * 1103515245 + 12345;
			line[c] = alphabet[(seed >> 16) % (sizeof(alphabet) - 1)];
		}
		for (q = 0; q < (int)(sizeof(queries) / sizeof(queries[0]));
		     q++) {
			struct query *qq = query_parse(queries[q]);
			int32_t with = 0, without = 0, min, got = 0;
			int a, b, r, expect;

			match_use_masks = 1;
			a = query_match(qq, line, len, &with);
			min = with + (i % 3) - 1;
			r = query_match_min(qq, line, len, min, &got);
			match_use_masks = 0;
			b = query_match(qq, line, len, &without);
			match_use_masks = 1;
			expect = 0;
			if (a)
				expect = with >= min ? 1 : 2;
			if (a != b || (a && with != without) || r != expect ||
			    (r == 1 && got != with)) {
				if (!bad)
					diag("%s on \"%.*s\": match %d/%d, "
					     "score %d/%d, min %d gives %d",
					    queries[q], (int)len, line, a, b,
					    (int)with, (int)without, (int)min, r);
				bad++;
			}
			checked += a;
			query_free(qq);
		}
	}
	ok(checked > 10000, "masks compared on %d matching lines", checked);
	is_int(bad, 0, "masks give the scores of the byte scans");
}

int
main(void)
{
	text_init();
	test_parse();
	test_syntax();
	test_smart_case();
	test_unicode();
	test_ranking();
	test_highlight();
	test_long_line();
	test_implies();
	test_equal();
	test_bound();
	test_score_paths_agree();
	test_masks_agree();
	test_memo();
	return done_testing();
}
