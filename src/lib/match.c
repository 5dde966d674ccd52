/* Query parsing, fuzzy matching and scoring for the picker.
 *
 * Scoring. A query term matches a line when its characters occur in the
 * line in order (fuzzy) or side by side (exact, prefix, suffix, equal).
 * Among all the ways the characters can be placed, the one with the
 * highest score counts. A line's score is the sum over the query's terms.
 * Inverse terms add nothing, and for "a | b" the better alternative counts.
 *
 *   each matched character                          +16
 *   gap between two matched characters              -3, and -1 for each
 *                                                   skipped character after
 *                                                   the first
 *   matched character at a word start: at the start
 *   of the line or after white space                +10
 *     after a delimiter  / , : ; |                  +9
 *     after other punctuation                       +8
 *   matched character that is itself punctuation    +8
 *   lower-to-upper case change (camelCase) or the
 *   first digit after a non-digit                   +7
 *   the first character of the term                 its bonus counts twice
 *   a character right after the previous match     the larger of its own
 *                                                   bonus, the bonus of the
 *                                                   run's first character
 *                                                   and +4
 *
 * So "ecs" prefers "ecs-pick" over "elastic container service" (a run at a
 * word start beats three word starts with gaps), and "ep" prefers
 * "ecs-pick" over "deep" (two word starts beat a run in mid-word). A word
 * start with a higher bonus than the run it would continue starts a new
 * run, so "ab" in "a-b" is scored as two word starts.
 *
 * The best placement is found by dynamic programming over the window
 * between the earliest and the latest place the term can occupy: cell
 * (i, j) holds the best score with character i of the term at position j
 * of the line. When the window times the term length is too large
 * (lines of many kilobytes), a greedy placement is scored instead: the
 * first occurrence, shortened from its end.
 *
 * Ties are broken by the caller (shorter line, then input order).
 * Matching works on code points; case folding is ASCII plus towlower(3).
 *
 * Speed. To score an ASCII line of at most MASK_LINE_MAX bytes, one pass
 * of SSE2 compares first builds a bit mask of the positions of each
 * character of the query's ASCII fuzzy terms. Finding the next or the
 * last occurrence of a character is then a bit scan, and the loops above
 * visit only the positions where a character occurs. The result is that
 * of the byte scans, which longer and other lines use. */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <wctype.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "match.h"
#include "text.h"
#include "util.h"

#define SCORE_MATCH 16
#define SCORE_GAP_START -3
#define SCORE_GAP_EXTENSION -1
#define BONUS_WHITE 10
#define BONUS_DELIMITER 9
#define BONUS_BOUNDARY 8
#define BONUS_NON_WORD 8
#define BONUS_CAMEL 7
#define BONUS_CONSECUTIVE 4
#define FIRST_CHAR_FACTOR 2

/* Largest window * term length scored by dynamic programming. */
#define DP_MAX_CELLS (1 << 16)
/* Lines up to this many code points are decoded on the stack. */
#define STACK_CHARS 1024
#define NEG_INF (INT32_MIN / 4)

int match_use_masks = 1;

/* A set of positions in a line, bit j for byte j. */
#ifdef __SIZEOF_INT128__
typedef unsigned __int128 posmask;
#define MASK_LINE_MAX 128

static inline size_t
pm_lowest(posmask m)
{
	uint64_t lo = (uint64_t)m;

	return lo ? (size_t)__builtin_ctzll(lo)
		  : 64 + (size_t)__builtin_ctzll((uint64_t)(m >> 64));
}

static inline size_t
pm_highest(posmask m)
{
	uint64_t hi = (uint64_t)(m >> 64);

	return hi ? 127 - (size_t)__builtin_clzll(hi)
		  : 63 - (size_t)__builtin_clzll((uint64_t)m);
}
#else
typedef uint64_t posmask;
#define MASK_LINE_MAX 64

static inline size_t
pm_lowest(posmask m)
{
	return (size_t)__builtin_ctzll(m);
}

static inline size_t
pm_highest(posmask m)
{
	return 63 - (size_t)__builtin_clzll(m);
}
#endif

/* Positions j >= from. */
static inline posmask
pm_from(size_t from)
{
	return from >= MASK_LINE_MAX ? 0 : ~(posmask)0 << from;
}

/* Positions j < end. */
static inline posmask
pm_below(size_t end)
{
	return end >= MASK_LINE_MAX ? ~(posmask)0
				    : ((posmask)1 << end) - 1;
}

enum char_class {
	CLASS_WHITE,
	CLASS_DELIMITER,
	CLASS_PUNCT,
	CLASS_LOWER,
	CLASS_UPPER,
	CLASS_DIGIT,
	CLASS_LETTER,
};

/* A line as code points: the bytes themselves when ascii is set (an
 * ASCII line, read in place), else decoded into cp. When off is set,
 * off[i] is the byte offset of code point i. */
struct line {
	const unsigned char *ascii;
	uint32_t *cp;
	uint32_t *off;
	size_t n;
	/* Set on an ASCII line read in place: mask[x] contains the
	 * positions of the query's mask character x (see line_masks). */
	const posmask *mask;
};

static inline uint32_t
line_at(const struct line *l, size_t j)
{
	return l->ascii ? l->ascii[j] : l->cp[j];
}

static pthread_once_t tables_once = PTHREAD_ONCE_INIT;
static void tables_init(void);
static unsigned signature_bit(uint32_t c);

static uint32_t
fold(uint32_t c)
{
	uint32_t lower;

	if (c < 0x80)
		return c - 'A' < 26u ? c + 32 : c;
	/* A few characters lower-case to ASCII (U+212A KELVIN SIGN to k,
	 * U+0130 to i). They stay as they are, so that ASCII query
	 * characters match ASCII text only, as the byte prefilters and the
	 * line signatures assume. */
	lower = (uint32_t)towlower((wint_t)c);
	return lower < 0x80 ? c : lower;
}

static enum char_class
classify(uint32_t c)
{
	if (c < 0x80) {
		if (c - 'a' < 26u)
			return CLASS_LOWER;
		if (c - 'A' < 26u)
			return CLASS_UPPER;
		if (c - '0' < 10u)
			return CLASS_DIGIT;
		if (c == ' ' || c == '\t' || c == '\n' || c == '\r')
			return CLASS_WHITE;
		if (c == '/' || c == ',' || c == ':' || c == ';' || c == '|')
			return CLASS_DELIMITER;
		return CLASS_PUNCT;
	}
	if (iswupper((wint_t)c))
		return CLASS_UPPER;
	if (iswlower((wint_t)c))
		return CLASS_LOWER;
	if (iswdigit((wint_t)c))
		return CLASS_DIGIT;
	if (iswalpha((wint_t)c))
		return CLASS_LETTER;
	if (iswspace((wint_t)c))
		return CLASS_WHITE;
	return CLASS_PUNCT;
}

static int
bonus_for(enum char_class prev, enum char_class cur)
{
	if (cur >= CLASS_LOWER) {
		if (prev == CLASS_WHITE)
			return BONUS_WHITE;
		if (prev == CLASS_DELIMITER)
			return BONUS_DELIMITER;
		if (prev == CLASS_PUNCT)
			return BONUS_BOUNDARY;
		if (prev == CLASS_LOWER && cur == CLASS_UPPER)
			return BONUS_CAMEL;
		if (prev != CLASS_DIGIT && cur == CLASS_DIGIT)
			return BONUS_CAMEL;
		return 0;
	}
	if (cur == CLASS_WHITE)
		return BONUS_WHITE;
	return BONUS_NON_WORD;
}

/* ASCII classes and all class pairs' bonuses, filled once by
 * tables_init. */
static unsigned char ascii_class[128];
static signed char pair_bonus[CLASS_LETTER + 1][CLASS_LETTER + 1];
/* The bonus of an ASCII byte by the byte before it: one load instead of
 * three on the lines read in place. */
static signed char ascii_bonus[128][128];

static void
fill_tables(void)
{
	int a, b;

	for (a = 0; a < 128; a++)
		ascii_class[a] = (unsigned char)classify((uint32_t)a);
	for (a = 0; a <= CLASS_LETTER; a++)
		for (b = 0; b <= CLASS_LETTER; b++)
			pair_bonus[a][b] = (signed char)bonus_for(
			    (enum char_class)a, (enum char_class)b);
	for (a = 0; a < 128; a++)
		for (b = 0; b < 128; b++)
			ascii_bonus[a][b] =
			    pair_bonus[ascii_class[a]][ascii_class[b]];
}

/* Sets the locale and fills the tables, once per process, because the
 * loader's threads compute signatures at the same time. */
static void
tables_init(void)
{
	text_init();
	fill_tables();
}

static enum char_class
char_class(uint32_t c)
{
	if (c < 0x80)
		return (enum char_class)ascii_class[c];
	return classify(c);
}

static inline int
bonus_at(const struct line *l, size_t j)
{
	enum char_class prev;

	if (l->ascii)
		return ascii_bonus[j ? l->ascii[j - 1] : ' '][l->ascii[j]];
	prev = j ? char_class(l->cp[j - 1]) : CLASS_WHITE;

	return pair_bonus[prev][char_class(l->cp[j])];
}

static int
chars_equal(const struct match_term *t, uint32_t pattern, uint32_t c)
{
	return pattern == (t->case_sensitive ? c : fold(c));
}

/* Scores the placement of a term's characters at the given positions,
 * or at start, start + 1, ... when pos is NULL. */
static int32_t
score_positions(const struct line *l, const size_t *pos, size_t start,
    size_t m)
{
	int32_t score = 0;
	int run_bonus = 0;
	size_t i;

	for (i = 0; i < m; i++) {
		size_t at = pos ? pos[i] : start + i;
		int b = bonus_at(l, at);

		if (i == 0) {
			score += SCORE_MATCH + b * FIRST_CHAR_FACTOR;
			run_bonus = b;
			continue;
		}
		if (!pos || pos[i] == pos[i - 1] + 1) {
			if (b >= BONUS_BOUNDARY && b > run_bonus)
				run_bonus = b;
			else if (run_bonus > b)
				b = run_bonus;
			if (b < BONUS_CONSECUTIVE)
				b = BONUS_CONSECUTIVE;
		} else {
			size_t gap = pos[i] - pos[i - 1] - 1;

			score += SCORE_GAP_START +
			    SCORE_GAP_EXTENSION * (int32_t)(gap - 1);
			run_bonus = b;
		}
		score += SCORE_MATCH + b;
	}
	return score;
}

/* Returns the first byte in [p, end) equal to c, or to c and its upper
 * case when fold is set (c is then a lower-case letter), or NULL. Sixteen
 * bytes (SSE2, part of every x86-64 CPU) or eight bytes are tested at a
 * time: OR-ing 0x20 maps exactly 'A'-'Z' onto 'a'-'z' among the bytes
 * that could equal a letter. */
static const char *
find_byte(const char *p, const char *end, uint32_t c, int fold)
{
	const uint64_t ones = 0x0101010101010101ull;
	const uint64_t high = 0x8080808080808080ull;
	const uint64_t pattern = ones * c, mask = fold ? ones * 0x20 : 0;
#ifdef __SSE2__
	const __m128i pattern16 = _mm_set1_epi8((char)c);
	const __m128i mask16 = _mm_set1_epi8(fold ? 0x20 : 0);

	while (end - p >= 16) {
		__m128i v = _mm_loadu_si128((const __m128i *)(const void *)p);
		int hits = _mm_movemask_epi8(
		    _mm_cmpeq_epi8(_mm_or_si128(v, mask16), pattern16));

		if (hits)
			return p + __builtin_ctz((unsigned)hits);
		p += 16;
	}
#endif
	while (end - p >= 8) {
		uint64_t w, x;

		memcpy(&w, p, 8);
		x = (w | mask) ^ pattern;
		if (((x - ones) & ~x & high) != 0)
			break;
		p += 8;
	}
	for (; p < end; p++)
		if ((uint32_t)((unsigned char)*p | (fold ? 0x20 : 0)) == c)
			return p;
	return NULL;
}

/* Returns the last byte in [begin, p) equal to c, as find_byte matches,
 * or NULL. */
static const char *
find_byte_reverse(const char *begin, const char *p, uint32_t c, int fold)
{
	const unsigned char mask = fold ? 0x20 : 0;
#ifdef __SSE2__
	const __m128i pattern16 = _mm_set1_epi8((char)c);
	const __m128i mask16 = _mm_set1_epi8((char)mask);

	while (p - begin >= 16) {
		__m128i v = _mm_loadu_si128(
		    (const __m128i *)(const void *)(p - 16));
		int hits = _mm_movemask_epi8(
		    _mm_cmpeq_epi8(_mm_or_si128(v, mask16), pattern16));

		if (hits)
			return p - 16 + (31 - __builtin_clz((unsigned)hits));
		p -= 16;
	}
#endif
	while (p > begin) {
		p--;
		if ((uint32_t)((unsigned char)*p | mask) == c)
			return p;
	}
	return NULL;
}

/* Fills m[x] with the positions of q's mask character x in the line.
 * Returns 0, leaving m undefined, when q has no masks or the line is
 * longer than MASK_LINE_MAX or not ASCII. */
static int
line_masks(const struct query *q, const char *text, size_t len, posmask *m)
{
	size_t x, k;

	if (!match_use_masks || q->n_masks == 0 || len > MASK_LINE_MAX)
		return 0;
#ifdef __SSE2__
	{
		/* v[k] contains bytes 16k to 16k + 15. When the length is not
		 * a multiple of 16, the last v[k] contains the line's last 16
		 * bytes instead, and its first 16 - rem bits are dropped. */
		__m128i v[MASK_LINE_MAX / 16], folded[MASK_LINE_MAX / 16];
		__m128i high = _mm_setzero_si128();
		size_t chunks = (len + 15) / 16, rem = len % 16;
		unsigned drop = rem ? 16 - (unsigned)rem : 0;

		if (len < 16) {
			unsigned char tail[16];

			/* Zero bytes match no query character. */
			memset(tail, 0, sizeof(tail));
			memcpy(tail, text, len);
			v[0] = _mm_loadu_si128((const __m128i *)tail);
			drop = 0;
		} else {
			for (k = 0; k < chunks; k++)
				v[k] = _mm_loadu_si128((const __m128i *)(
				    const void *)(text + (k + 1 == chunks
							      ? len - 16
							      : 16 * k)));
		}
		for (k = 0; k < chunks; k++) {
			high = _mm_or_si128(high, v[k]);
			folded[k] = _mm_or_si128(v[k], _mm_set1_epi8(0x20));
		}
		if (_mm_movemask_epi8(high))
			return 0;
		for (x = 0; x < q->n_masks; x++) {
			const __m128i *src = q->mask_fold[x] ? folded : v;
			__m128i c = _mm_set1_epi8((char)q->mask_char[x]);
			uint64_t lo = 0, hi = 0;

			for (k = 0; k < chunks; k++) {
				uint64_t bits = (unsigned)_mm_movemask_epi8(
				    _mm_cmpeq_epi8(src[k], c));

				if (k + 1 == chunks)
					bits >>= drop;
				if (k < 4)
					lo |= bits << (16 * k);
				else
					hi |= bits << (16 * (k - 4));
			}
#ifdef __SIZEOF_INT128__
			m[x] = (posmask)hi << 64 | lo;
#else
			(void)hi;
			m[x] = lo;
#endif
		}
	}
#else
	/* NOTE: only targets without SSE2 build this loop, so the tests on
	 * x86-64 never run it. */
	for (x = 0; x < q->n_masks; x++)
		m[x] = 0;
	for (k = 0; k < len; k++) {
		unsigned char b = (unsigned char)text[k];

		if (b >= 0x80)
			return 0;
		for (x = 0; x < q->n_masks; x++)
			if ((q->mask_fold[x] ? (b | 0x20) : b) == q->mask_char[x])
				m[x] |= (posmask)1 << k;
	}
#endif
	return 1;
}

/* The positions in [from, to] of character i of t, from the masks. */
static posmask
char_mask(const struct match_term *t, const struct line *l, size_t i,
    size_t from, size_t to)
{
	return l->mask[t->mask_of[i]] & pm_from(from) & pm_below(to + 1);
}

/* fuzzy_bounds from the line's position masks. */
static int
fuzzy_bounds_masks(const struct match_term *t, const struct line *l,
    size_t *first, size_t *last)
{
	posmask allowed = ~(posmask)0;
	size_t i, end = l->n;

	for (i = 0; i < t->len; i++) {
		posmask at = l->mask[t->mask_of[i]] & allowed;

		if (!at)
			return 0;
		first[i] = pm_lowest(at);
		allowed = pm_from(first[i] + 1);
	}
	for (i = t->len; i-- > 0;) {
		end = pm_highest(l->mask[t->mask_of[i]] & pm_below(end));
		last[i] = end;
	}
	return 1;
}

/* fuzzy_bounds on an ASCII line, with find_byte. */
static int
fuzzy_bounds_ascii(const struct match_term *t, const struct line *l,
    size_t *first, size_t *last)
{
	const char *text = (const char *)l->ascii, *end = text + l->n;
	const char *p = text;
	size_t i;

	if (l->mask && t->mask_of)
		return fuzzy_bounds_masks(t, l, first, last);
	for (i = 0; i < t->len; i++) {
		uint32_t c = t->chars[i];

		if (c >= 0x80)
			return 0;
		p = find_byte(p, end, c, !t->case_sensitive && c - 'a' < 26u);
		if (!p)
			return 0;
		first[i] = (size_t)(p - text);
		p++;
	}
	p = end;
	for (i = t->len; i-- > 0;) {
		uint32_t c = t->chars[i];

		p = find_byte_reverse(text, p, c,
		    !t->case_sensitive && c - 'a' < 26u);
		last[i] = (size_t)(p - text);
	}
	return 1;
}

/* Earliest positions (first[]) and latest positions (last[]) of a term's
 * characters. Returns 0 when the term does not occur in order. */
static int
fuzzy_bounds(const struct match_term *t, const struct line *l,
    size_t *first, size_t *last)
{
	size_t i, j = 0;

	if (l->ascii)
		return fuzzy_bounds_ascii(t, l, first, last);

	for (i = 0; i < t->len; i++) {
		while (j < l->n && !chars_equal(t, t->chars[i], line_at(l, j)))
			j++;
		if (j == l->n)
			return 0;
		first[i] = j++;
	}
	j = l->n;
	for (i = t->len; i-- > 0;) {
		while (j > 0 && !chars_equal(t, t->chars[i], line_at(l, j - 1)))
			j--;
		last[i] = --j;
	}
	return 1;
}

/* Greedy placement: the first occurrence, then moved as far right as it
 * goes while keeping its end, which removes needless leading gaps. */
static void
fuzzy_greedy(const struct match_term *t, const struct line *l,
    const size_t *first, size_t *pos)
{
	size_t i = t->len, j = first[t->len - 1] + 1;

	while (i-- > 0) {
		while (!chars_equal(t, t->chars[i], line_at(l, j - 1)))
			j--;
		pos[i] = --j;
	}
}

struct dp {
	int32_t *score;		/* m rows of w cells */
	int32_t *run;		/* run bonus of the cell's best placement */
	unsigned char *consecutive;
	size_t w;
};

/* Fills row i of the table, whose columns start at line position lo.
 * Only columns from..to can hold character i. */
static void
dp_row(const struct match_term *t, const struct line *l, const int *bonus,
    struct dp *d, size_t i, size_t lo, size_t from, size_t to)
{
	int32_t *row = d->score + i * d->w, *run = d->run + i * d->w;
	const int32_t *prev = row - d->w, *prev_run = run - d->w;
	int32_t gap_best = NEG_INF;
	size_t j;

	for (j = lo; j < lo + d->w; j++)
		row[j - lo] = NEG_INF;
	/* gap_best: the best cell of the previous row at least two columns
	 * to the left, with the gap penalty up to column j. */
	for (j = lo; j <= to; j++) {
		int32_t gap_score, cons_score = NEG_INF;
		int b = bonus[j - lo], rb = 0;

		if (i > 0 && j >= lo + 2) {
			int32_t candidate = prev[j - 2 - lo] + SCORE_GAP_START;

			gap_best = gap_best + SCORE_GAP_EXTENSION;
			if (candidate > gap_best)
				gap_best = candidate;
		}
		if (j < from || !chars_equal(t, t->chars[i], line_at(l, j)))
			continue;
		if (i == 0) {
			row[j - lo] = SCORE_MATCH + b * FIRST_CHAR_FACTOR;
			run[j - lo] = b;
			continue;
		}
		gap_score = gap_best > NEG_INF / 2 ? gap_best + SCORE_MATCH + b
						   : NEG_INF;
		if (j > lo && prev[j - 1 - lo] > NEG_INF / 2) {
			int cb = b;

			rb = prev_run[j - 1 - lo];
			if (b >= BONUS_BOUNDARY && b > rb)
				rb = b;
			else if (rb > cb)
				cb = rb;
			if (cb < BONUS_CONSECUTIVE)
				cb = BONUS_CONSECUTIVE;
			cons_score = prev[j - 1 - lo] + SCORE_MATCH + cb;
		}
		if (cons_score >= gap_score && cons_score > NEG_INF / 2) {
			row[j - lo] = cons_score;
			run[j - lo] = rb;
			if (d->consecutive)
				d->consecutive[i * d->w + j - lo] = 1;
		} else {
			row[j - lo] = gap_score;
			run[j - lo] = b;
		}
	}
}

/* Walks the table back from the best last cell to the placement. */
static void
dp_backtrack(const struct dp *d, size_t m, size_t lo, size_t end,
    size_t *pos)
{
	size_t i = m - 1, j = end;

	pos[i] = j;
	while (i > 0) {
		const int32_t *prev = d->score + (i - 1) * d->w;

		if (d->consecutive[i * d->w + j - lo]) {
			j--;
		} else {
			int32_t best = NEG_INF;
			size_t k, pick = j - 2;

			for (k = lo; k + 1 < j; k++) {
				int32_t s = prev[k - lo] + SCORE_GAP_START +
				    SCORE_GAP_EXTENSION *
					(int32_t)(j - k - 2);

				if (prev[k - lo] > NEG_INF / 2 && s > best) {
					best = s;
					pick = k;
				}
			}
			j = pick;
		}
		pos[--i] = j;
	}
}

/* The loop of fuzzy_bound for character i, over the positions in the
 * masks: the best bonus of the character, whether it can follow the
 * previous character directly, and the best gap score. */
static void
fuzzy_bound_masks(const struct match_term *t, const struct line *l,
    const size_t *first, const size_t *last, size_t i, int *best,
    int *adjacent, int32_t *gap_best)
{
	posmask at = char_mask(t, l, i, first[i], last[i]);
	posmask before = i ? l->mask[t->mask_of[i - 1]] & pm_from(first[i - 1])
			   : 0;

	for (; at; at &= at - 1) {
		size_t j = pm_lowest(at);
		int b = bonus_at(l, j);
		posmask earlier;

		if (b > *best)
			*best = b;
		if (i == 0)
			continue;
		/* j > first[i - 1], so j - 1 is inside before's range. */
		if ((before >> (j - 1)) & 1)
			*adjacent = 1;
		earlier = before & pm_below(j - 1);
		if (earlier) {
			int32_t g = b + SCORE_GAP_START +
			    SCORE_GAP_EXTENSION *
				(int32_t)(j - pm_highest(earlier) - 2);

			if (g > *gap_best)
				*gap_best = g;
		}
	}
}

/* An upper bound of the fuzzy score, from one pass over each character's
 * window. The first character scores at most 16 + 2 * its best bonus.
 * Every later one scores at most 16 plus the best, over its positions,
 * of two cases. After a gap: its bonus there minus the gap penalty from
 * the nearest earlier place of the previous character at least two
 * positions back. Right after the previous character: the best bonus
 * seen so far (or the consecutive minimum). For a one-character term the
 * bound is the score. Returns NEG_INF when t does not occur. */
static int32_t
fuzzy_bound(const struct match_term *t, const struct line *l, int *exact)
{
	size_t stack_first[64], stack_last[64];
	size_t *first = stack_first, *last = stack_last, m = t->len, i, j;
	int32_t bound = NEG_INF;
	int seen = BONUS_CONSECUTIVE;

	if (m > 64) {
		first = xmalloc(2 * m * sizeof(size_t));
		last = first + m;
	}
	if (!fuzzy_bounds(t, l, first, last))
		goto out;
	*exact = m == 1;
	for (i = 0; i < m; i++) {
		int best = -1, adjacent = 0;
		int32_t gap_best = NEG_INF;
		size_t prev = SIZE_MAX;	/* previous character, <= j - 2 */

		if (l->mask && t->mask_of) {
			fuzzy_bound_masks(t, l, first, last, i, &best,
			    &adjacent, &gap_best);
			goto scored;
		}
		j = i == 0 ? first[0] : first[i - 1] + 1;
		for (; j <= last[i]; j++) {
			int b;

			if (i > 0 && j >= first[i - 1] + 2 &&
			    chars_equal(t, t->chars[i - 1], line_at(l, j - 2)))
				prev = j - 2;
			if (j < first[i] ||
			    !chars_equal(t, t->chars[i], line_at(l, j)))
				continue;
			b = bonus_at(l, j);
			if (b > best)
				best = b;
			if (i == 0)
				continue;
			if (chars_equal(t, t->chars[i - 1], line_at(l, j - 1)))
				adjacent = 1;
			if (prev != SIZE_MAX) {
				int32_t g = b + SCORE_GAP_START +
				    SCORE_GAP_EXTENSION * (int32_t)(j - prev - 2);

				if (g > gap_best)
					gap_best = g;
			}
		}
	scored:
		if (best > seen)
			seen = best;
		if (i == 0) {
			bound = SCORE_MATCH + best * FIRST_CHAR_FACTOR;
			continue;
		}
		if (adjacent && seen > gap_best)
			gap_best = seen;
		bound += SCORE_MATCH + gap_best;
	}
out:
	if (first != stack_first)
		free(first);
	return bound;
}

/* Most positions of one character that fuzzy_score_sparse handles. */
#define SPARSE_MAX 256

/* Collects the positions in [from, to] where character i of t occurs.
 * Returns their number, or SIZE_MAX when there are more than max. */
static size_t
char_positions(const struct match_term *t, const struct line *l, size_t i,
    size_t from, size_t to, uint32_t *out, size_t max)
{
	uint32_t c = t->chars[i];
	size_t n = 0, j;

	if (l->mask && t->mask_of) {
		posmask at = char_mask(t, l, i, from, to);

		for (; at; at &= at - 1) {
			if (n == max)
				return SIZE_MAX;
			out[n++] = (uint32_t)pm_lowest(at);
		}
		return n;
	}
	if (l->ascii) {
		const char *text = (const char *)l->ascii, *p = text + from;
		const char *end = text + to + 1;
		int fold = !t->case_sensitive && c - 'a' < 26u;

		if (c >= 0x80)
			return 0;
		while ((p = find_byte(p, end, c, fold)) != NULL) {
			if (n == max)
				return SIZE_MAX;
			out[n++] = (uint32_t)(p - text);
			p++;
		}
		return n;
	}
	for (j = from; j <= to; j++) {
		if (!chars_equal(t, c, line_at(l, j)))
			continue;
		if (n == max)
			return SIZE_MAX;
		out[n++] = (uint32_t)j;
	}
	return n;
}

/* The score of the table of fuzzy_score, computed only at the positions
 * where each character occurs: every other cell of the table is empty.
 * Row by row, the best cell at least two positions back (with its gap
 * penalty) is a running maximum of score + position, and the cell right
 * before is found by merging the two sorted position lists. Returns 0
 * when a character occurs more than SPARSE_MAX times in its window. */
static int
fuzzy_score_sparse(const struct match_term *t, const struct line *l,
    const size_t *first, const size_t *last, int32_t *best)
{
	uint32_t at[2][SPARSE_MAX];
	int32_t cell[2][SPARSE_MAX];
	signed char run[2][SPARSE_MAX];
	size_t n[2] = {0, 0}, i, x;
	int cur = 0;

	for (i = 0; i < t->len; i++, cur ^= 1) {
		const uint32_t *pat = at[cur ^ 1];
		const int32_t *pcell = cell[cur ^ 1];
		const signed char *prun = run[cur ^ 1];
		size_t k = 0, q = 0;
		int32_t reach = NEG_INF;	/* max previous cell + position */

		n[cur] = char_positions(t, l, i, first[i], last[i], at[cur],
		    SPARSE_MAX);
		if (n[cur] == SIZE_MAX)
			return 0;
		for (x = 0; x < n[cur]; x++) {
			uint32_t j = at[cur][x];
			int b = bonus_at(l, j), rb = 0;
			int32_t gap_score = NEG_INF, cons_score = NEG_INF;

			if (i == 0) {
				cell[cur][x] = SCORE_MATCH + b * FIRST_CHAR_FACTOR;
				run[cur][x] = (signed char)b;
				continue;
			}
			for (; k < n[cur ^ 1] && pat[k] + 2 <= j; k++)
				if (pcell[k] > NEG_INF / 2 &&
				    pcell[k] + (int32_t)pat[k] > reach)
					reach = pcell[k] + (int32_t)pat[k];
			/* reach - j - 1 is the cell plus SCORE_GAP_START and
			 * SCORE_GAP_EXTENSION for each further skipped one. */
			if (reach > NEG_INF / 2)
				gap_score = reach - (int32_t)j - 1 + SCORE_MATCH + b;
			while (q < n[cur ^ 1] && pat[q] + 1 < j)
				q++;
			if (q < n[cur ^ 1] && pat[q] + 1 == j &&
			    pcell[q] > NEG_INF / 2) {
				int cb = b;

				rb = prun[q];
				if (b >= BONUS_BOUNDARY && b > rb)
					rb = b;
				else if (rb > cb)
					cb = rb;
				if (cb < BONUS_CONSECUTIVE)
					cb = BONUS_CONSECUTIVE;
				cons_score = pcell[q] + SCORE_MATCH + cb;
			}
			if (cons_score >= gap_score && cons_score > NEG_INF / 2) {
				cell[cur][x] = cons_score;
				run[cur][x] = (signed char)rb;
			} else {
				cell[cur][x] = gap_score;
				run[cur][x] = (signed char)b;
			}
		}
	}
	cur ^= 1;
	*best = NEG_INF;
	for (x = 0; x < n[cur]; x++)
		if (cell[cur][x] > *best)
			*best = cell[cur][x];
	return 1;
}

/* Best fuzzy placement of t in l: returns its score, or NEG_INF when t
 * does not occur. Stores the positions when pos is not NULL. */
static int32_t
fuzzy_score(const struct match_term *t, const struct line *l, size_t *pos)
{
	size_t stack_first[64], stack_last[64], stack_pos[64];
	size_t *first = stack_first, *last = stack_last, *tmp = stack_pos;
	size_t m = t->len, lo, w, i, j, end = 0;
	int32_t best = NEG_INF, stack_cells[4096];
	struct dp d = {0};
	int *bonus = NULL;

	if (m > 64) {
		first = xmalloc(3 * m * sizeof(size_t));
		last = first + m;
		tmp = last + m;
	}
	if (!fuzzy_bounds(t, l, first, last))
		goto out;
	lo = first[0];
	w = last[m - 1] - lo + 1;
	if (w * m > DP_MAX_CELLS) {
		fuzzy_greedy(t, l, first, tmp);
		best = score_positions(l, tmp, 0, m);
		if (pos)
			memcpy(pos, tmp, m * sizeof(size_t));
		goto out;
	}
	if (!pos && fuzzy_score_sparse(t, l, first, last, &best))
		goto out;

	d.w = w;
	d.score = stack_cells;
	if (2 * m * w + w > sizeof(stack_cells) / sizeof(stack_cells[0]))
		d.score = xmalloc((2 * m * w + w) * sizeof(int32_t));
	d.run = d.score + m * w;
	bonus = (int *)(d.run + m * w);
	if (pos)
		d.consecutive = xcalloc(m * w, 1);
	for (j = 0; j < w; j++)
		bonus[j] = bonus_at(l, lo + j);
	for (i = 0; i < m; i++)
		dp_row(t, l, bonus, &d, i, lo, first[i], last[i]);
	for (j = first[m - 1]; j <= last[m - 1]; j++) {
		int32_t s = d.score[(m - 1) * w + j - lo];

		if (s > best) {
			best = s;
			end = j;
		}
	}
	if (pos)
		dp_backtrack(&d, m, lo, end, pos);
	if (d.score != stack_cells)
		free(d.score);
	free(d.consecutive);
out:
	if (first != stack_first)
		free(first);
	return best;
}

/* Whether t's characters occur side by side at position s of l. */
static int
run_at(const struct match_term *t, const struct line *l, size_t s)
{
	size_t i;

	if (s + t->len > l->n)
		return 0;
	for (i = 0; i < t->len; i++)
		if (!chars_equal(t, t->chars[i], line_at(l, s + i)))
			return 0;
	return 1;
}

static int32_t
score_run(const struct line *l, size_t s, size_t m, size_t *pos)
{
	size_t i;

	if (pos)
		for (i = 0; i < m; i++)
			pos[i] = s + i;
	return score_positions(l, NULL, s, m);
}

static int
is_space(uint32_t c)
{
	return c == ' ' || c == '\t';
}

/* Scores exact, prefix, suffix and equal terms. Prefix and equal terms
 * skip leading white space in the line unless the term starts with white
 * space. Suffix and equal terms do the same for trailing white space. */
static int32_t
anchored_score(const struct match_term *t, const struct line *l, size_t *pos)
{
	size_t begin = 0, end = l->n, s, best_s = 0;
	int32_t best = NEG_INF;

	if (t->type != MATCH_EXACT && t->type != MATCH_SUFFIX &&
	    !is_space(t->chars[0]))
		while (begin < end && is_space(line_at(l, begin)))
			begin++;
	if (t->type != MATCH_EXACT && t->type != MATCH_PREFIX &&
	    !is_space(t->chars[t->len - 1]))
		while (end > begin && is_space(line_at(l, end - 1)))
			end--;

	switch (t->type) {
	case MATCH_PREFIX:
		if (!run_at(t, l, begin) || begin + t->len > end)
			return NEG_INF;
		return score_run(l, begin, t->len, pos);
	case MATCH_SUFFIX:
		if (end < begin + t->len || !run_at(t, l, end - t->len))
			return NEG_INF;
		return score_run(l, end - t->len, t->len, pos);
	case MATCH_EQUAL:
		if (end - begin != t->len || !run_at(t, l, begin))
			return NEG_INF;
		return score_run(l, begin, t->len, pos);
	default:
		break;
	}
	for (s = 0; s + t->len <= l->n; s++) {
		int32_t sc;

		if (!run_at(t, l, s))
			continue;
		sc = score_run(l, s, t->len, NULL);
		if (sc > best) {
			best = sc;
			best_s = s;
		}
	}
	if (best > NEG_INF && pos)
		score_run(l, best_s, t->len, pos);
	return best;
}

static int32_t
term_score(const struct match_term *t, const struct line *l, size_t *pos)
{
	if (t->type == MATCH_FUZZY)
		return fuzzy_score(t, l, pos);
	return anchored_score(t, l, pos);
}

/* Necessary condition checked on the raw bytes before decoding: the
 * term's ASCII characters occur in order. UTF-8 never uses ASCII byte
 * values inside a multi-byte character, so this never rejects a match. */
static int
ascii_prefilter(const struct match_term *t, const char *text, size_t len)
{
	const char *p = text, *end = text + len;
	size_t i;

	for (i = 0; i < t->len; i++) {
		uint32_t c = t->chars[i];

		if (c >= 0x80)
			continue;
		p = find_byte(p, end, c, !t->case_sensitive && c - 'a' < 26u);
		if (!p)
			return 0;
		p++;
	}
	return 1;
}

/* Whether some term of the set passes its prefilter. A term with
 * position masks passes when the line has masks (have_masks): finding
 * its first places from the masks, which scoring does next, is the same
 * check at no extra cost. */
static int
set_prefilter(const struct match_set *set, const char *text, size_t len,
    int have_masks)
{
	size_t k;

	for (k = 0; k < set->n; k++) {
		const struct match_term *t = &set->terms[k];

		if (t->inverse || (have_masks && t->mask_of) ||
		    ascii_prefilter(t, text, len))
			return 1;
	}
	return 0;
}

static int
is_ascii(const char *text, size_t len)
{
	const uint64_t high = 0x8080808080808080ull;
	uint64_t any = 0;
	size_t i = 0;

	for (; i + 8 <= len; i += 8) {
		uint64_t w;

		memcpy(&w, text + i, 8);
		any |= w;
	}
	for (; i < len; i++)
		any |= (unsigned char)text[i];
	return !(any & high);
}

/* Decodes text into l; cp and off have room for len entries. An ASCII
 * line is read in place unless off is wanted. */
static void
decode_line(const char *text, size_t len, struct line *l)
{
	const unsigned char *u = (const unsigned char *)text;
	size_t i, n = 0;

	l->ascii = NULL;
	if (is_ascii(text, len)) {
		l->n = len;
		if (!l->off) {
			l->ascii = u;
			return;
		}
		for (i = 0; i < len; i++) {
			l->cp[i] = u[i];
			l->off[i] = (uint32_t)i;
		}
		return;
	}
	for (i = 0; i < len;) {
		uint32_t c;
		size_t k = utf8_decode(text + i, len - i, &c);

		if (l->off)
			l->off[n] = (uint32_t)i;
		l->cp[n++] = c;
		i += k;
	}
	l->n = n;
}

static int
cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

/* An upper bound of a term's score (the score itself for non-fuzzy
 * terms), or NEG_INF when the term does not match. */
static int32_t
term_bound(const struct match_term *t, const struct line *l)
{
	int exact = 0;
	int32_t b;

	if (t->type != MATCH_FUZZY)
		b = anchored_score(t, l, NULL);
	else
		b = fuzzy_bound(t, l, &exact);
	if (t->inverse)
		return b > NEG_INF ? NEG_INF : 0;
	return b;
}

/* Checks that every set matches and sums the bounds of their best terms. */
static int32_t
query_bound(const struct query *q, const struct line *l)
{
	int32_t total = 0;
	size_t s, k;

	for (s = 0; s < q->n; s++) {
		int32_t best = NEG_INF;

		for (k = 0; k < q->sets[s].n; k++) {
			int32_t b = term_bound(&q->sets[s].terms[k], l);

			if (b > best)
				best = b;
		}
		if (best == NEG_INF)
			return NEG_INF;
		total += best;
	}
	return total;
}

/* Scores every set on a decoded line; collects positions when pos is set. */
static int
match_decoded(const struct query *q, const struct line *l, int32_t *score,
    uint32_t *pos, size_t *n_pos)
{
	size_t s, k, i, np = 0, *tmp = NULL, longest = 1;
	int32_t total = 0;

	/* With positions wanted, the scores come from the full table too,
	 * so the score shown with the highlight is the table's. */
	if (pos) {
		for (s = 0; s < q->n; s++)
			for (k = 0; k < q->sets[s].n; k++)
				if (q->sets[s].terms[k].len > longest)
					longest = q->sets[s].terms[k].len;
		tmp = xmalloc(longest * sizeof(*tmp));
	}
	for (s = 0; s < q->n; s++) {
		const struct match_set *set = &q->sets[s];
		int32_t best = NEG_INF;
		size_t best_k = 0;

		for (k = 0; k < set->n; k++) {
			const struct match_term *t = &set->terms[k];
			int32_t sc = term_score(t, l, tmp);

			if (t->inverse)
				sc = sc > NEG_INF ? NEG_INF : 0;
			if (sc > best) {
				best = sc;
				best_k = k;
			}
		}
		if (best == NEG_INF) {
			free(tmp);
			return 0;
		}
		total += best;
		if (pos && !set->terms[best_k].inverse) {
			const struct match_term *t = &set->terms[best_k];

			term_score(t, l, tmp);
			for (i = 0; i < t->len && np < MATCH_MAX_POSITIONS; i++)
				pos[np++] = l->off[tmp[i]];
		}
	}
	free(tmp);
	*score = total;
	if (pos) {
		qsort(pos, np, sizeof(*pos), cmp_u32);
		for (i = 0, k = 0; i < np; i++)
			if (k == 0 || pos[k - 1] != pos[i])
				pos[k++] = pos[i];
		*n_pos = k;
	}
	return 1;
}

/* Whether query_bound is worth computing before the score: when every
 * fuzzy term has one character, the bound is one pass over the line. A
 * longer term's bound costs about as much as its exact score by
 * fuzzy_score_sparse (measured with bench/pick-keys.c). */
static int
bound_is_cheaper(const struct query *q)
{
	size_t s, k;

	for (s = 0; s < q->n; s++)
		for (k = 0; k < q->sets[s].n; k++)
			if (q->sets[s].terms[k].type == MATCH_FUZZY &&
			    q->sets[s].terms[k].len > 1)
				return 0;
	return 1;
}

/* The memo: a table with one slot per hash of a window. A window's score
 * depends on nothing else: its characters, their classes and the byte
 * before it (the line start counts as white space, as a space does).
 * Only ASCII windows of at most MEMO_KEY_MAX bytes are kept. */
#define MEMO_SLOTS 4096
#define MEMO_KEY_MAX 60
/* After this many lookups, a memo that found fewer than one in sixteen
 * turns itself off, because the windows of this query hardly repeat (a
 * hex id inside each, say) and each lookup would only add to the work.
 * On the benchmark's "prod", a quarter of the first 1024 lookups find
 * their window and half of the first 4096. On "bi" or "4b2", under one
 * in a hundred do. */
#define MEMO_TRIAL 1024

enum memo_state {
	MEMO_EMPTY,
	MEMO_BOUND,	/* value is an upper bound of the score */
	MEMO_SCORE,	/* value is the score */
	MEMO_NONE,	/* the term does not fit in the window */
};

struct memo_slot {
	uint64_t hash;
	int32_t value;
	unsigned char state;
	unsigned char len;
	unsigned char before;
	unsigned char key[MEMO_KEY_MAX];
};

struct match_memo {
	size_t lookups, hits;
	int off;
	struct memo_slot slots[MEMO_SLOTS];
};

/* Returns the one term of q when the memo can serve q, else NULL. */
static const struct match_term *
memo_term(const struct query *q)
{
	const struct match_term *t;

	if (q->n != 1 || q->sets[0].n != 1)
		return NULL;
	t = &q->sets[0].terms[0];
	if (t->type != MATCH_FUZZY || t->inverse || !t->ascii || t->len == 0)
		return NULL;
	return t;
}

struct match_memo *
match_memo_new(const struct query *q)
{
	return memo_term(q) ? xcalloc(1, sizeof(struct match_memo)) : NULL;
}

void
match_memo_free(struct match_memo *memo)
{
	free(memo);
}

static uint64_t
memo_hash(const unsigned char *p, size_t n, unsigned char before)
{
	const uint64_t k = 0x9e3779b97f4a7c15ull;
	uint64_t h = before, w;

	for (; n >= 8; p += 8, n -= 8) {
		memcpy(&w, p, 8);
		h = (h ^ w) * k;
		h ^= h >> 29;
	}
	w = 0;
	memcpy(&w, p, n);
	h = (h ^ w ^ (uint64_t)n << 56) * k;
	return h ^ h >> 32;
}

/* The memo's slot for the window of q's only term in text, emptied first
 * when it held another window. Returns NULL when the memo does not apply
 * (off, a query of another shape, a window too long or not ASCII), and
 * sets *absent when the window's ends are missing, so the line cannot
 * match. */
static struct memo_slot *
memo_slot_for(struct match_memo *memo, const struct query *q,
    const char *text, size_t len, int *absent)
{
	const struct match_term *t;
	const char *end = text + len, *first, *last;
	struct memo_slot *slot;
	unsigned char before;
	uint32_t c0, cl;
	uint64_t h;
	size_t n;

	*absent = 0;
	if (memo->off || !(t = memo_term(q)))
		return NULL;
	c0 = t->chars[0];
	cl = t->chars[t->len - 1];
	first = find_byte(text, end, c0, !t->case_sensitive && c0 - 'a' < 26u);
	last = first ? find_byte_reverse(first, end, cl,
			   !t->case_sensitive && cl - 'a' < 26u)
		     : NULL;
	if (!last) {
		*absent = 1;
		return NULL;
	}
	n = (size_t)(last - first) + 1;
	before = first > text ? (unsigned char)first[-1] : ' ';
	if (n > MEMO_KEY_MAX || before >= 0x80 || !is_ascii(first, n))
		return NULL;
	if (++memo->lookups == MEMO_TRIAL && memo->hits < MEMO_TRIAL / 16) {
		memo->off = 1;
		return NULL;
	}
	h = memo_hash((const unsigned char *)first, n, before);
	slot = &memo->slots[h % MEMO_SLOTS];
	if (slot->state != MEMO_EMPTY && slot->hash == h && slot->len == n &&
	    slot->before == before && memcmp(slot->key, first, n) == 0) {
		memo->hits++;
		return slot;
	}
	slot->hash = h;
	slot->state = MEMO_EMPTY;
	slot->len = (unsigned char)n;
	slot->before = before;
	memcpy(slot->key, first, n);
	return slot;
}

/* Returns 0 (no match), 1 (match, *score set) or 2 (match whose score is
 * below min, *score not set). */
static int
match_line(const struct query *q, const char *text, size_t len,
    int32_t min, int32_t *score, uint32_t *pos, size_t *n_pos,
    struct match_memo *memo)
{
	uint32_t stack_cp[STACK_CHARS], stack_off[STACK_CHARS];
	posmask masks[QUERY_MASKS_MAX];
	struct memo_slot *slot = NULL;
	int have_masks, absent;
	struct line l;
	size_t s;
	int rc;

	if (q->n == 0) {
		*score = 0;
		if (n_pos)
			*n_pos = 0;
		return 1;
	}
	if (memo) {
		slot = memo_slot_for(memo, q, text, len, &absent);
		if (absent)
			return 0;
		if (slot && slot->state == MEMO_NONE)
			return 0;
		if (slot && slot->state == MEMO_SCORE) {
			if (slot->value < min)
				return 2;
			*score = slot->value;
			return 1;
		}
		if (slot && slot->state == MEMO_BOUND && slot->value < min)
			return 2;
	}
	have_masks = !pos && line_masks(q, text, len, masks);
	for (s = 0; s < q->n; s++)
		if (!set_prefilter(&q->sets[s], text, len, have_masks)) {
			if (slot)
				slot->state = MEMO_NONE;
			return 0;
		}

	l.cp = stack_cp;
	l.off = pos ? stack_off : NULL;
	l.mask = NULL;
	if (have_masks) {
		/* An ASCII line, read in place. */
		l.ascii = (const unsigned char *)text;
		l.n = len;
		l.mask = masks;
	} else {
		if (len > STACK_CHARS && (pos || !is_ascii(text, len))) {
			l.cp = xmalloc(len * sizeof(uint32_t) * (pos ? 2 : 1));
			if (pos)
				l.off = l.cp + len;
		}
		decode_line(text, len, &l);
	}
	/* With masks a line's bound is cheaper than its score, so it comes
	 * first, unless the memo has it. */
	if (min > INT32_MIN && (have_masks || bound_is_cheaper(q)) &&
	    !(slot && slot->state == MEMO_BOUND)) {
		int32_t bound = query_bound(q, &l);

		rc = bound == NEG_INF ? 0 : 2;
		if (slot) {
			slot->state = bound == NEG_INF ? MEMO_NONE : MEMO_BOUND;
			slot->value = bound;
		}
		if (bound >= min)
			rc = match_decoded(q, &l, score, pos, n_pos);
	} else {
		rc = match_decoded(q, &l, score, pos, n_pos);
	}
	if (slot && rc != 2) {
		slot->state = rc == 1 ? MEMO_SCORE : MEMO_NONE;
		slot->value = rc == 1 ? *score : NEG_INF;
	}
	if (rc == 1 && *score < min)
		rc = 2;
	if (l.cp != stack_cp)
		free(l.cp);
	return rc;
}

int
query_match(const struct query *q, const char *text, size_t len,
    int32_t *score)
{
	return match_line(q, text, len, INT32_MIN, score, NULL, NULL, NULL);
}

int
query_match_min(const struct query *q, const char *text, size_t len,
    int32_t min, int32_t *score)
{
	return match_line(q, text, len, min, score, NULL, NULL, NULL);
}

int
query_match_memo(const struct query *q, const char *text, size_t len,
    int32_t min, int32_t *score, struct match_memo *memo)
{
	return match_line(q, text, len, min, score, NULL, NULL, memo);
}

int
query_match_positions(const struct query *q, const char *text, size_t len,
    int32_t *score, uint32_t *pos, size_t *n_pos)
{
	*n_pos = 0;
	return match_line(q, text, len, INT32_MIN, score, pos, n_pos, NULL);
}

static int
has_upper(const char *s, size_t len)
{
	size_t i = 0;

	while (i < len) {
		uint32_t c;

		i += utf8_decode(s + i, len - i, &c);
		if (c < 0x80 ? c - 'A' < 26u : iswupper((wint_t)c) != 0)
			return 1;
	}
	return 0;
}

static void
term_init(struct match_term *t, enum match_type type, int inverse,
    const char *text, size_t len)
{
	size_t i = 0;

	t->type = type;
	t->mask_of = NULL;
	t->inverse = inverse;
	t->case_sensitive = has_upper(text, len);
	t->text = xstrndup(text, len);
	t->chars = xmalloc((len + 1) * sizeof(uint32_t));
	t->len = 0;
	t->ascii = 1;
	while (i < len) {
		uint32_t c;

		i += utf8_decode(text + i, len - i, &c);
		t->chars[t->len++] = t->case_sensitive ? c : fold(c);
		if (c >= 0x80)
			t->ascii = 0;
	}
	t->sig_bit = xmalloc(t->len + 1);
	t->sig_exact = 1;
	for (i = 0; i < t->len; i++) {
		uint32_t c = t->chars[i];

		t->sig_bit[i] = (unsigned char)signature_bit(c);
		if (!(c - '0' < 10u || (c - 'a' < 26u && !t->case_sensitive)))
			t->sig_exact = 0;
	}
}

/* Turns one space-separated token into a term. The operators combine as
 * fzf's extended search reads them: "!" makes an inverse exact term,
 * "'" flips it back to fuzzy, a trailing "$" (not a lone "$") anchors the
 * end and a leading "^" the start. */
static void
add_token(struct query *q, const char *tok, size_t len, int join)
{
	enum match_type type = MATCH_FUZZY;
	int inverse = 0;
	struct match_set *set;

	if (len > 0 && tok[0] == '!') {
		inverse = 1;
		type = MATCH_EXACT;
		tok++;
		len--;
	}
	if (len > 1 && tok[len - 1] == '$') {
		type = MATCH_SUFFIX;
		len--;
	}
	if (len > 0 && tok[0] == '\'') {
		type = inverse ? MATCH_FUZZY : MATCH_EXACT;
		tok++;
		len--;
	} else if (len > 0 && tok[0] == '^') {
		type = type == MATCH_SUFFIX ? MATCH_EQUAL : MATCH_PREFIX;
		tok++;
		len--;
	}
	if (len == 0)
		return;

	if (!join || q->n == 0) {
		q->sets = xrealloc(q->sets, (q->n + 1) * sizeof(*q->sets));
		q->sets[q->n].terms = NULL;
		q->sets[q->n].n = 0;
		q->n++;
	}
	set = &q->sets[q->n - 1];
	set->terms = xrealloc(set->terms, (set->n + 1) * sizeof(*set->terms));
	term_init(&set->terms[set->n++], type, inverse, tok, len);
}

/* Gives every character of the ASCII fuzzy terms an entry in the
 * query's position masks, one per distinct character and case rule. */
static void
assign_masks(struct query *q)
{
	size_t s, k, i, x;

	for (s = 0; s < q->n; s++)
		for (k = 0; k < q->sets[s].n; k++) {
			struct match_term *t = &q->sets[s].terms[k];

			if (t->type != MATCH_FUZZY || !t->ascii)
				continue;
			t->mask_of = xmalloc(t->len ? t->len : 1);
			for (i = 0; i < t->len; i++) {
				unsigned char c = (unsigned char)t->chars[i];
				unsigned char f = !t->case_sensitive &&
				    (unsigned)c - 'a' < 26u;

				for (x = 0; x < q->n_masks; x++)
					if (q->mask_char[x] == c &&
					    q->mask_fold[x] == f)
						break;
				if (x == QUERY_MASKS_MAX)
					goto too_many;
				if (x == q->n_masks) {
					q->mask_char[x] = c;
					q->mask_fold[x] = f;
					q->n_masks++;
				}
				t->mask_of[i] = (unsigned char)x;
			}
		}
	return;
too_many:
	for (s = 0; s < q->n; s++)
		for (k = 0; k < q->sets[s].n; k++) {
			free(q->sets[s].terms[k].mask_of);
			q->sets[s].terms[k].mask_of = NULL;
		}
	q->n_masks = 0;
}

struct query *
query_parse(const char *s)
{
	struct query *q = xcalloc(1, sizeof(*q));
	struct buf tok = BUF_INIT;
	int join = 0;

	pthread_once(&tables_once, tables_init);
	q->source = xstrdup(s);
	while (*s) {
		while (*s == ' ')
			s++;
		if (!*s)
			break;
		buf_reset(&tok);
		/* "\ " is a space inside a term. */
		while (*s && *s != ' ') {
			if (s[0] == '\\' && s[1] == ' ')
				s++;
			buf_addc(&tok, *s++);
		}
		if (tok.len == 1 && tok.data[0] == '|' && q->n > 0) {
			join = 1;
			continue;
		}
		add_token(q, tok.data, tok.len, join);
		join = 0;
	}
	buf_free(&tok);
	assign_masks(q);
	return q;
}

void
query_free(struct query *q)
{
	size_t s, k;

	if (!q)
		return;
	for (s = 0; s < q->n; s++) {
		for (k = 0; k < q->sets[s].n; k++) {
			free(q->sets[s].terms[k].chars);
			free(q->sets[s].terms[k].text);
			free(q->sets[s].terms[k].mask_of);
			free(q->sets[s].terms[k].sig_bit);
		}
		free(q->sets[s].terms);
	}
	free(q->sets);
	free(q->source);
	free(q);
}

int
query_is_empty(const struct query *q)
{
	return q->n == 0;
}

/* Compares a character of the narrower term with one of the wider term,
 * folding the narrow one when only the wide term ignores case. */
static int
implied_char(const struct match_term *narrow, const struct match_term *wide,
    size_t i, size_t k)
{
	uint32_t c = narrow->chars[i];

	if (!wide->case_sensitive && narrow->case_sensitive)
		c = fold(c);
	return c == wide->chars[k];
}

static int
chars_contain(const struct match_term *n, const struct match_term *w,
    size_t at)
{
	size_t k;

	if (at + w->len > n->len)
		return 0;
	for (k = 0; k < w->len; k++)
		if (!implied_char(n, w, at + k, k))
			return 0;
	return 1;
}

/* Whether every line matching n (ignoring inversion) matches w. */
static int
term_implies(const struct match_term *n, const struct match_term *w)
{
	size_t i, k;

	if (w->case_sensitive && !n->case_sensitive)
		return 0;
	switch (w->type) {
	case MATCH_FUZZY:
		for (i = 0, k = 0; i < n->len && k < w->len; i++)
			if (implied_char(n, w, i, k))
				k++;
		return k == w->len;
	case MATCH_EXACT:
		if (n->type == MATCH_FUZZY)
			return 0;
		for (i = 0; i + w->len <= n->len; i++)
			if (chars_contain(n, w, i))
				return 1;
		return 0;
	case MATCH_PREFIX:
		return (n->type == MATCH_PREFIX || n->type == MATCH_EQUAL) &&
		    chars_contain(n, w, 0);
	case MATCH_SUFFIX:
		return (n->type == MATCH_SUFFIX || n->type == MATCH_EQUAL) &&
		    n->len >= w->len && chars_contain(n, w, n->len - w->len);
	case MATCH_EQUAL:
		return n->type == MATCH_EQUAL && n->len == w->len &&
		    chars_contain(n, w, 0);
	}
	return 0;
}

static int
alternative_implies(const struct match_term *n, const struct match_term *w)
{
	if (n->inverse != w->inverse)
		return 0;
	/* "not B" implies "not A" when A implies B. */
	if (n->inverse)
		return term_implies(w, n);
	return term_implies(n, w);
}

static int
set_implies(const struct match_set *n, const struct match_set *w)
{
	size_t i, k;

	for (i = 0; i < n->n; i++) {
		for (k = 0; k < w->n; k++)
			if (alternative_implies(&n->terms[i], &w->terms[k]))
				break;
		if (k == w->n)
			return 0;
	}
	return 1;
}

int
query_implies(const struct query *narrow, const struct query *wide)
{
	size_t i, k;

	for (k = 0; k < wide->n; k++) {
		for (i = 0; i < narrow->n; i++)
			if (set_implies(&narrow->sets[i], &wide->sets[k]))
				break;
		if (i == narrow->n)
			return 0;
	}
	return 1;
}

int
query_equal(const struct query *a, const struct query *b)
{
	size_t s, k;

	if (a->n != b->n)
		return 0;
	for (s = 0; s < a->n; s++) {
		if (a->sets[s].n != b->sets[s].n)
			return 0;
		for (k = 0; k < a->sets[s].n; k++) {
			const struct match_term *x = &a->sets[s].terms[k];
			const struct match_term *y = &b->sets[s].terms[k];

			if (x->type != y->type || x->inverse != y->inverse ||
			    x->case_sensitive != y->case_sensitive ||
			    x->len != y->len ||
			    memcmp(x->chars, y->chars,
				x->len * sizeof(*x->chars)) != 0)
				return 0;
		}
	}
	return 1;
}

/* Signature bits: a-z 0-25, 0-9 26-35, other ASCII 36-61 (shared), any
 * non-ASCII character 62. Bit 63 of occurs marks a non-ASCII line. */
#define SIG_NON_ASCII_CHAR 62
#define SIG_NON_ASCII_LINE (1ull << 63)

static unsigned
signature_bit(uint32_t c)
{
	if (c >= 0x80)
		return SIG_NON_ASCII_CHAR;
	if (c - 'a' < 26u)
		return c - 'a';
	if (c - 'A' < 26u)
		return c - 'A';
	if (c - '0' < 10u)
		return 26 + (c - '0');
	return 36 + c % 26;
}

static void
signature_add(struct match_signature *sig, uint32_t c, int bonus)
{
	uint64_t bit = 1ull << signature_bit(c);

	sig->occurs |= bit;
	if (bonus >= BONUS_CAMEL)
		sig->camel |= bit;
	if (bonus >= BONUS_BOUNDARY)
		sig->boundary |= bit;
	if (bonus >= BONUS_WHITE)
		sig->start |= bit;
}

void
match_signature(const char *text, size_t len, struct match_signature *sig,
    struct match_eighths *eighths)
{
	const unsigned char *u = (const unsigned char *)text;
	enum char_class prev = CLASS_WHITE;
	size_t i = 0;

	pthread_once(&tables_once, tables_init);
	memset(sig, 0, sizeof(*sig));
	if (eighths)
		memset(eighths, 0, sizeof(*eighths));
	while (i < len) {
		uint32_t c = u[i];
		enum char_class cls;
		size_t at = i;

		if (c < 0x80) {
			i++;
		} else {
			i += utf8_decode(text + i, len - i, &c);
			sig->occurs |= SIG_NON_ASCII_LINE;
		}
		cls = char_class(c);
		signature_add(sig, c, pair_bonus[prev][cls]);
		if (eighths) {
			unsigned b = signature_bit(c);

			if (b < 36)
				eighths->parts[b] |= (uint8_t)(1u
				    << (at * 8 / len));
		}
		prev = cls;
	}
}

/* Returns 1 when the eighths show that t's characters occur in order,
 * each in a later eighth of the line than the one before, and 0 when
 * they cannot tell. Only a term whose characters all have bits of their
 * own can be shown to match. */
static int
eighths_in_order(const struct match_term *t,
    const struct match_eighths *eighths)
{
	unsigned later = 0xff;	/* eighths after the previous character */
	size_t i;

	if (!t->sig_exact || t->inverse || t->type != MATCH_FUZZY)
		return 0;
	for (i = 0; i < t->len; i++) {
		unsigned b = t->sig_bit[i], in;

		in = (unsigned)eighths->parts[b] & later;
		if (!in)
			return 0;
		later = 0xffu << (__builtin_ctz(in) + 1) & 0xff;
	}
	return 1;
}

/* The bound of fuzzy_bound with each character's best bonus taken from
 * the signature. A later character always gets the run's best bonus so
 * far (it is at least its own, which beats its own after a gap). The
 * levels nest: a start is also a boundary, a boundary a camel case
 * change, and each occurs. So a character's level is a sum of its bits:
 * 10 at a start, 9 after a delimiter, 7 at a case change, 0 elsewhere. */
static int32_t
term_signature_bound(const struct match_term *t,
    const struct match_signature *sig)
{
	int32_t bound = 0;
	int seen = BONUS_CONSECUTIVE;
	uint64_t missing = 0;
	size_t i;

	if (t->inverse)
		return 0;
	for (i = 0; i < t->len; i++) {
		unsigned b = t->sig_bit[i];
		int level = BONUS_CAMEL * (int)((sig->camel >> b) & 1) +
		    (BONUS_DELIMITER - BONUS_CAMEL) *
			(int)((sig->boundary >> b) & 1) +
		    (BONUS_WHITE - BONUS_DELIMITER) *
			(int)((sig->start >> b) & 1);

		missing |= ~sig->occurs >> b;
		if (level > seen)
			seen = level;
		bound += SCORE_MATCH + (i == 0 ? level * FIRST_CHAR_FACTOR : seen);
	}
	return missing & 1 ? NEG_INF : bound;
}

int32_t
query_signature_bound(const struct query *q,
    const struct match_signature *sig)
{
	int32_t total = 0;
	size_t s, k;

	for (s = 0; s < q->n; s++) {
		int32_t best = NEG_INF;

		for (k = 0; k < q->sets[s].n; k++) {
			int32_t b = term_signature_bound(&q->sets[s].terms[k],
			    sig);

			if (b > best)
				best = b;
		}
		if (best == NEG_INF)
			return INT32_MIN;
		total += best;
	}
	return total;
}

int32_t
query_max_bound(const struct query *q)
{
	struct match_signature all;

	memset(&all, 0xff, sizeof(all));
	return query_signature_bound(q, &all);
}

/* Whether the signature alone shows that a line matches t: a one-
 * character fuzzy term whose character has a bit of its own (a letter,
 * ignoring case, or a digit). */
static int
signature_decides(const struct match_term *t,
    const struct match_signature *sig)
{
	if (t->inverse || t->type != MATCH_FUZZY || t->len != 1 ||
	    !t->sig_exact)
		return 0;
	return (sig->occurs >> t->sig_bit[0]) & 1;
}

int
query_matches_signature(const struct query *q,
    const struct match_signature *sig, const struct match_eighths *eighths)
{
	size_t s, k;

	for (s = 0; s < q->n; s++)
		for (k = 0; k < q->sets[s].n; k++)
			if (signature_decides(&q->sets[s].terms[k], sig) ||
			    (eighths &&
				eighths_in_order(&q->sets[s].terms[k],
				    eighths)))
				break;
			else if (k + 1 == q->sets[s].n)
				return 0;
	return 1;
}

int
query_matches(const struct query *q, const char *text, size_t len,
    const struct match_signature *sig, const struct match_eighths *eighths)
{
	return query_matches_signature(q, sig, eighths) ||
	    query_matches_text(q, text, len, sig);
}

int
query_matches_text(const struct query *q, const char *text, size_t len,
    const struct match_signature *sig)
{
	int32_t score;
	size_t s, k;

	/* On an ASCII line an ASCII fuzzy term matches exactly when its
	 * characters occur in order, which find_byte checks quickly. */
	if (sig->occurs & SIG_NON_ASCII_LINE)
		return match_line(q, text, len, INT32_MAX, &score, NULL,
			   NULL, NULL) != 0;
	for (s = 0; s < q->n; s++)
		for (k = 0; k < q->sets[s].n; k++) {
			const struct match_term *t = &q->sets[s].terms[k];

			if (t->inverse || t->type != MATCH_FUZZY || !t->ascii)
				return match_line(q, text, len, INT32_MAX,
					   &score, NULL, NULL, NULL) != 0;
		}
	for (s = 0; s < q->n; s++)
		if (!set_prefilter(&q->sets[s], text, len, 0))
			return 0;
	return 1;
}

void
query_required(const struct query *q, const char *added,
    struct match_required *r)
{
	size_t s, i;

	r->n = 0;
	for (s = 0; s < q->n; s++) {
		const struct match_term *t = &q->sets[s].terms[0];

		/* Alternatives and inverse terms require nothing alone. */
		if (q->sets[s].n != 1 || t->inverse)
			continue;
		for (i = 0; i < t->len && r->n < sizeof(r->c); i++) {
			uint32_t c = t->chars[i];
			uint32_t lower = c - 'A' < 26u ? c + 32 : c;

			if (c >= 0x80 || strchr(added, (int)lower))
				continue;
			r->c[r->n] = (unsigned char)(t->case_sensitive ? c : lower);
			r->fold[r->n] = !t->case_sensitive && lower - 'a' < 26u;
			r->n++;
		}
	}
}

/* Nonzero when any byte of the word is a backslash or above 0x7e. */
static uint64_t
escape_or_high(uint64_t w)
{
	const uint64_t ones = 0x0101010101010101ull;
	const uint64_t high = 0x8080808080808080ull;
	uint64_t slash = w ^ (ones * '\\');

	/* Adding 1 to each byte sets the high bit of 0x7f and above. */
	return ((w + ones) | w | ((slash - ones) & ~slash)) & high;
}

int
match_required_present(const struct match_required *r, const char *line,
    size_t len)
{
	const char *p = line, *end = line + len;
	size_t i;

	if (r->n == 0)
		return 1;
	for (i = 0; i < r->n; i++)
		if (!find_byte(line, end, r->c[i], r->fold[i]))
			break;
	if (i == r->n)
		return 1;
	/* A character is missing, unless an escape or a byte above 0x7e
	 * decodes or displays as it. */
#ifdef __SSE2__
	for (; end - p >= 16; p += 16) {
		__m128i v = _mm_loadu_si128((const __m128i *)(const void *)p);
		__m128i del = _mm_set1_epi8(0x7f);
		__m128i stop = _mm_or_si128(
		    _mm_cmpeq_epi8(v, _mm_set1_epi8('\\')),
		    _mm_cmpeq_epi8(_mm_max_epu8(v, del), v));

		if (_mm_movemask_epi8(stop))
			return 1;
	}
#endif
	for (; end - p >= 8; p += 8) {
		uint64_t w;

		memcpy(&w, p, 8);
		if (escape_or_high(w))
			return 1;
	}
	for (; p < end; p++)
		if (*p == '\\' || (unsigned char)*p >= 0x7f)
			return 1;
	return 0;
}

uint64_t
query_required_bits(const struct query *q)
{
	uint64_t bits = 0;
	size_t s, i;

	for (s = 0; s < q->n; s++) {
		const struct match_term *t = &q->sets[s].terms[0];

		/* Alternatives and inverse terms require nothing alone. */
		if (q->sets[s].n != 1 || t->inverse)
			continue;
		for (i = 0; i < t->len; i++)
			bits |= 1ull << signature_bit(t->chars[i]);
	}
	return bits;
}
