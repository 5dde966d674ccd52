/* Query syntax and fuzzy matching for the picker, with no terminal code so
 * that it can be tested alone.
 *
 * A query owns its strings; query_parse returns a query the caller frees
 * with query_free. Texts passed to the match functions are borrowed UTF-8
 * bytes (any bytes are accepted) and are not NUL-terminated. The match
 * functions keep per-thread scratch space, so any number of threads may
 * match against one query at once. */
#ifndef ECS_MATCH_H
#define ECS_MATCH_H

#include <stddef.h>
#include <stdint.h>

enum match_type {
	MATCH_FUZZY,		/* abc: a, b, c in this order */
	MATCH_EXACT,		/* 'abc: the substring abc */
	MATCH_PREFIX,		/* ^abc */
	MATCH_SUFFIX,		/* abc$ */
	MATCH_EQUAL,		/* ^abc$ */
};

struct match_term {
	enum match_type type;
	int inverse;		/* !abc: lines without abc */
	int case_sensitive;	/* smart case: the term has an upper-case letter */
	uint32_t *chars;	/* code points, lower-cased unless case_sensitive */
	size_t len;
	int ascii;		/* every character is ASCII */
	char *text;		/* the term's text after the operators, UTF-8 */
	unsigned char *sig_bit;	/* per character, its signature bit */
	int sig_exact;		/* every character has a bit of its own */
	/* Per character, its entry in the query's position masks, or NULL
	 * for a term that has none (only ASCII fuzzy terms have them). */
	unsigned char *mask_of;
};

/* Alternatives joined by "|": a line matches the set when one matches. */
struct match_set {
	struct match_term *terms;
	size_t n;
};

/* Distinct characters of a query that get position masks. */
#define QUERY_MASKS_MAX 16

/* Sets joined by spaces: a line matches when every set matches. */
struct query {
	struct match_set *sets;
	size_t n;
	char *source;
	/* The characters of the ASCII fuzzy terms, each with whether it
	 * also matches its upper case. n_masks is 0 when there are more
	 * than QUERY_MASKS_MAX of them. */
	unsigned char mask_char[QUERY_MASKS_MAX];
	unsigned char mask_fold[QUERY_MASKS_MAX];
	size_t n_masks;
};

/* Scoring reads short ASCII lines through position masks unless this is
 * 0. Tests clear it to compare with the byte scans. */
extern int match_use_masks;

/* A summary of a line, computed once, that rejects most lines and bounds
 * the score of the rest without reading the line: which characters occur
 * (case-folded, some punctuation sharing bits), which occur at a case
 * change or the first digit of a number, which at a word start, and
 * which at the line start or after white space. */
struct match_signature {
	uint64_t occurs;
	uint64_t camel;
	uint64_t boundary;
	uint64_t start;
};

/* For each letter (either case) and digit of a line, in the order of the
 * signature bits, a byte: bit k is set when the character occurs in the
 * k-th eighth of the line (by byte offset). Kept apart from the
 * signature, because only a query of several characters reads it. */
struct match_eighths {
	uint8_t parts[36];
};

/* The most positions match_positions reports for one line. */
#define MATCH_MAX_POSITIONS 256

/* Parses a query. Never fails: text that forms no term (spaces, a lone
 * "^") leaves the query empty, and an empty query matches everything. */
struct query *query_parse(const char *s);
void query_free(struct query *q);
int query_is_empty(const struct query *q);
/* Returns 1 when every line that matches narrow also matches wide, so a
 * result list for wide may serve as the candidates for narrow. Returns 0
 * when that cannot be shown (0 is always safe). */
int query_implies(const struct query *narrow, const struct query *wide);
/* Returns 1 when a and b have the same terms in the same order, so they
 * match and score every line alike ("web " and "web", for example). */
int query_equal(const struct query *a, const struct query *b);

/* Fills sig and, unless it is NULL, eighths. */
void match_signature(const char *text, size_t len,
    struct match_signature *sig, struct match_eighths *eighths);
/* The highest query_signature_bound of any line. */
int32_t query_max_bound(const struct query *q);
/* An upper bound of the score of any line with this signature, or
 * INT32_MIN when no such line can match q. */
int32_t query_signature_bound(const struct query *q,
    const struct match_signature *sig);
/* Returns 1 when text matches q, without scoring it. The line's
 * signature, and its eighths unless they are NULL, spare most reads of
 * the text. */
int query_matches(const struct query *q, const char *text, size_t len,
    const struct match_signature *sig, const struct match_eighths *eighths);
/* The two halves of query_matches. The first returns 1 when the
 * signature and eighths (or NULL) alone show that a line matches q, and 0
 * when they cannot tell. The second reads the text. */
int query_matches_signature(const struct query *q,
    const struct match_signature *sig, const struct match_eighths *eighths);
int query_matches_text(const struct query *q, const char *text, size_t len,
    const struct match_signature *sig);
/* Signature bits (of match_signature.occurs) that every line matching q
 * has; a line lacking any of them cannot match. */
uint64_t query_required_bits(const struct query *q);

/* Characters a raw input line must contain for its display line to
 * match, found before the display line is made: for each single-term set,
 * the term's ASCII characters that the display format never adds. */
struct match_required {
	unsigned char c[64];
	unsigned char fold[64];	/* also accept the upper case of c */
	size_t n;
};

/* Fills r from q, given the characters the display format may add to
 * what the line contains (lower case stands for both cases). */
void query_required(const struct query *q, const char *added,
    struct match_required *r);
/* Returns 0 when an ASCII line without backslashes lacks a required
 * character, so its display cannot match; 1 when it may match. */
int match_required_present(const struct match_required *r,
    const char *line, size_t len);

/* Returns 1 and stores the score when text matches q, else 0. */
int query_match(const struct query *q, const char *text, size_t len,
    int32_t *score);
/* Like query_match, but may skip scoring a line whose score is certainly
 * below min: returns 0 for no match, 1 with the score, or 2 for a match
 * scoring below min (score not set). For ranking the best few of many. */
int query_match_min(const struct query *q, const char *text, size_t len,
    int32_t min, int32_t *score);
/* Scores, or upper bounds of scores, that one thread has computed while
 * ranking lines against one query of a single fuzzy term. They are kept
 * by the term's window: the text from the first occurrence of its first
 * character to the last occurrence of its last, and the byte before.
 * Lines that share a window, as lines of a listing often do, are scored
 * once. */
struct match_memo;
/* Allocates a memo for q, or returns NULL when q is not a single fuzzy
 * term. */
struct match_memo *match_memo_new(const struct query *q);
void match_memo_free(struct match_memo *memo);
/* Scores like query_match_min (min may be INT32_MIN), through a memo (or
 * NULL) that must only ever be used with q. */
int query_match_memo(const struct query *q, const char *text, size_t len,
    int32_t min, int32_t *score, struct match_memo *memo);
/* Like query_match, and also stores the byte offsets in text of the
 * characters to highlight, sorted and without duplicates, at most
 * MATCH_MAX_POSITIONS of them; *n_pos receives their number. */
int query_match_positions(const struct query *q, const char *text,
    size_t len, int32_t *score, uint32_t *pos, size_t *n_pos);

#endif
