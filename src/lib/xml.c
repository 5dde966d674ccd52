/* Minimal XML element lookup for AWS responses. */
#include <string.h>

#include "util.h"
#include "xml.h"

/* Matches "<tag" or "<prefix:tag" followed by '>', '/' or whitespace. */
static int
open_tag_at(const char *p, const char *end, const char *tag, size_t tlen,
    const char **after)
{
	const char *name = p + 1, *colon;
	const char *q = name;

	while (q < end && *q != '>' && *q != '/' && *q != ' ' && *q != '\t' &&
	       *q != '\r' && *q != '\n')
		q++;
	colon = memchr(name, ':', (size_t)(q - name));
	if (colon)
		name = colon + 1;
	if ((size_t)(q - name) != tlen || memcmp(name, tag, tlen) != 0)
		return 0;
	*after = q;
	return 1;
}

int
xml_find(const char *xml, size_t len, size_t *pos, const char *tag,
    const char **inner, size_t *inner_len)
{
	const char *end = xml + len, *p = xml + *pos;
	size_t tlen = strlen(tag);

	while (p < end && (p = memchr(p, '<', (size_t)(end - p))) != NULL) {
		const char *after, *gt, *q;
		int depth = 1;

		if (!open_tag_at(p, end, tag, tlen, &after)) {
			p++;
			continue;
		}
		gt = memchr(after, '>', (size_t)(end - after));
		if (!gt)
			return 0;
		if (gt[-1] == '/') {
			*inner = gt + 1;
			*inner_len = 0;
			*pos = (size_t)(gt + 1 - xml);
			return 1;
		}
		/* Find the matching close tag, allowing nested same names. */
		for (q = gt + 1; q < end;) {
			const char *lt = memchr(q, '<', (size_t)(end - q));
			const char *a2;

			if (!lt)
				return 0;
			if (lt + 1 < end && lt[1] == '/') {
				const char *n = lt + 2, *e2 = n, *c;

				while (e2 < end && *e2 != '>')
					e2++;
				c = memchr(n, ':', (size_t)(e2 - n));
				if (c)
					n = c + 1;
				/* A close tag cut off before its '>' ends
				 * nothing. */
				if (e2 < end && (size_t)(e2 - n) == tlen &&
				    memcmp(n, tag, tlen) == 0 && --depth == 0) {
					*inner = gt + 1;
					*inner_len = (size_t)(lt - (gt + 1));
					*pos = (size_t)(e2 + 1 - xml);
					return 1;
				}
				q = e2;
			} else if (open_tag_at(lt, end, tag, tlen, &a2)) {
				const char *g2 = memchr(a2, '>',
				    (size_t)(end - a2));

				if (g2 && g2[-1] != '/')
					depth++;
				q = g2 ? g2 + 1 : end;
			} else {
				q = lt + 1;
			}
		}
		return 0;
	}
	return 0;
}

void
xml_decode(const char *s, size_t len, struct buf *out)
{
	size_t i = 0;

	while (i < len) {
		const char *semi;
		size_t n;

		if (s[i] != '&') {
			buf_addc(out, s[i++]);
			continue;
		}
		semi = memchr(s + i, ';', len - i);
		n = semi ? (size_t)(semi - (s + i)) + 1 : 0;
		if (n == 5 && memcmp(s + i, "&amp;", 5) == 0)
			buf_addc(out, '&');
		else if (n == 4 && memcmp(s + i, "&lt;", 4) == 0)
			buf_addc(out, '<');
		else if (n == 4 && memcmp(s + i, "&gt;", 4) == 0)
			buf_addc(out, '>');
		else if (n == 6 && memcmp(s + i, "&quot;", 6) == 0)
			buf_addc(out, '"');
		else if (n == 6 && memcmp(s + i, "&apos;", 6) == 0)
			buf_addc(out, '\'');
		else if (n > 3 && s[i + 1] == '#') {
			unsigned long cp = 0;
			size_t j = i + 2;
			int hex = s[j] == 'x' || s[j] == 'X';

			if (hex)
				j++;
			for (; j < i + n - 1; j++) {
				char c = s[j];
				int d = c >= '0' && c <= '9'   ? c - '0'
					: c >= 'a' && c <= 'f' ? c - 'a' + 10
					: c >= 'A' && c <= 'F' ? c - 'A' + 10
							       : -1;
				if (d < 0 || (!hex && d > 9))
					break;
				cp = cp * (hex ? 16 : 10) + (unsigned long)d;
				if (cp > 0x10ffff)
					break;
			}
			/* Surrogates have no UTF-8 form. */
			if (j != i + n - 1 || cp == 0 || cp > 0x10ffff ||
			    (cp >= 0xd800 && cp <= 0xdfff)) {
				buf_add(out, s + i, n);
			} else if (cp < 0x80) {
				buf_addc(out, (char)cp);
			} else if (cp < 0x800) {
				buf_addc(out, (char)(0xc0 | (cp >> 6)));
				buf_addc(out, (char)(0x80 | (cp & 0x3f)));
			} else if (cp < 0x10000) {
				buf_addc(out, (char)(0xe0 | (cp >> 12)));
				buf_addc(out, (char)(0x80 | ((cp >> 6) & 0x3f)));
				buf_addc(out, (char)(0x80 | (cp & 0x3f)));
			} else {
				buf_addc(out, (char)(0xf0 | (cp >> 18)));
				buf_addc(out,
				    (char)(0x80 | ((cp >> 12) & 0x3f)));
				buf_addc(out, (char)(0x80 | ((cp >> 6) & 0x3f)));
				buf_addc(out, (char)(0x80 | (cp & 0x3f)));
			}
		} else {
			buf_addc(out, '&');
			i++;
			continue;
		}
		i += n;
	}
}

int
xml_text(const char *xml, size_t len, const char *tag, struct buf *out)
{
	size_t pos = 0, inner_len;
	const char *inner;

	if (!xml_find(xml, len, &pos, tag, &inner, &inner_len))
		return 0;
	/* An empty element ("<Code/>") must still leave a string, not the
	 * NULL data of a BUF_INIT buffer. */
	buf_grow(out, 0);
	xml_decode(inner, inner_len, out);
	return 1;
}
