/* A validating scanner for one JSON object per line that finds chosen
 * top-level members without building values: for reading many records
 * fast where jv would parse every value into memory.
 *
 * Values point into the caller's line and live as long as it. The scanner
 * accepts strict RFC 8259 JSON with a nesting limit. jq's parser accepts
 * a few more forms (NaN, for instance), so a caller that wants jq's
 * verdict falls back to jv_parse when jscan_object fails. */
#ifndef ECS_JSCAN_H
#define ECS_JSCAN_H

#include <stddef.h>

#include "buf.h"

enum jscan_kind {
	JSCAN_NONE,		/* member not present */
	JSCAN_STRING,
	JSCAN_NUMBER,
	JSCAN_TRUE,
	JSCAN_FALSE,
	JSCAN_NULL,
	JSCAN_OBJECT,
	JSCAN_ARRAY,
};

struct jscan_value {
	enum jscan_kind kind;
	const char *start;	/* strings: between the quotes, undecoded */
	size_t len;
	int escaped;		/* a string with backslash escapes */
};

/* Maps a member name (undecoded, without quotes) to a slot index below
 * the caller's number of slots, or -1 to skip the member. */
typedef int (*jscan_slot_fn)(const char *key, size_t len, void *data);

/* Scans text as one JSON object (white space around it allowed). Members
 * that slot() maps are stored in values[slot]; a later duplicate member
 * replaces an earlier one, as in jq. Returns 0, or -1 when text is not a
 * valid JSON object (*err then points to a static message). */
int jscan_object(const char *text, size_t len, jscan_slot_fn slot,
    void *data, struct jscan_value *values, const char **err);
/* Appends the decoded bytes of a string value to out. Invalid escapes
 * cannot occur in a scanned value; lone surrogates become U+FFFD. */
void jscan_string(const struct jscan_value *v, struct buf *out);
/* Calls fn for each element of an array value from jscan_object, with
 * the element's text. */
void jscan_array(const struct jscan_value *array,
    void (*fn)(const char *elem, size_t len, void *data), void *data);
/* Scans each element of an array value from jscan_object as an object:
 * clears the n_values slots, stores the members that slot() maps, and
 * calls fn with them. Returns 0, or -1 when an element is not an object
 * or fn returns -1 (no later element is scanned). */
int jscan_array_objects(const struct jscan_value *array, jscan_slot_fn slot,
    void *data, struct jscan_value *values, size_t n_values,
    int (*fn)(struct jscan_value *values, void *data));
/* Compares a string value with s after decoding. */
int jscan_string_equals(const struct jscan_value *v, const char *s);
/* Returns the number value, or 0 for a value that is not a number. */
double jscan_number(const struct jscan_value *v);

#endif
